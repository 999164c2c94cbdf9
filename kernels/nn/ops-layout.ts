// Ops that move values without arithmetic: reshape, transpose, permute, narrow, cat, expand. Tensors
// are contiguous only, so each is one explicit strided copy in wasm (strided.ts).
import { defineTensorOps, type Tensor } from "./tensor.ts";
import { sumToShape } from "./ops-elementwise.ts";
import { broadcastShapes, broadcastStrides, checkShape, collapseDims, contiguousStrides, normalizeDim, sizeOf, type Shape } from "./shape.ts";

/** Copies src (read with `srcStrides` over `shape`, from element `srcOffset`) into dst (written with dstStrides from dstOffset). */
export function stridedCopy(src: Tensor, srcOffset: number, srcStrides: number[], dst: Tensor, dstOffset: number, dstStrides: number[], shape: Shape): void {
  if (sizeOf(shape) === 0) return;
  const e = src.engine;
  const c = collapseDims(shape, [srcStrides, dstStrides]);
  e.k.stridedCopy(src.ptr + srcOffset * 4, dst.ptr + dstOffset * 4, e.meta(c.shape, c.strides[0]!, c.strides[1]!), c.shape.length);
}

/** A new tensor of `shape` whose values are `src` (of `srcShape`, right-aligned) repeated along its size-1 dimensions. No tape. */
export function expandRaw(src: Tensor, srcShape: Shape, shape: Shape): Tensor {
  const out = src.engine.make(shape);
  stridedCopy(src, 0, broadcastStrides(srcShape, shape), out, 0, contiguousStrides(shape), shape);
  return out;
}

/** The same values under another shape of the same size (one −1 is inferred). */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const e = x.check("reshape").engine;
  const inferred = resolveShape(shape, x.size);
  const y = e.make(inferred);
  if (x.size > 0) stridedCopy(x, 0, [1], y, 0, [1], [x.size]);
  return e.record(y, [x], (g) => [reshape(g, x.shape.slice())]);
}

function resolveShape(shape: number[], size: number): number[] {
  const free = shape.indexOf(-1);
  const out = shape.slice();
  if (free >= 0) {
    const known = shape.reduce((p, d, i) => (i === free ? p : p * d), 1);
    out[free] = known === 0 ? 0 : size / known;
  }
  checkShape(out, "reshape");
  if (sizeOf(out) !== size) throw new RangeError(`reshape: shape [${shape}] does not hold ${size} elements`);
  return out;
}

/** Swaps two dimensions (a copy). */
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const e = x.check("transpose").engine;
  const rank = x.shape.length;
  const a = normalizeDim(d0, rank, "transpose"), b = normalizeDim(d1, rank, "transpose");
  const shape = x.shape.slice();
  [shape[a], shape[b]] = [shape[b]!, shape[a]!];
  const src = contiguousStrides(x.shape);
  [src[a], src[b]] = [src[b]!, src[a]!];
  const y = e.make(shape);
  stridedCopy(x, 0, src, y, 0, contiguousStrides(shape), shape);
  return e.record(y, [x], (g) => [transpose(g, a, b)]);
}

/** The dimensions reordered: dimension i of the result is dimension dims[i] of x (a copy, PyTorch's permute). */
export function permute(x: Tensor, dims: number[]): Tensor {
  const e = x.check("permute").engine;
  const rank = x.shape.length;
  const order = dims.map((d) => normalizeDim(d, rank, "permute"));
  if (order.length !== rank || new Set(order).size !== rank) throw new RangeError(`permute: [${dims}] is not an order of the ${rank} dimensions`);
  const shape = order.map((d) => x.shape[d]!);
  const own = contiguousStrides(x.shape);
  const y = e.make(shape);
  stridedCopy(x, 0, order.map((d) => own[d]!), y, 0, contiguousStrides(shape), shape);
  const inverse = new Array<number>(rank);
  order.forEach((d, i) => (inverse[d] = i));
  return e.record(y, [x], (g) => [permute(g, inverse)]);
}

/** The slice [start, start + length) of one dimension (a copy). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const e = x.check("narrow").engine;
  const d = normalizeDim(dim, x.shape.length, "narrow");
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x.shape[d]!) {
    throw new RangeError(`narrow: [${start}, ${start + length}) is outside dimension ${d} of size ${x.shape[d]}`);
  }
  const shape = x.shape.slice();
  shape[d] = length;
  const strides = contiguousStrides(x.shape);
  const y = e.make(shape);
  stridedCopy(x, start * strides[d]!, strides, y, 0, contiguousStrides(shape), shape);
  return e.record(y, [x], (g) => {
    const dx = e.zerosLike(x.shape);
    stridedCopy(g, 0, contiguousStrides(shape), dx, start * strides[d]!, strides, shape);
    return [dx];
  });
}

/** Tensors joined along a dimension; the others must agree. */
export function cat(tensors: Tensor[], dim: number): Tensor {
  if (tensors.length === 0) throw new RangeError("cat: needs at least one tensor");
  const first = tensors[0]!.check("cat");
  const e = first.engine;
  const rank = first.shape.length;
  const d = normalizeDim(dim, rank, "cat");
  for (const t of tensors) {
    t.check("cat");
    if (t.shape.length !== rank || t.shape.some((v, i) => i !== d && v !== first.shape[i])) {
      throw new RangeError(`cat: shapes [${first.shape}] and [${t.shape}] differ outside dimension ${d}`);
    }
  }
  const shape = first.shape.slice();
  shape[d] = tensors.reduce((s, t) => s + t.shape[d]!, 0);
  const y = e.make(shape);
  const outStrides = contiguousStrides(shape);
  const offsets: number[] = [];
  let at = 0;
  for (const t of tensors) {
    offsets.push(at);
    stridedCopy(t, 0, contiguousStrides(t.shape), y, at * outStrides[d]!, outStrides, t.shape);
    at += t.shape[d]!;
  }
  return e.record(y, tensors, (g) =>
    tensors.map((t, i) => {
      if (!t.requiresGrad) return null;
      const dx = e.make(t.shape);
      stridedCopy(g, offsets[i]! * outStrides[d]!, outStrides, dx, 0, contiguousStrides(t.shape), t.shape);
      return dx;
    }),
  );
}

/** Values repeated along size-1 (or missing leading) dimensions to `shape`; the gradient sums them back. */
export function expand(x: Tensor, shape: number[]): Tensor {
  const e = x.check("expand").engine;
  broadcastShapes(x.shape, shape, "expand");
  const y = expandRaw(x, x.shape, shape);
  return e.record(y, [x], (g) => [sumToShape(g, x.shape)]);
}

defineTensorOps({ reshape, transpose, permute, narrow });
