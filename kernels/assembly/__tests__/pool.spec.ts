import { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward } from "../pool";
import { allocF32 } from "../arena";
import { filledF32, getF32, setF32 } from "./helpers";

// (n, h, w, c, size, stride): odd sizes, channels not multiples of 4, stride ≠ size.
const CASES: i32[] = [1, 4, 4, 1, 2, 2, 2, 7, 5, 3, 2, 2, 1, 9, 9, 6, 3, 2, 2, 6, 8, 5, 3, 3, 1, 5, 5, 4, 2, 1];

describe("maxPool", () => {
  it("takes each window's first maximum and routes the gradient back to it", () => {
    for (let t = 0; t < CASES.length; t += 6) {
      const n = CASES[t], h = CASES[t + 1], w = CASES[t + 2], c = CASES[t + 3], size = CASES[t + 4], stride = CASES[t + 5];
      const oh = (h - size) / stride + 1, ow = (w - size) / stride + 1;
      const x = filledF32(n * h * w * c, 60 + t);
      const outs = n * oh * ow * c;
      const y = allocF32(outs), arg = allocF32(outs);
      maxPoolForward(x, n, h, w, c, size, stride, oh, ow, y, arg);
      for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
        let best: f32 = -Infinity;
        for (let ky = 0; ky < size; ky++) for (let kx = 0; kx < size; kx++) best = max(best, getF32(x, ((b * h + oy * stride + ky) * w + ox * stride + kx) * c + ch));
        const o = ((b * oh + oy) * ow + ox) * c + ch;
        expect<f32>(getF32(y, o)).toBe(best);
        expect<f32>(getF32(x, load<i32>(arg + (<usize>o << 2)))).toBe(best);
      }
      const dy = filledF32(outs, 70 + t);
      const dx = filledF32(n * h * w * c, 80 + t);
      maxPoolBackward(dy, arg, outs, dx, n * h * w * c);
      let sumDy: f64 = 0, sumDx: f64 = 0;
      for (let i = 0; i < outs; i++) sumDy += <f64>getF32(dy, i);
      for (let i = 0; i < n * h * w * c; i++) sumDx += <f64>getF32(dx, i);
      expect<f64>(Math.abs(sumDy - sumDx)).toBeLessThan(1e-4);
    }
  });

  it("ties go to the first element of the window", () => {
    const x = allocF32(4);
    for (let i = 0; i < 4; i++) setF32(x, i, 1);
    const y = allocF32(1), arg = allocF32(1);
    maxPoolForward(x, 1, 2, 2, 1, 2, 2, 1, 1, y, arg);
    expect<i32>(load<i32>(arg)).toBe(0);
  });
});

describe("avgPool", () => {
  it("averages each window, and spreads the gradient evenly (the adjoint)", () => {
    for (let t = 0; t < CASES.length; t += 6) {
      const n = CASES[t], h = CASES[t + 1], w = CASES[t + 2], c = CASES[t + 3], size = CASES[t + 4], stride = CASES[t + 5];
      const oh = (h - size) / stride + 1, ow = (w - size) / stride + 1;
      const x = filledF32(n * h * w * c, 90 + t);
      const outs = n * oh * ow * c;
      const y = allocF32(outs);
      avgPoolForward(x, n, h, w, c, size, stride, oh, ow, y);
      for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
        let acc: f64 = 0;
        for (let ky = 0; ky < size; ky++) for (let kx = 0; kx < size; kx++) acc += <f64>getF32(x, ((b * h + oy * stride + ky) * w + ox * stride + kx) * c + ch);
        expect<f64>(Math.abs(<f64>getF32(y, ((b * oh + oy) * ow + ox) * c + ch) - acc / <f64>(size * size))).toBeLessThan(1e-6);
      }
      const g = filledF32(outs, 100 + t);
      const dx = filledF32(n * h * w * c, 110 + t);
      avgPoolBackward(g, n, h, w, c, size, stride, oh, ow, dx);
      let left: f64 = 0, right: f64 = 0;
      for (let i = 0; i < outs; i++) left += <f64>getF32(y, i) * <f64>getF32(g, i);
      for (let i = 0; i < n * h * w * c; i++) right += <f64>getF32(x, i) * <f64>getF32(dx, i);
      expect<f64>(Math.abs(left - right)).toBeLessThan(1e-4);
    }
  });
});
