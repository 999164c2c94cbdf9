import { unaryForward, unaryBackward, powScalar, UNARY_EXP, UNARY_LOG, UNARY_TANH, UNARY_SIGMOID, UNARY_GELU, UNARY_RELU, UNARY_SQRT } from "../unary";
import { allocF32 } from "../arena";
import { getF32, setF32 } from "./helpers";

const N: i32 = 4001; // odd: the last element goes through the tail path

/** x_i spread evenly over [lo, hi]. */
function grid(lo: f64, hi: f64): usize {
  const p = allocF32(N);
  for (let i = 0; i < N; i++) setF32(p, i, <f32>(lo + (hi - lo) * <f64>i / <f64>(N - 1)));
  return p;
}

function refOf(kind: i32, x: f64): f64 {
  if (kind == UNARY_EXP) return Math.exp(x);
  if (kind == UNARY_LOG) return Math.log(x);
  if (kind == UNARY_TANH) return Math.tanh(x);
  if (kind == UNARY_SIGMOID) return 1 / (1 + Math.exp(-x));
  const u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return x / (1 + Math.exp(-2 * u)); // = ½x(1 + tanh u), without its cancellation for x < 0
}

/** Largest |f(x) − ref(x)| / max(|ref(x)|, floor) over the grid. */
function maxRelError(kind: i32, x: usize, floor: f64): f64 {
  const y = allocF32(N);
  unaryForward(kind, x, y, N);
  let worst: f64 = 0;
  for (let i = 0; i < N; i++) {
    const r = refOf(kind, <f64>getF32(x, i));
    const e = Math.abs(<f64>getF32(y, i) - r) / Math.max(Math.abs(r), floor);
    if (e > worst) worst = e;
  }
  return worst;
}

function one(kind: i32, v: f32): f32 {
  const x = allocF32(1), y = allocF32(1);
  setF32(x, 0, v);
  unaryForward(kind, x, y, 1);
  return getF32(y, 0);
}

describe("polynomial transcendentals: accuracy", () => {
  it("exp within 3e-7 relative over [-87, 88]", () => {
    expect<f64>(maxRelError(UNARY_EXP, grid(-87, 88), 0)).toBeLessThan(3e-7);
  });
  it("log within 3e-7 relative (1e-7 absolute near 1) over [1e-30, 1e30] and [0.5, 2]", () => {
    const x = allocF32(N);
    for (let i = 0; i < N; i++) setF32(x, i, <f32>Math.pow(10, -30 + 60 * <f64>i / <f64>(N - 1)));
    expect<f64>(maxRelError(UNARY_LOG, x, 0)).toBeLessThan(3e-7);
    expect<f64>(maxRelError(UNARY_LOG, grid(0.5, 2), 1)).toBeLessThan(1e-7);
  });
  it("tanh within 4e-7 relative over [-10, 10] and near 0", () => {
    expect<f64>(maxRelError(UNARY_TANH, grid(-10, 10), 0)).toBeLessThan(4e-7);
    expect<f64>(maxRelError(UNARY_TANH, grid(-1e-3, 1e-3), 0)).toBeLessThan(4e-7);
  });
  it("sigmoid within 5e-7 relative over [-80, 30]", () => {
    expect<f64>(maxRelError(UNARY_SIGMOID, grid(-80, 30), 0)).toBeLessThan(5e-7);
  });
  it("gelu (tanh form) within 1e-6 relative over [-3, 9], 2e-5 over [-9, -3]", () => {
    expect<f64>(maxRelError(UNARY_GELU, grid(-3, 9), 1e-30)).toBeLessThan(1e-6);
    // Far left, gelu is x·e^{2u} with |2u| up to ~70: the f32 rounding of 2u alone is ~4e-6 of e^{2u}.
    expect<f64>(maxRelError(UNARY_GELU, grid(-9, -3), 1e-30)).toBeLessThan(2e-5);
  });
});

