// Ops that layers are made of: embedding lookup (gather and scatter-add in wasm), layer
// normalisation (composed of reductions and elementwise ops, so its gradient is theirs) and
// inverted dropout with a seeded mask drawn in wasm.
import type { Tensor } from "./tensor.ts";
import { add, mul, sub, div, sqrt, pow } from "./ops-elementwise.ts";
import { mean } from "./ops-reduce.ts";
import { reshape } from "./ops-layout.ts";
import { sameShape, sizeOf } from "./shape.ts";

/** Rows of weight [num, dim] picked by indices: shape [...indexShape, dim] (PyTorch's F.embedding). */
export function embedding(indices: Int32Array, weight: Tensor, indexShape: number[] = [indices.length]): Tensor {
  const e = weight.check("embedding").engine;
  if (!(indices instanceof Int32Array)) throw new TypeError("embedding: indices must be an Int32Array");
  if (weight.shape.length !== 2) throw new RangeError(`embedding: weight must be [num, dim], got [${weight.shape}]`);
  if (sizeOf(indexShape) !== indices.length) throw new RangeError(`embedding: index shape [${indexShape}] does not hold ${indices.length} indices`);
  const [num, dim] = weight.shape as [number, number];
  const held = e.make([indices.length], true);
  e.writeI32(held.ptr, indices);
  const bad = e.k.firstIndexOutside(held.ptr, indices.length, num);
  if (bad >= 0) {
    held.dispose();
    throw new RangeError(`embedding: index ${indices[bad]} at ${bad} is outside [0, ${num})`);
  }
  const y = e.make([...indexShape, dim]);
  y.attached = [held];
  e.k.gatherRowsF32(weight.ptr, dim, held.ptr, 0, indices.length, y.ptr);
  return e.record(y, [weight], (g) => {
    const dw = e.zerosLike(weight.shape);
    e.k.embeddingBackward(g.ptr, held.ptr, indices.length, dim, dw.ptr);
    return [dw];
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
