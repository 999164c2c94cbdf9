import { initHe, initXavier } from "../init";
import { allocF32 } from "../arena";
import { getF32, sameBits, seededRng } from "./helpers";

describe("initHe", () => {
  it("has variance 2 / fanIn and repeats per seed", () => {
    const n = 20000, fanIn = 50;
    const w = allocF32(n), w2 = allocF32(n);
    initHe(w, n, fanIn, seededRng(3, 1));
    initHe(w2, n, fanIn, seededRng(3, 1));
    let sq: f64 = 0;
    for (let i = 0; i < n; i++) sq += <f64>getF32(w, i) * <f64>getF32(w, i);
    expect<f64>(Math.abs(sq / n / (2.0 / fanIn) - 1)).toBeLessThan(0.05);
    expect<bool>(sameBits(w, w2, n)).toBe(true);
  });
});

describe("initXavier", () => {
  it("stays within ±√(6 / (fanIn + fanOut))", () => {
    const n = 5000, fanIn = 20, fanOut = 30;
    const w = allocF32(n);
    initXavier(w, n, fanIn, fanOut, seededRng(4, 1));
    const limit = Math.sqrt(6.0 / (fanIn + fanOut));
    let worst: f64 = 0, sq: f64 = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(<f64>getF32(w, i)));
      sq += <f64>getF32(w, i) * <f64>getF32(w, i);
    }
    expect<f64>(worst).toBeLessThanOrEqual(limit);
    expect<f64>(worst).toBeGreaterThan(limit * 0.99);
    expect<f64>(Math.abs(sq / n / (limit * limit / 3) - 1)).toBeLessThan(0.05);
  });
});
