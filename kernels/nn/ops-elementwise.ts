// Elementwise ops with their gradients: unary (polynomial transcendentals in wasm), scalar
// affine maps, pow (a number exponent by its own kernel, a tensor one as exp(p·log x)), and binary ops broadcasting as PyTorch does.
import { defineTensorOps, type Tensor } from "./tensor.ts";
import { UNARY_ID, BINARY_ID } from "../exports.ts";
import { broadcastShapes, broadcastStrides, collapseDims, sameShape, type Shape } from "./shape.ts";

type UnaryName = keyof typeof UNARY_ID;

function unary(name: UnaryName, x: Tensor): Tensor {
  const e = x.check(name).engine;
  const y = e.make(x.shape);
  const kind = UNARY_ID[name];
  e.k.unaryForward(kind, x.ptr, y.ptr, x.size);
  return e.record(y, [x], (g) => {
    const dx = e.make(x.shape);
    e.k.unaryBackward(kind, x.ptr, y.ptr, g.ptr, dx.ptr, x.size);
    return [dx];
  });
}

export const exp = (x: Tensor) => unary("exp", x);
export const log = (x: Tensor) => unary("log", x);
export const sqrt = (x: Tensor) => unary("sqrt", x);
export const relu = (x: Tensor) => unary("relu", x);
/** GELU, tanh form (PyTorch's `gelu(x, approximate="tanh")`). */
export const gelu = (x: Tensor) => unary("gelu", x);
export const tanh = (x: Tensor) => unary("tanh", x);
export const sigmoid = (x: Tensor) => unary("sigmoid", x);

/** y = a·x + b. */
export function affine(x: Tensor, a: number, b: number): Tensor {
  const e = x.check("affine").engine;
  const y = e.make(x.shape);
  e.k.affine(x.ptr, y.ptr, x.size, a, b);
  return e.record(y, [x], (g) => [a === 1 ? g : affine(g, a, 0)]);
}

export const neg = (x: Tensor) => affine(x, -1, 0);

/**
 * x^p. For a number p: exact for p in {0, ½, ±1, 2, 3}; a negative base is NaN unless p is an
 * integer. For a tensor p (broadcast with x): exp(p·log x), so a base ≤ 0 gives NaN (PyTorch
 * gives real powers of negative bases with integer exponents); both gradients flow.
 */
export function pow(x: Tensor, p: number | Tensor): Tensor {
  if (typeof p !== "number") return exp(mul(p, log(x)));
  const e = x.check("pow").engine;
  const y = e.make(x.shape);
  e.k.powScalar(x.ptr, y.ptr, x.size, p);
  return e.record(y, [x], (g) => {
    const dx = e.make(x.shape);
    e.k.powScalarBackward(x.ptr, g.ptr, dx.ptr, x.size, p);
    return [dx];
  });
}

type BinaryName = keyof typeof BINARY_ID;

/** out = a ∘ b with broadcasting, no tape. */
function binaryRaw(op: BinaryName, a: Tensor, b: Tensor): Tensor {
  const e = a.engine;
  const shape = sameShape(a.shape, b.shape) ? a.shape.slice() : broadcastShapes(a.shape, b.shape, op);
  const out = e.make(shape);
  if (out.size === 0) return out;
  const collapsed = collapseDims(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const meta = e.meta(collapsed.shape, collapsed.strides[0]!, collapsed.strides[1]!);
  e.k.binaryBroadcast(BINARY_ID[op], a.ptr, b.ptr, out.ptr, meta, collapsed.shape.length);
  return out;
}

/** Sums a gradient of the broadcast shape back to an operand's shape (fixed order: one axis at a time, left to right). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const e = g.engine;
  const rank = g.shape.length;
  const target = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  let cur = g;
  let curShape = g.shape.slice();
  for (let d = 0; d < rank; d++) {
    if (target[d] !== 1 || curShape[d] === 1) continue;
    const outer = curShape.slice(0, d).reduce((p, v) => p * v, 1);
    const inner = curShape.slice(d + 1).reduce((p, v) => p * v, 1);
    const nextShape = curShape.slice();
    nextShape[d] = 1;
    const next = e.make(nextShape);
    e.k.sumAxis(cur.ptr, next.ptr, outer, curShape[d]!, inner);
    cur = next;
    curShape = nextShape;
  }
  if (cur === g) {
    // Only leading ones differ ([1, n] to [n]): a copy, since g may be another input's gradient too.
    cur = e.make(shape);
    e.k.fillF32(cur.ptr, cur.size, 0);
    e.k.axpy(cur.ptr, g.ptr, cur.size, 1);
  }
  // cur is this function's own tensor: its leading ones can be dropped in place.
  (cur as { shape: Shape }).shape = shape.slice();
  return cur;
}

function binary(op: BinaryName, a: Tensor, b: Tensor | number): Tensor {
  a.check(op);
  if (typeof b === "number") {
    if (op === "add") return affine(a, 1, b);
    if (op === "sub") return affine(a, 1, -b);
    if (op === "mul") return affine(a, b, 0);
    return affine(a, 1 / b, 0);
  }
  b.check(op);
  if (a.engine !== b.engine) throw new Error(`${op}: the tensors belong to different nn instances`);
  const out = binaryRaw(op, a, b);
  return a.engine.record(out, [a, b], (g) => {
    const ga = a.requiresGrad ? gradA(op, g, a, b, out) : null;
    const gb = b.requiresGrad ? gradB(op, g, a, b, out) : null;
    return [ga, gb];
  });
}

function gradA(op: BinaryName, g: Tensor, _a: Tensor, b: Tensor, _out: Tensor): Tensor {
  if (op === "add" || op === "sub") return sumToShape(g, _a.shape);
  if (op === "mul") return sumToShape(binaryRaw("mul", g, b), _a.shape);
  return sumToShape(binaryRaw("div", g, b), _a.shape);
}

function gradB(op: BinaryName, g: Tensor, a: Tensor, b: Tensor, out: Tensor): Tensor {
  if (op === "add") return sumToShape(g, b.shape);
  if (op === "sub") return sumToShape(affine(g, -1, 0), b.shape);
  if (op === "mul") return sumToShape(binaryRaw("mul", g, a), b.shape);
  // d(a/b)/db = −a/b² = −out/b
  return sumToShape(affine(binaryRaw("div", binaryRaw("mul", g, out), b), -1, 0), b.shape);
}

export const add = (a: Tensor, b: Tensor | number) => binary("add", a, b);
export const sub = (a: Tensor, b: Tensor | number) => binary("sub", a, b);
export const mul = (a: Tensor, b: Tensor | number) => binary("mul", a, b);
export const div = (a: Tensor, b: Tensor | number) => binary("div", a, b);

defineTensorOps({ add, sub, mul, div, neg, exp, log, sqrt, pow, relu, gelu, tanh, sigmoid });
