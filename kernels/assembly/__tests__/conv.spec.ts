import { im2col, col2im } from "../conv";
import { sgemm } from "../gemm";
import { allocF32 } from "../arena";
import { filledF32, getF32, sameBits } from "./helpers";
import { outSize, padBefore, refConv } from "./conv-reference";

// (n, h, w, c, k, stride, same, filters): odd sizes, stride 2, both paddings, 1×1 and 7×7, channels not multiples of 4.
const CASES: i32[] = [
  1, 5, 7, 3, 3, 1, 1, 2,
  2, 9, 6, 5, 3, 2, 1, 3,
  1, 8, 8, 1, 5, 1, 0, 4,
  2, 7, 7, 6, 1, 1, 0, 5,
  1, 11, 9, 2, 7, 2, 1, 3,
  1, 13, 13, 3, 7, 1, 0, 1,
  3, 6, 5, 4, 2, 2, 0, 6,
];

describe("im2col", () => {
  it("gathers every tap, zero in the padding, so col · W is the direct convolution", () => {
    for (let t = 0; t < CASES.length; t += 8) {
      const n = CASES[t], h = CASES[t + 1], w = CASES[t + 2], c = CASES[t + 3], k = CASES[t + 4], stride = CASES[t + 5], same = CASES[t + 6] == 1, f = CASES[t + 7];
      const oh = outSize(h, k, stride, same), ow = outSize(w, k, stride, same);
      const pt = padBefore(h, k, stride, same), pl = padBefore(w, k, stride, same);
      const x = filledF32(n * h * w * c, 10 + t);
      const wt = filledF32(k * k * c * f, 20 + t);
      const kk = k * k * c;
      const col = allocF32(n * oh * ow * kk);
      im2col(x, n, h, w, c, k, k, stride, pt, pl, oh, ow, col);
      for (let row = 0; row < n * oh * ow; row++) {
        const b = row / (oh * ow), oy = (row / ow) % oh, ox = row % ow;
        for (let fo = 0; fo < f; fo++) {
          let acc: f64 = 0;
          for (let j = 0; j < kk; j++) acc += <f64>getF32(col, row * kk + j) * <f64>getF32(wt, j * f + fo);
          const ref = refConv(x, h, w, c, wt, k, k, f, stride, pt, pl, b, oy, ox, fo);
          expect<f64>(Math.abs(acc - ref)).toBeLessThan(1e-4);
        }
      }
    }
  });
});

describe("col2im", () => {
  it("is the adjoint fo im2col: <im2col(x), g> = <x, col2im(g)>", () => {
    for (let t = 0; t < CASES.length; t += 8) {
      const n = CASES[t], h = CASES[t + 1], w = CASES[t + 2], c = CASES[t + 3], k = CASES[t + 4], stride = CASES[t + 5], same = CASES[t + 6] == 1;
      const oh = outSize(h, k, stride, same), ow = outSize(w, k, stride, same);
      const pt = padBefore(h, k, stride, same), pl = padBefore(w, k, stride, same);
      const size = n * h * w * c, cols = n * oh * ow * k * k * c;
      const x = filledF32(size, 30 + t);
      const g = filledF32(cols, 40 + t);
      const col = allocF32(cols);
      const dx = filledF32(size, 50 + t); // garbage: col2im must clear it
      im2col(x, n, h, w, c, k, k, stride, pt, pl, oh, ow, col);
      col2im(g, n, h, w, c, k, k, stride, pt, pl, oh, ow, dx);
      let left: f64 = 0, right: f64 = 0;
      for (let i = 0; i < cols; i++) left += <f64>getF32(col, i) * <f64>getF32(g, i);
      for (let i = 0; i < size; i++) right += <f64>getF32(x, i) * <f64>getF32(dx, i);
      expect<f64>(Math.abs(left - right)).toBeLessThan(1e-3);
    }
  });

  it("adds overlapping taps into the same input element", () => {
    // 1×3×1×1 input, 2-wide kernel, stride 1, valid: the middle element is in both windows.
    const g = allocF32(4);
    for (let i = 0; i < 4; i++) store<f32>(g + (<usize>i << 2), <f32>(i + 1));
    const dx = allocF32(3);
    col2im(g, 1, 1, 3, 1, 1, 2, 1, 0, 0, 1, 2, dx);
    expect<f32>(getF32(dx, 0)).toBe(1);
    expect<f32>(getF32(dx, 1)).toBe(5); // 2 + 3
    expect<f32>(getF32(dx, 2)).toBe(4);
  });
});