describe("polynomial transcendentals: special values", () => {
  it("exp: 0 → 1, large → inf, very negative → 0, NaN → NaN", () => {
    expect<f32>(one(UNARY_EXP, 0)).toBe(1);
    expect<f32>(one(UNARY_EXP, 89)).toBe(Infinity);
    expect<f32>(one(UNARY_EXP, Infinity)).toBe(Infinity);
    expect<f32>(one(UNARY_EXP, -200)).toBe(0);
    expect<f32>(one(UNARY_EXP, -Infinity)).toBe(0);
    expect<bool>(isNaN(one(UNARY_EXP, NaN))).toBe(true);
  });
  it("log: 1 → 0, 0 → −inf, inf → inf, negative and NaN → NaN", () => {
    expect<f32>(one(UNARY_LOG, 1)).toBe(0);
    expect<f32>(one(UNARY_LOG, 0)).toBe(-Infinity);
    expect<f32>(one(UNARY_LOG, Infinity)).toBe(Infinity);
    expect<bool>(isNaN(one(UNARY_LOG, -1))).toBe(true);
    expect<bool>(isNaN(one(UNARY_LOG, NaN))).toBe(true);
  });
  it("tanh, sigmoid, gelu at 0, ±large and NaN", () => {
    expect<f32>(one(UNARY_TANH, 0)).toBe(0);
    expect<f32>(one(UNARY_TANH, 50)).toBe(1);
    expect<f32>(one(UNARY_TANH, -50)).toBe(-1);
    expect<f32>(one(UNARY_TANH, Infinity)).toBe(1);
    expect<bool>(isNaN(one(UNARY_TANH, NaN))).toBe(true);
    expect<f32>(one(UNARY_SIGMOID, 0)).toBe(0.5);
    expect<f32>(one(UNARY_SIGMOID, 100)).toBe(1);
    expect<f32>(one(UNARY_SIGMOID, -200)).toBe(0);
    expect<bool>(isNaN(one(UNARY_SIGMOID, NaN))).toBe(true);
    expect<f32>(one(UNARY_GELU, 0)).toBe(0);
    expect<f32>(one(UNARY_GELU, 100)).toBe(100);
    expect<f32>(one(UNARY_GELU, -100)).toBe(-0);
    expect<bool>(isNaN(one(UNARY_GELU, NaN))).toBe(true);
    expect<bool>(isNaN(one(UNARY_RELU, NaN))).toBe(true);
    expect<bool>(isNaN(one(UNARY_SQRT, -1))).toBe(true);
  });
  it("a tail element gets the same bits as the same value inside a vector", () => {
    const x = grid(-3, 3);
    const y = allocF32(N);
    unaryForward(UNARY_TANH, x, y, N);
    expect<f32>(one(UNARY_TANH, getF32(x, N - 1))).toBe(getF32(y, N - 1));
    expect<f32>(one(UNARY_TANH, getF32(x, 5))).toBe(getF32(y, 5));
  });
});

describe("unary backward", () => {
  it("tanh and gelu derivatives match central differences of the f64 reference", () => {
    const x = grid(-4, 4);
    const y = allocF32(N), dy = allocF32(N), dx = allocF32(N);
    for (let i = 0; i < N; i++) setF32(dy, i, 1);
    for (let k = 0; k < 2; k++) {
      const kind = k == 0 ? UNARY_TANH : UNARY_GELU;
      unaryForward(kind, x, y, N);
      unaryBackward(kind, x, y, dy, dx, N);
      let worst: f64 = 0;
      for (let i = 0; i < N; i++) {
        const v = <f64>getF32(x, i), h = 1e-5;
        const d = (refOf(kind, v + h) - refOf(kind, v - h)) / (2 * h);
        worst = Math.max(worst, Math.abs(<f64>getF32(dx, i) - d));
      }
      expect<f64>(worst).toBeLessThan(2e-6);
    }
  });
});

describe("pow", () => {
  it("is exact for p = 2 and keeps the sign of a negative base for odd p", () => {
    const x = allocF32(5), y = allocF32(5);
    setF32(x, 0, -3); setF32(x, 1, 1.5); setF32(x, 2, 0); setF32(x, 3, 2); setF32(x, 4, -2);
    powScalar(x, y, 5, 2);
    expect<f32>(getF32(y, 0)).toBe(9);
    powScalar(x, y, 5, 5);
    expect<f64>(Math.abs(<f64>getF32(y, 4) + 32)).toBeLessThan(32 * 1e-6);
    expect<f32>(getF32(y, 2)).toBe(0);
    powScalar(x, y, 5, 1.5);
    expect<bool>(isNaN(getF32(y, 0))).toBe(true);
    expect<f64>(Math.abs(<f64>getF32(y, 3) - Math.pow(2, 1.5))).toBeLessThan(3e-6);
  });
});
