// Elementwise unary operations of ctx.nn and their backward passes, on four lanes; a tail of
// fewer than four goes through the same vector code (loadTail), so every element's bits are
// those of the polynomial, wherever it sits.
import { expV, logV, tanhV, sigmoidV, geluV, geluGradV, loadTail, storeTail } from "./transcendental";

export const UNARY_EXP: i32 = 0;
export const UNARY_LOG: i32 = 1;
export const UNARY_TANH: i32 = 2;
export const UNARY_SIGMOID: i32 = 3;
export const UNARY_GELU: i32 = 4;
export const UNARY_RELU: i32 = 5;
export const UNARY_SQRT: i32 = 6;

@inline function forwardV(kind: i32, x: v128): v128 {
  if (kind == UNARY_EXP) return expV(x);
  if (kind == UNARY_LOG) return logV(x);
  if (kind == UNARY_TANH) return tanhV(x);
  if (kind == UNARY_SIGMOID) return sigmoidV(x);
  if (kind == UNARY_GELU) return geluV(x);
  if (kind == UNARY_RELU) return f32x4.max(x, f32x4.splat(0)); // NaN stays NaN
  return f32x4.sqrt(x);
}

/** y = f(x) for n elements (in place allowed). */
export function unaryForward(kind: i32, x: usize, y: usize, n: i32): void {
  // One inlined copy of the loop per kind, with the kind a constant: its dispatch folds away.
  if (kind == UNARY_EXP) forwardLoop(UNARY_EXP, x, y, n);
  else if (kind == UNARY_LOG) forwardLoop(UNARY_LOG, x, y, n);
  else if (kind == UNARY_TANH) forwardLoop(UNARY_TANH, x, y, n);
  else if (kind == UNARY_SIGMOID) forwardLoop(UNARY_SIGMOID, x, y, n);
  else if (kind == UNARY_GELU) forwardLoop(UNARY_GELU, x, y, n);
  else if (kind == UNARY_RELU) forwardLoop(UNARY_RELU, x, y, n);
  else forwardLoop(UNARY_SQRT, x, y, n);
}

@inline function forwardLoop(kind: i32, x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, forwardV(kind, v128.load(x + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, forwardV(kind, loadTail(x + o, n - i)), n - i);
  }
}

/** f'(x) · dy from whichever of x and y the derivative is cheapest in. */
@inline function backwardV(kind: i32, x: v128, y: v128, dy: v128): v128 {
  const one = f32x4.splat(1);
  if (kind == UNARY_EXP) return f32x4.mul(dy, y);
  if (kind == UNARY_LOG) return f32x4.div(dy, x);
  if (kind == UNARY_TANH) return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(y, y)));
  if (kind == UNARY_SIGMOID) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
  if (kind == UNARY_GELU) return f32x4.mul(dy, geluGradV(x));
  if (kind == UNARY_RELU) return v128.and(dy, f32x4.gt(x, f32x4.splat(0)));
  return f32x4.div(f32x4.mul(dy, f32x4.splat(0.5)), y); // sqrt
}

/** dx = f'(x) · dy, given the forward's input x and output y. */
export function unaryBackward(kind: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32): void {
  if (kind == UNARY_EXP) backwardLoop(UNARY_EXP, x, y, dy, dx, n);
  else if (kind == UNARY_LOG) backwardLoop(UNARY_LOG, x, y, dy, dx, n);
  else if (kind == UNARY_TANH) backwardLoop(UNARY_TANH, x, y, dy, dx, n);
  else if (kind == UNARY_SIGMOID) backwardLoop(UNARY_SIGMOID, x, y, dy, dx, n);
  else if (kind == UNARY_GELU) backwardLoop(UNARY_GELU, x, y, dy, dx, n);
  else if (kind == UNARY_RELU) backwardLoop(UNARY_RELU, x, y, dy, dx, n);
  else backwardLoop(UNARY_SQRT, x, y, dy, dx, n);
}

@inline function backwardLoop(kind: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, backwardV(kind, v128.load(x + o), v128.load(y + o), v128.load(dy + o)));
  }
  if (i < n) {
    const o = <usize>i << 2, c = n - i;
    storeTail(dx + o, backwardV(kind, loadTail(x + o, c), loadTail(y + o, c), loadTail(dy + o, c)), c);
  }
}

/** y = a·x + b (neg, scaling, shifting). */
export function affine(x: usize, y: usize, n: i32, a: f32, b: f32): void {
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(v128.load(x + o), va), vb));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * a + b);
  }
}

@inline function powV(x: v128, p: f32, integer: bool, odd: bool): v128 {
  if (p == 1) return x;
  if (p == 2) return f32x4.mul(x, x);
  if (p == 3) return f32x4.mul(f32x4.mul(x, x), x);
  if (p == 0.5) return f32x4.sqrt(x);
  if (p == -1) return f32x4.div(f32x4.splat(1), x);
  if (p == 0) return f32x4.splat(1);
  // |x|^p = e^{p ln|x|}; a negative base keeps its sign for odd integer p and is NaN for non-integer p.
  const r = expV(f32x4.mul(f32x4.splat(p), logV(f32x4.abs(x))));
  const negative = f32x4.lt(x, f32x4.splat(0));
  if (!integer) return v128.bitselect(f32x4.splat(NaN), r, negative);
  if (odd) return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
  return r;
}

/** y = x^p for a scalar exponent p (exact for p in {0, ½, ±1, 2, 3}). */
export function powScalar(x: usize, y: usize, n: i32, p: f32): void {
  const integer = Mathf.floor(p) == p;
  const odd = integer && Mathf.abs(p) < 16777216 && (<i32>p & 1) != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, powV(v128.load(x + o), p, integer, odd));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, powV(loadTail(x + o, n - i), p, integer, odd), n - i);
  }
}

/** dx = dy · p · x^(p−1). */
export function powScalarBackward(x: usize, dy: usize, dx: usize, n: i32, p: f32): void {
  const q = p - 1;
  const integer = Mathf.floor(q) == q;
  const odd = integer && Mathf.abs(q) < 16777216 && (<i32>q & 1) != 0;
  const vp = f32x4.splat(p);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(vp, powV(v128.load(x + o), q, integer, odd))));
  }
  if (i < n) {
    const o = <usize>i << 2, c = n - i;
    storeTail(dx + o, f32x4.mul(loadTail(dy + o, c), f32x4.mul(vp, powV(loadTail(x + o, c), q, integer, odd))), c);
  }
}
