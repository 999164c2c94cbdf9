import { sumAxis, axpy, sumSquares, maxAxis } from "../reduce";
import { allocF32 } from "../arena";
import { filledF32, getF32, getI32, setF32 } from "./helpers";

function lane(x: usize, j: i32): f32 {
  return getF32(x, j) + getF32(x, j + 4);
}

describe("sumAxis", () => {
  it("a row sums in four fixed lanes, (l0 + l1) + (l2 + l3), then the tail in order", () => {
    const n = 11;
    const x = filledF32(n, 1);
    const out = allocF32(1);
    sumAxis(x, out, 1, n, 1);
    let expected: f32 = (lane(x, 0) + lane(x, 1)) + (lane(x, 2) + lane(x, 3));
    for (let i = 8; i < n; i++) expected += getF32(x, i);
    expect<f32>(getF32(out, 0)).toBe(expected);
  });
  it("a middle axis adds its rows in order", () => {
    const x = filledF32(2 * 3 * 5, 2);
    const out = allocF32(2 * 5);
    sumAxis(x, out, 2, 3, 5);
    for (let o = 0; o < 2; o++) {
      for (let i = 0; i < 5; i++) {
        const expected: f32 = (getF32(x, o * 15 + i) + getF32(x, o * 15 + 5 + i)) + getF32(x, o * 15 + 10 + i);
        expect<f32>(getF32(out, o * 5 + i)).toBe(expected);
      }
    }
  });
});

describe("axpy, sumSquares, maxAxis", () => {
  it("y += a·x; Σx² in f64; the first maximum's index", () => {
    const x = filledF32(7, 3), y = filledF32(7, 4), y0 = allocF32(7);
    memory.copy(y0, y, 28);
    axpy(y, x, 7, 0.5);
    for (let i = 0; i < 7; i++) expect<f32>(getF32(y, i)).toBe(getF32(y0, i) + <f32>0.5 * getF32(x, i));
    let s: f64 = 0;
    for (let i = 0; i < 7; i++) s += <f64>getF32(x, i) * <f64>getF32(x, i);
    expect<f64>(sumSquares(x, 7)).toBe(s);
    const m = allocF32(4);
    setF32(m, 0, 1); setF32(m, 1, 3); setF32(m, 2, 3); setF32(m, 3, -1);
    const best = allocF32(1), at = allocF32(1);
    maxAxis(m, best, at, 1, 4, 1);
    expect<f32>(getF32(best, 0)).toBe(3);
    expect<i32>(getI32(at, 0)).toBe(1);
  });
});
