// Transcendentals on four lanes: the same polynomials on every machine (Cephes-style range
// reduction and minimax coefficients), mul then add (no fused multiply-add), so an element's
// bits never depend on the host's libm or on where it sits in a vector. Normal inputs only:
// results that would be subnormal flush to 0.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** Above this exp overflows f32. */
const EXP_OVERFLOW: f32 = 88.72283935546875;
/** Below this exp is subnormal: flushed to 0. */
const EXP_UNDERFLOW: f32 = -87.33654022216797;
const SQRT_HALF: f32 = 0.707106781186547524;

@inline function poly(acc: v128, x: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(acc, x), f32x4.splat(c));
}

/** 2^n for integer lanes n in [-126, 127], built in the exponent bits. */
@inline function pow2(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
}

/** e^x: x = n·ln2 + r, |r| ≤ ln2/2; e^r by a degree-7 polynomial; 2^n in two halves so n = 128 fits. */
@inline export function expV(x: v128): v128 {
  // pmin/pmax (one instruction each on x64) keep a NaN x: x is their first operand.
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_OVERFLOW)), f32x4.splat(EXP_UNDERFLOW));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(r, r);
  let y = f32x4.splat(1.9875691500e-4);
  y = poly(y, r, 1.3981999507e-3);
  y = poly(y, r, 8.3334519073e-3);
  y = poly(y, r, 4.1665795894e-2);
  y = poly(y, r, 1.6666665459e-1);
  y = poly(y, r, 5.0000001201e-1);
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1));
  // fx is integral and small: adding 1.5·2^23 puts it in the low mantissa bits (cheaper than trunc_sat).
  const n = i32x4.sub(f32x4.add(fx, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
  const half = i32x4.shr_s(n, 1);
  y = f32x4.mul(f32x4.mul(y, pow2(half)), pow2(i32x4.sub(n, half)));
  // Past the range: +inf above, 0 below (NaN compares false and stays NaN).
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(EXP_OVERFLOW)));
  return v128.andnot(y, f32x4.lt(x, f32x4.splat(EXP_UNDERFLOW)));
}

/** ln x: x = m·2^e with m in [√½, √2); ln(m) by a degree-9 polynomial. log 0 = −inf, log(<0) = NaN. */
@inline export function logV(x: v128): v128 {
  const bits = x;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126));
  let m = v128.or(v128.and(bits, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const small = f32x4.lt(m, f32x4.splat(SQRT_HALF));
  e = i32x4.add(e, small); // true lanes are −1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = poly(y, m, -1.1514610310e-1);
  y = poly(y, m, 1.1676998740e-1);
  y = poly(y, m, -1.2420140846e-1);
  y = poly(y, m, 1.4249322787e-1);
  y = poly(y, m, -1.6668057665e-1);
  y = poly(y, m, 2.0000714765e-1);
  y = poly(y, m, -2.4999993993e-1);
  y = poly(y, m, 3.3333331174e-1);
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(m, y);
  r = f32x4.add(r, f32x4.mul(fe, f32x4.splat(LN2_HI)));
  // Special values: x = +inf → inf, x = 0 → −inf, x < 0 or NaN → NaN.
  r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  const invalid = v128.not(f32x4.ge(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(NaN), r, invalid);
}

/** tanh: an odd polynomial below |x| = 0.625 (no cancellation), 1 − 2/(e^{2|x|} + 1) above. */
@inline export function tanhV(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = poly(p, z, 2.06390887954e-2);
  p = poly(p, z, -5.37397155531e-2);
  p = poly(p, z, 1.33314422036e-1);
  p = poly(p, z, -3.33332819422e-1);
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = expV(f32x4.add(ax, ax));
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

/** 1 / (1 + e^−x): e^−x overflows to inf for very negative x, giving 0. */
@inline export function sigmoidV(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expV(f32x4.neg(x))));
}

export const GELU_K: f32 = 0.7978845608028654; // √(2/π)
export const GELU_C: f32 = 0.044715;

/** GELU, tanh form: x · ½(1 + tanh u) = x · sigmoid(2u), u = √(2/π)(x + 0.044715x³); no cancellation for x < 0. */
@inline export function geluV(x: v128): v128 {
  return f32x4.mul(x, sigmoidV(geluTwoU(x)));
}

@inline export function geluTwoU(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), x3)));
  return f32x4.add(u, u);
}

/** d gelu / dx = s + x · s(1 − s) · 2u', s = sigmoid(2u), u' = √(2/π)(1 + 3·0.044715x²). */
@inline export function geluGradV(x: v128): v128 {
  const s = sigmoidV(geluTwoU(x));
  const du = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(3 * GELU_C), f32x4.mul(x, x))));
  const ds = f32x4.mul(s, f32x4.sub(f32x4.splat(1), s));
  return f32x4.add(s, f32x4.mul(f32x4.mul(x, ds), f32x4.add(du, du)));
}

/** Loads up to 3 tail elements into lanes (the rest 0), so a tail gets the vector path's bits. */
@inline export function loadTail(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline export function storeTail(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
