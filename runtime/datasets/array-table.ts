// Features and labels read as arrays (NPY, NPZ, IDX) become a table: counts checked against
// each other, every value finite, labels turned into class indices or targets.
import { fileError } from "./dataset-file-error.ts";
import { indexIntegerLabels } from "./class-labels.ts";
import type { NumericArray } from "./numeric-array.ts";
import type { RawTable } from "./raw-table.ts";

export function tableFromArrays(x: NumericArray, y: NumericArray, task: "classification" | "regression"): RawTable {
  const n = x.shape[0] ?? 0;
  if (x.shape.length === 0) throw fileError(x.ref, null, `array ${x.name} is a scalar; it needs shape [samples, ...]`);
  if (n === 0) throw fileError(x.ref, null, `array ${x.name} has no samples (shape [${x.shape.join(", ")}])`);
  // A 1-D array is one feature per sample.
  const shape = x.shape.length === 1 ? [n, 1] : x.shape;
  if (x.values.length === 0) throw fileError(x.ref, null, `array ${x.name} has samples of no values (shape [${x.shape.join(", ")}])`);

  const labelShapeOk = y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1);
  if (!labelShapeOk) {
    const hint = y.shape.length === 2 ? " (one-hot? save the class indices: y.argmax(axis=1))" : "";
    throw fileError(y.ref, null, `array ${y.name} must have shape [samples] or [samples, 1], not [${y.shape.join(", ")}]${hint}`);
  }
  const m = y.shape[0]!;
  if (m !== n) {
    const problem = y.ref.file === x.ref.file
      ? `array ${y.name} has ${m} labels for ${n} samples in array ${x.name}`
      : `${m} labels for ${n} samples in ${x.ref.file}`;
    throw fileError(y.ref, null, problem);
  }
  return { x: features(x), shape, ...labels(y, task) };
}

function features(x: NumericArray): Float32Array | Uint8Array {
  if (x.values instanceof Uint8Array) return x.values;
  const out = new Float32Array(x.values.length);
  for (let i = 0; i < out.length; i++) out[i] = finiteF32(x, i);
  return out;
}

function labels(y: NumericArray, task: "classification" | "regression"): Pick<RawTable, "y" | "classes"> {
  if (task === "regression") {
    const target = new Float32Array(y.values.length);
    for (let i = 0; i < target.length; i++) target[i] = finiteF32(y, i);
    return { y: target, classes: null };
  }
  if (y.kind === "float") {
    throw fileError(y.ref, null, `array ${y.name} has dtype ${y.dtype}; class labels must be integers (or set task: regression)`);
  }
  return indexIntegerLabels(y.values);
}

/** The value as f32, refusing NaN, ±Infinity and doubles beyond the f32 range. */
function finiteF32(a: NumericArray, i: number): number {
  const v = a.values[i]!;
  const f = Math.fround(v);
  if (Number.isFinite(f)) return f;
  const place = `array ${a.name}, flat index ${i}`;
  if (Number.isNaN(v)) throw fileError(a.ref, place, "NaN is not allowed (drop or impute missing values first)");
  if (!Number.isFinite(v)) throw fileError(a.ref, place, `${v} is not allowed (values must be finite)`);
  throw fileError(a.ref, place, `${v} is beyond the float32 range`);
}
