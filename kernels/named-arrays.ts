// A state as a record of named arrays (a layer's weight, a model's parameter): what a kept
// model is written as (.npz, runtime/experiments/npz.ts), so NumPy opens it by name and shape.

export type NamedArrayData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One array: row-major values and the shape they fill. */
export interface NamedArray {
  shape: number[];
  data: NamedArrayData;
}

/** Arrays by name, in the order they were added (PyTorch's state_dict keys, e.g. "layers.0.weight"). */
export type NamedArrays = Record<string, NamedArray>;

/** The problem with one array's shape, or null: a shape of whole numbers whose product is its length. */
export function namedArrayProblem(name: string, a: NamedArray): string | null {
  if (!Array.isArray(a.shape) || a.shape.some((d) => !Number.isInteger(d) || d < 0)) return `${name}: shape ${JSON.stringify(a.shape)} must list whole numbers ≥ 0`;
  const size = a.shape.reduce((p, d) => p * d, 1);
  if (size !== a.data.length) return `${name}: shape [${a.shape.join(", ")}] holds ${size} values, the data ${a.data.length}`;
  return null;
}
