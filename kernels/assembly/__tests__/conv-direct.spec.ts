import { convForwardRows } from "../conv-direct";
import { im2col } from "../conv";
import { sgemm } from "../gemm";
import { allocF32 } from "../arena";
import { filledF32, getF32, sameBits } from "./helpers";
import { outSize, padBefore, refConv } from "./conv-reference";

/**
 * The sum convForwardRows promises, in scalar f32: over (ky, kx, channel) in im2col's order
 * from zero, one product at a time (padding taps add 0·w), stored as 0 + sum.
 */
function sequentialConv(x: usize, h: i32, w: i32, c: i32, wt: usize, k: i32, f: i32, stride: i32, pt: i32, pl: i32, b: i32, oy: i32, ox: i32, fo: i32): f32 {
  let acc: f32 = 0;
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const iy = oy * stride - pt + ky, ix = ox * stride - pl + kx;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      for (let ch = 0; ch < c; ch++) {
        const v: f32 = inside ? getF32(x, ((b * h + iy) * w + ix) * c + ch) : 0;
        acc += v * getF32(wt, ((ky * k + kx) * c + ch) * f + fo);
      }
    }
  }
  return <f32>0 + acc;
}

// (n, h, w, c, k, stride, same, filters): odd sizes, stride 2, both paddings (an odd total puts
// the extra one after), 1×1 and 7×7, channel counts that are and are not multiples of 4, filter
// counts that are not multiples of 8, images whose pixel count is not a multiple of 4; and the
// pixel distances read in place (stride·c = 4, 8, 16, 32) with rows that leave pixels over.
const CASES: i32[] = [
  1, 5, 7, 3, 3, 1, 1, 2,
  2, 9, 6, 5, 3, 2, 1, 3,
  1, 8, 8, 1, 5, 1, 0, 4,
  2, 7, 7, 6, 1, 1, 0, 5,
  1, 11, 9, 2, 7, 2, 1, 3,
  1, 13, 13, 3, 7, 1, 0, 1,
  3, 6, 5, 4, 2, 2, 0, 6,
  2, 6, 7, 4, 2, 1, 1, 9,
  2, 9, 11, 4, 3, 1, 1, 16,
  3, 7, 10, 8, 5, 1, 0, 16,
  2, 10, 9, 8, 3, 1, 1, 8,
  2, 12, 13, 8, 3, 2, 1, 8,
  2, 8, 8, 8, 4, 2, 1, 12,
  1, 7, 9, 16, 3, 1, 1, 24,
  2, 9, 9, 16, 1, 1, 0, 16,
  1, 6, 9, 16, 3, 2, 0, 8,
  1, 5, 6, 28, 3, 1, 1, 8,
  2, 5, 5, 13, 2, 1, 1, 7,
  2, 10, 10, 4, 7, 1, 1, 8,
];

describe("convForwardRows", () => {
  it("gives im2col then sgemm's exact bits whenever the depth is one SGEMM block (kh·kw·c ≤ 256)", () => {
    for (let t = 0; t < CASES.length; t += 8) {
      const n = CASES[t], h = CASES[t + 1], w = CASES[t + 2], c = CASES[t + 3], k = CASES[t + 4], stride = CASES[t + 5], same = CASES[t + 6] == 1, f = CASES[t + 7];
      const oh = outSize(h, k, stride, same), ow = outSize(w, k, stride, same);
      const pt = padBefore(h, k, stride, same), pl = padBefore(w, k, stride, same);
      const m = n * oh * ow, kk = k * k * c;
      expect<i32>(kk).toBeLessThanOrEqual(256);
      const x = filledF32(n * h * w * c, 210 + t), wt = filledF32(kk * f, 220 + t);
      const col = allocF32(m * kk), viaGemm = allocF32(m * f), rows = filledF32(m * f, 230 + t);
      im2col(x, n, h, w, c, k, k, stride, pt, pl, oh, ow, col);
      sgemm(false, false, m, f, kk, 1, col, kk, wt, f, 0, viaGemm, f);
      convForwardRows(x, n, h, w, c, k, k, stride, pt, pl, oh, ow, wt, f, rows);
      expect<bool>(sameBits(rows, viaGemm, m * f)).toBe(true);
    }
  });

  it("sums deeper kernels in the one sequential order (a scalar loop's bits), close to the f64 convolution", () => {
    // kh·kw·c > 256: read in place (stride·c = 32, then 16) and packed (stride·c = 40, 33).
    const cases: i32[] = [2, 7, 6, 32, 3, 1, 1, 16, 1, 9, 9, 8, 7, 2, 1, 8, 2, 6, 5, 40, 3, 1, 0, 11, 1, 8, 7, 33, 3, 1, 1, 8];
    for (let t = 0; t < cases.length; t += 8) {
      const n = cases[t], h = cases[t + 1], w = cases[t + 2], c = cases[t + 3], k = cases[t + 4], stride = cases[t + 5], same = cases[t + 6] == 1, f = cases[t + 7];
      const oh = outSize(h, k, stride, same), ow = outSize(w, k, stride, same);
      const pt = padBefore(h, k, stride, same), pl = padBefore(w, k, stride, same);
      const kk = k * k * c;
      expect<i32>(kk).toBeGreaterThan(256);
      const x = filledF32(n * h * w * c, 240 + t), wt = filledF32(kk * f, 250 + t);
      const rows = filledF32(n * oh * ow * f, 260 + t);
      convForwardRows(x, n, h, w, c, k, k, stride, pt, pl, oh, ow, wt, f, rows);
      let exact = true;
      let worst: f64 = 0;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let fo = 0; fo < f; fo++) {
              const got = getF32(rows, ((b * oh + oy) * ow + ox) * f + fo);
              const want = sequentialConv(x, h, w, c, wt, k, f, stride, pt, pl, b, oy, ox, fo);
              if (reinterpret<u32>(got) != reinterpret<u32>(want)) exact = false;
              worst = Math.max(worst, Math.abs(<f64>got - refConv(x, h, w, c, wt, k, k, f, stride, pt, pl, b, oy, ox, fo)));
            }
          }
        }
      }
      expect<bool>(exact).toBe(true);
      expect<f64>(worst).toBeLessThan(1e-3);
    }
  });

  it("writes only its output: the rows after out keep their values", () => {
    // 5 output pixels (a partial last tile) × 12 filters (a partial last panel).
    const n = 1, h = 5, w = 1, c = 4, k = 1, f = 12;
    const x = filledF32(n * h * w * c, 270), wt = filledF32(k * k * c * f, 271);
    const out = filledF32(n * h * w * f + 16, 272), before = filledF32(n * h * w * f + 16, 272);
    convForwardRows(x, n, h, w, c, k, k, 1, 0, 0, h, w, wt, f, out);
    expect<bool>(sameBits(out + (<usize>(n * h * w * f) << 2), before + (<usize>(n * h * w * f) << 2), 16)).toBe(true);
  });
});
