import { softmaxRows, softmaxRowsBackward, nllLoss, nllLossBackward } from "../softmax";
import { allocF32 } from "../arena";
import { filledF32, getF32, setI32 } from "./helpers";

const ROWS: i32 = 3, COLS: i32 = 7;

describe("softmaxRows", () => {
  it("rows are probabilities matching the f64 reference; log-softmax is their log", () => {
    const x = filledF32(ROWS * COLS, 5);
    const p = allocF32(ROWS * COLS), lp = allocF32(ROWS * COLS);
    softmaxRows(x, p, ROWS, COLS, false);
    softmaxRows(x, lp, ROWS, COLS, true);
    for (let r = 0; r < ROWS; r++) {
      let s: f64 = 0;
      for (let j = 0; j < COLS; j++) s += Math.exp(<f64>getF32(x, r * COLS + j));
      for (let j = 0; j < COLS; j++) {
        const ref = Math.exp(<f64>getF32(x, r * COLS + j)) / s;
        expect<f64>(Math.abs(<f64>getF32(p, r * COLS + j) - ref)).toBeLessThan(1e-6);
        expect<f64>(Math.abs(<f64>getF32(lp, r * COLS + j) - Math.log(ref))).toBeLessThan(1e-6);
      }
    }
  });
  it("large logits do not overflow", () => {
    const x = allocF32(2), y = allocF32(2);
    store<f32>(x, 1000);
    store<f32>(x, 999, 4);
    softmaxRows(x, y, 1, 2, false);
    expect<f64>(Math.abs(<f64>getF32(y, 0) - 1 / (1 + Math.exp(-1)))).toBeLessThan(1e-6);
  });
  it("backward of softmax is y·(dy − Σ dy·y)", () => {
    const x = filledF32(COLS, 6), dy = filledF32(COLS, 7);
    const y = allocF32(COLS), dx = allocF32(COLS), scratch = allocF32(COLS);
    softmaxRows(x, y, 1, COLS, false);
    softmaxRowsBackward(y, dy, dx, 1, COLS, false, scratch);
    let s: f64 = 0;
    for (let j = 0; j < COLS; j++) s += <f64>getF32(dy, j) * <f64>getF32(y, j);
    for (let j = 0; j < COLS; j++) {
      expect<f64>(Math.abs(<f64>getF32(dx, j) - <f64>getF32(y, j) * (<f64>getF32(dy, j) - s))).toBeLessThan(1e-6);
    }
  });
});

describe("nllLoss", () => {
  it("is the mean of −logp at the labels; a label out of range names its row", () => {
    const lp = filledF32(2 * 3, 8);
    const labels = allocF32(2), out = allocF32(1);
    setI32(labels, 0, 2);
    setI32(labels, 1, 0);
    expect<i32>(nllLoss(lp, labels, 2, 3, out)).toBe(-1);
    expect<f32>(getF32(out, 0)).toBe(<f32>(-(<f64>getF32(lp, 2) + <f64>getF32(lp, 3)) / 2));
    const d = allocF32(6), g = allocF32(1);
    store<f32>(g, 1);
    nllLossBackward(labels, 2, 3, g, d);
    expect<f32>(getF32(d, 2)).toBe(-0.5);
    expect<f32>(getF32(d, 0)).toBe(0);
    setI32(labels, 1, 3);
    expect<i32>(nllLoss(lp, labels, 2, 3, out)).toBe(1);
  });
});
