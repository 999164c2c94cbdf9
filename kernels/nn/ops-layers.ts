// Ops that layers are made of: embedding lookup (gather and scatter-add in wasm), layer
// normalisation (composed of reductions and elementwise ops, so its gradient is theirs) and
// inverted dropout with a seeded mask drawn in wasm.
import { defineTensorOps, type Tensor } from "./tensor.ts";
import { add, mul, sub, div, sqrt, pow } from "./ops-elementwise.ts";
import { mean } from "./ops-reduce.ts";
import { permute, reshape } from "./ops-layout.ts";
import { normalizeDim, sameShape, sizeOf } from "./shape.ts";

/** Rows of weight [num, dim] picked by indices: shape [...indexShape, dim] (PyTorch's F.embedding). */
export function embedding(indices: Int32Array, weight: Tensor, indexShape: number[] = [indices.length]): Tensor {
  weight.check("embedding");
  if (!(indices instanceof Int32Array)) throw new TypeError("embedding: indices must be an Int32Array");
  if (weight.shape.length !== 2) throw new RangeError(`embedding: weight must be [num, dim], got [${weight.shape}]`);
  if (sizeOf(indexShape) !== indices.length) throw new RangeError(`embedding: index shape [${indexShape}] does not hold ${indices.length} indices`);
  return gatherRows(weight, indices, [...indexShape, weight.shape[1]!], "embedding");
}

/**
 * The slices of x at `indices` along `dim` (PyTorch's index_select): along dim 0, x[idx], a
 * batch gathered in wasm from data kept as one tensor. Another dim is moved first and back
 * (two copies). The gradient adds each picked slice back, in index order (repeats sum).
 */
export function indexSelect(x: Tensor, dim: number, indices: Int32Array): Tensor {
  x.check("indexSelect");
  if (!(indices instanceof Int32Array)) throw new TypeError("indexSelect: indices must be an Int32Array");
  const rank = x.shape.length;
  if (rank === 0) throw new RangeError("indexSelect: needs a tensor of rank ≥ 1");
  const d = normalizeDim(dim, rank, "indexSelect");
  if (d !== 0) {
    const order = [d, ...x.shape.map((_, i) => i).filter((i) => i !== d)];
    const inverse = order.map((_, i) => order.indexOf(i));
    return permute(indexSelect(permute(x, order), 0, indices), inverse);
  }
  return gatherRows(x, indices, [indices.length, ...x.shape.slice(1)], "indexSelect");
}

/** x's rows (its first dimension) at `indices`, shaped `outShape`; the gradient scatter-adds them back. */
function gatherRows(x: Tensor, indices: Int32Array, outShape: number[], what: string): Tensor {
  const e = x.engine;
  const num = x.shape[0]!;
  const cols = sizeOf(x.shape.slice(1));
  const held = e.make([indices.length], true);
  e.writeI32(held.ptr, indices);
  const outside = (bad: number) => new RangeError(`${what}: index ${indices[bad]} at ${bad} is outside [0, ${num})`);
  const bad = e.k.firstIndexOutside(held.ptr, indices.length, num);
  if (bad >= 0) {
    held.dispose();
    throw outside(bad);
  }
  e.onReplayResult((again) => {
    if (again >= 0) throw outside(again);
  });
  const y = e.adopt(outShape);
  y.attached = [held];
  if (cols > 0) e.k.gatherRowsF32(x.ptr, cols, held.ptr, 0, indices.length, y.ptr);
  return e.record(y, [x], (g) => {
    const dx = e.zerosLike(x.shape);
    if (cols > 0) e.k.embeddingBackward(g.ptr, held.ptr, indices.length, cols, dx.ptr);
    return [dx];
  });
}

/**
 * Normalises over the trailing dimensions `shape` (PyTorch's F.layer_norm): (x − mean) /
 * √(var + eps), biased variance, then · weight + bias when given.
 */
export function layerNorm(x: Tensor, shape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  x.check("layerNorm");
  const trailing = x.shape.slice(x.shape.length - shape.length);
  if (shape.length === 0 || !sameShape(trailing, shape)) throw new RangeError(`layerNorm: [${x.shape}] does not end in [${shape}]`);
  const flat = reshape(x, [...x.shape.slice(0, x.shape.length - shape.length), sizeOf(shape)]);
  const centred = sub(flat, mean(flat, -1, true));
  const variance = mean(pow(centred, 2), -1, true);
  let y = reshape(div(centred, sqrt(add(variance, eps))), x.shape.slice());
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

export interface DropoutOptions {
  /** Seed of this call's mask; without it, the next draws of nn's generator. */
  seed?: number;
  /** False in evaluation: the identity (default true). */
  training?: boolean;
}

/** Zeroes each element with probability p and scales the rest by 1/(1 − p) (inverted dropout). */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  const e = x.check("dropout").engine;
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (options.training === false || p === 0) return x;
  const y = e.make(x.shape);
  const mask = e.make(x.shape, true);
  y.attached = [mask];
  e.withRng(options.seed, (rng) => e.k.dropoutForward(x.ptr, y.ptr, mask.ptr, x.size, p, rng));
  return e.record(y, [x], (g) => {
    const dx = e.make(x.shape);
    e.k.dropoutBackward(g.ptr, mask.ptr, dx.ptr, x.size);
    return [dx];
  });
}

defineTensorOps({ indexSelect });
