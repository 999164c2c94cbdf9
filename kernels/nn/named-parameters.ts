// A model's parameters by dotted name, as PyTorch's state_dict keys them ("encoder.0.weight",
// "attn.in_proj_weight"), and back: so a ctx.nn model's kept state is a record of named arrays
// (.npz) that NumPy or PyTorch opens by name, and a state of that form loads into the model.
import { Tensor } from "./tensor.ts";
import type { NamedArrays } from "../named-arrays.ts";

/** A module that names its parameters itself (PyTorch's names where ours differ, as MultiheadAttention's). */
export interface NamesItsParameters {
  namedParameters(): Record<string, Tensor | null>;
}

const namesItself = (v: object): v is NamesItsParameters =>
  typeof (v as Partial<NamesItsParameters>).namedParameters === "function";

/**
 * The tensors that require gradients (parameters) reachable from `model` — a module, or a plain
 * object or array of them, nested as deep as needed — by dotted path of property names and
 * array indices, in the order the properties were set. A tensor reached twice (shared weights)
 * keeps its first name, as PyTorch's named_parameters does.
 */
export function namedParameters(model: unknown): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const seen = new Set<unknown>();
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Tensor) {
      if (value.requiresGrad) out[path] = value.check("namedParameters");
      return;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) return;
    const join = (key: string) => (path ? `${path}.${key}` : key);
    if (namesItself(value)) {
      for (const [key, t] of Object.entries(value.namedParameters())) visit(t, join(key));
      return;
    }
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [key, v] of entries) visit(v, join(key));
  };
  visit(model, "");
  return out;
}

/** Copies of a model's parameters as named arrays (float32, each with its shape): PyTorch's state_dict. */
export function stateDict(model: unknown): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, t] of Object.entries(namedParameters(model))) out[name] = { shape: [...t.shape], data: t.data() };
  return out;
}

/**
 * Writes named arrays into a model's parameters (PyTorch's load_state_dict, strict): every
 * parameter must be given with its shape and no other name may be; the problems are listed
 * together and nothing is written unless there are none.
 */
export function loadStateDict(model: unknown, arrays: NamedArrays): void {
  const params = namedParameters(model);
  const problems: string[] = [];
  for (const [name, t] of Object.entries(params)) {
    const a = arrays[name];
    if (!a) problems.push(`${name}: missing`);
    else if (a.shape.length !== t.shape.length || a.shape.some((d, i) => d !== t.shape[i])) problems.push(`${name}: shape [${a.shape.join(", ")}], the parameter's is [${t.shape.join(", ")}]`);
    else if (!(a.data instanceof Float32Array) || a.data.length !== t.size) problems.push(`${name}: needs ${t.size} float32 values, got ${a.data.length} ${a.data.constructor.name}`);
  }
  for (const name of Object.keys(arrays)) if (!(name in params)) problems.push(`${name}: the model has no such parameter`);
  if (problems.length) throw new RangeError(`loadStateDict: ${problems.join("; ")}`);
  Object.values(params)[0]?.engine.notWhileCapturing("loadStateDict");
  for (const [name, t] of Object.entries(params)) t.engine.f32(t.ptr, t.size).set(arrays[name]!.data as Float32Array);
}
