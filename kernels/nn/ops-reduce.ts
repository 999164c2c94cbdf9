// Reductions along a dimension (or all of them): sum, mean, max. Each sum runs in the fixed
// order of reduce.ts, so its bits depend only on the shape.
import { defineTensorOps, type Tensor } from "./tensor.ts";
import { normalizeDim, sizeOf } from "./shape.ts";
import { affine } from "./ops-elementwise.ts";
import { expandRaw } from "./ops-layout.ts";

interface Axis { outer: number; n: number; inner: number; keepShape: number[]; outShape: number[] }

function axisOf(x: Tensor, dim: number | undefined, keepdim: boolean, what: string): Axis {
  if (dim === undefined) {
    const keepShape = x.shape.map(() => 1);
    return { outer: 1, n: x.size, inner: 1, keepShape, outShape: keepdim ? keepShape : [] };
  }
  const d = normalizeDim(dim, x.shape.length, what);
  const keepShape = x.shape.slice();
  keepShape[d] = 1;
  return {
    outer: sizeOf(x.shape.slice(0, d)), n: x.shape[d]!, inner: sizeOf(x.shape.slice(d + 1)),
    keepShape, outShape: keepdim ? keepShape : x.shape.filter((_, i) => i !== d),
  };
}

/** Σ over `dim` (over everything when dim is undefined). */
export function sum(x: Tensor, dim?: number, keepdim = false): Tensor {
  const e = x.check("sum").engine;
  const ax = axisOf(x, dim, keepdim, "sum");
  const y = e.make(ax.outShape);
  e.k.sumAxis(x.ptr, y.ptr, ax.outer, ax.n, ax.inner);
  return e.record(y, [x], (g) => [expandRaw(g, ax.keepShape, x.shape)]);
}

/** The mean over `dim` (over everything when dim is undefined): the sum times 1/n. */
export function mean(x: Tensor, dim?: number, keepdim = false): Tensor {
  const n = dim === undefined ? x.size : x.shape[normalizeDim(dim, x.shape.length, "mean")]!;
  return affine(sum(x, dim, keepdim), 1 / n, 0);
}

/** What max(dim) gives, as PyTorch's (values, indices): an array to destructure, with both names too. */
export type MaxResult = [values: Tensor, indices: Int32Array] & { values: Tensor; indices: Int32Array };

/**
 * The largest value of every element (max()), or along `dim` with the index of each (max(dim):
 * PyTorch's (values, indices); indices as an Int32Array, as nn takes labels). The first
 * maximum on ties; NaN wins. The gradient goes to that element.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function max(x: Tensor, dim?: number, keepdim?: boolean): Tensor | MaxResult;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | MaxResult {
  const e = x.check("max").engine;
  const ax = axisOf(x, dim, keepdim, "max");
  if (ax.n === 0) throw new RangeError(`max: no elements to take the largest of (shape [${x.shape}])`);
  const y = e.make(ax.outShape);
  const argmax = e.make(ax.outShape, true); // i32 indices in an f32-sized block, freed with y
  y.attached = [argmax];
  e.k.maxAxis(x.ptr, y.ptr, argmax.ptr, ax.outer, ax.n, ax.inner);
  const values = e.record(y, [x], (g) => {
    const dx = e.zerosLike(x.shape);
    e.k.maxAxisBackward(g.ptr, argmax.ptr, dx.ptr, ax.outer, ax.n, ax.inner);
    return [dx];
  });
  if (dim === undefined) return values;
  e.notWhileCapturing("max(dim)'s indices");
  const indices = e.instance.i32(argmax.ptr, argmax.size).slice();
  return Object.assign([values, indices] as [Tensor, Int32Array], { values, indices });
}

defineTensorOps({ sum, mean, max });
