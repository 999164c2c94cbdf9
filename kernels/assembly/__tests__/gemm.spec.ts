import { sgemm } from "../gemm";
import { allocF32 } from "../arena";
import { filledF32, getF32, setF32, copyF32, maxAbsDiffRef, sameBits } from "./helpers";

/** Scalar reference in f64: alpha · op(A) · op(B) + beta · C0. */
function reference(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c0: usize, ldc: i32,
): StaticArray<f64> {
  const out = new StaticArray<f64>(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? getF32(a, p * lda + i) : getF32(a, i * lda + p);
        const bv = transB ? getF32(b, j * ldb + p) : getF32(b, p * ldb + j);
        s += <f64>av * <f64>bv;
      }
      const prior = beta == 0 ? 0 : beta * <f64>getF32(c0, i * ldc + j);
      out[i * n + j] = alpha * s + prior;
    }
  }
  return out;
}

/** Runs one case with C's leading dimension padded by `pad` columns; returns the max error. */
function check(transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32, beta: f32, pad: i32): f64 {
  const lda = (transA ? m : k) + pad;
  const ldb = (transB ? k : n) + pad;
  const ldc = n + pad;
  const a = filledF32((transA ? k : m) * lda, 1);
  const b = filledF32((transB ? n : k) * ldb, 2);
  const c = filledF32(m * ldc, 3);
  const c0 = copyF32(c, m * ldc);
  const ref = reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  // Compare the m×n window; the padding columns must be untouched.
  const packed = allocF32(m * n);
  let paddingChanged = false;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      if (j < n) setF32(packed, i * n + j, getF32(c, i * ldc + j));
      else if (getF32(c, i * ldc + j) != getF32(c0, i * ldc + j)) paddingChanged = true;
    }
  }
  expect<bool>(paddingChanged).toBe(false, "sgemm wrote outside the m×n window");
  return maxAbsDiffRef(packed, ref, m * n) / <f64>max(k, 1);
}

const SIZES: i32[] = [1, 3, 7, 13, 33, 127, 129];

describe("sgemm", () => {
  it("matches the scalar reference at awkward sizes, in every transpose form", () => {
    for (let form = 0; form < 4; form++) {
      const transA = (form & 1) != 0;
      const transB = (form & 2) != 0;
      for (let s = 0; s < SIZES.length; s++) {
        const m = SIZES[s];
        const n = SIZES[(s + 2) % SIZES.length];
        const k = SIZES[(s + 4) % SIZES.length];
        const err = check(transA, transB, m, n, k, 1, 0, 0);
        expect<f64>(err).toBeLessThan(2e-7, `form ${form} ${m}x${n}x${k}`);
      }
    }
  });

  it("handles every size pair 1..13 and depths past one cache block", () => {
    for (let m = 1; m <= 13; m += 3) {
      for (let n = 1; n <= 13; n += 2) {
        expect<f64>(check(false, false, m, n, 7, 1, 0, 0)).toBeLessThan(2e-7);
        expect<f64>(check(true, true, m, n, 300, 1, 0, 0)).toBeLessThan(2e-7);
      }
    }
    expect<f64>(check(false, false, 9, 2100, 3, 1, 0, 0)).toBeLessThan(2e-7); // > one N block
    expect<f64>(check(true, false, 140, 9, 600, 1, 0, 0)).toBeLessThan(2e-7); // > one M and K block
  });

  it("applies alpha and beta, and honours leading dimensions", () => {
    expect<f64>(check(false, false, 13, 33, 7, 0.5, 2, 0)).toBeLessThan(2e-7);
    expect<f64>(check(true, false, 33, 13, 127, -1.5, 1, 3)).toBeLessThan(2e-7);
    expect<f64>(check(false, true, 7, 129, 13, 1, -0.25, 5)).toBeLessThan(2e-7);
    expect<f64>(check(true, true, 129, 7, 33, 2, 0.5, 1)).toBeLessThan(2e-7);
  });

  it("beta = 0 overwrites C even where it held NaN", () => {
    const a = filledF32(4 * 5, 1);
    const b = filledF32(5 * 6, 2);
    const c = allocF32(4 * 6);
    for (let i = 0; i < 24; i++) setF32(c, i, NaN);
    sgemm(false, false, 4, 6, 5, 1, a, 5, b, 6, 0, c, 6);
    let nans = 0;
    for (let i = 0; i < 24; i++) if (isNaN(getF32(c, i))) nans++;
    expect<i32>(nans).toBe(0);
  });

  it("k = 0 only scales C", () => {
    const c = filledF32(3 * 3, 4);
    const c0 = copyF32(c, 9);
    sgemm(false, false, 3, 3, 0, 1, 0, 1, 0, 3, 2, c, 3);
    for (let i = 0; i < 9; i++) expect<f32>(getF32(c, i)).toBe(getF32(c0, i) * 2);
  });

  it("reads small operands in place with the packed path's exact bits (whole tiles, one depth block)", () => {
    // m % 4 == 0, n % 8 == 0, k ≤ 256 takes the in-place path; A·(Bᵀ)ᵀ through transB is packed.
    const shapes: i32[] = [4, 8, 1, 8, 16, 25, 64, 8, 200, 12, 24, 256, 16, 200, 16];
    for (let s = 0; s < shapes.length; s += 3) {
      const m = shapes[s], n = shapes[s + 1], k = shapes[s + 2];
      const a = filledF32(m * k, 200 + s), b = filledF32(k * n, 210 + s);
      const bt = allocF32(k * n);
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) setF32(bt, j * k + p, getF32(b, p * n + j));
      const direct = filledF32(m * n, 220 + s);
      const packed = copyF32(direct, m * n);
      sgemm(false, false, m, n, k, 0.75, a, k, b, n, 0.5, direct, n);
      sgemm(false, true, m, n, k, 0.75, a, k, bt, k, 0.5, packed, n);
      expect<bool>(sameBits(direct, packed, m * n)).toBe(true);
    }
  });

  it("is bit-for-bit deterministic", () => {
    const a = filledF32(127 * 300, 5);
    const b = filledF32(300 * 129, 6);
    const c1 = allocF32(127 * 129);
    const c2 = allocF32(127 * 129);
    sgemm(false, false, 127, 129, 300, 1, a, 300, b, 129, 0, c1, 129);
    sgemm(false, false, 127, 129, 300, 1, a, 300, b, 129, 0, c2, 129);
    expect<bool>(sameBits(c1, c2, 127 * 129)).toBe(true);
  });
});
