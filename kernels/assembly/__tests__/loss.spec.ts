import { softmaxCrossEntropy, mseOneHot, mseTargets, argmaxCorrect } from "../loss";
import { allocF32 } from "../arena";
import { filledF32, getF32, setF32, setI32 } from "./helpers";

const ROWS: i32 = 6;
const COLS: i32 = 7;

function labels(): usize {
  const p = allocF32(ROWS);
  for (let r = 0; r < ROWS; r++) setI32(p, r, (r * 3) % COLS);
  return p;
}

describe("softmaxCrossEntropy", () => {
  it("matches the f64 reference loss and gradient", () => {
    const z = filledF32(ROWS * COLS, 1);
    const y = labels();
    const d = allocF32(ROWS * COLS);
    const scale: f32 = 1.0 / <f32>ROWS;
    const loss = softmaxCrossEntropy(z, y, ROWS, COLS, d, scale);
    let refLoss: f64 = 0;
    for (let r = 0; r < ROWS; r++) {
      let sum: f64 = 0;
      for (let j = 0; j < COLS; j++) sum += Math.exp(<f64>getF32(z, r * COLS + j));
      const label = (r * 3) % COLS;
      refLoss += Math.log(sum) - <f64>getF32(z, r * COLS + label);
      for (let j = 0; j < COLS; j++) {
        const p = Math.exp(<f64>getF32(z, r * COLS + j)) / sum;
        const g = (p - (j == label ? 1.0 : 0.0)) * <f64>scale;
        expect<f64>(Math.abs(<f64>getF32(d, r * COLS + j) - g)).toBeLessThan(1e-6);
      }
    }
    expect<f64>(Math.abs(loss - refLoss)).toBeLessThan(1e-5);
  });

  it("is stable for huge logits", () => {
    const z = filledF32(ROWS * COLS, 2);
    for (let i = 0; i < ROWS * COLS; i++) setF32(z, i, getF32(z, i) * 1e4);
    const d = allocF32(ROWS * COLS);
    const loss = softmaxCrossEntropy(z, labels(), ROWS, COLS, d, 1);
    expect<bool>(isFinite(loss)).toBe(true);
    for (let i = 0; i < ROWS * COLS; i++) expect<bool>(isFinite(getF32(d, i))).toBe(true);
  });

  it("gradient rows sum to zero", () => {
    const z = filledF32(ROWS * COLS, 3);
    const d = allocF32(ROWS * COLS);
    softmaxCrossEntropy(z, labels(), ROWS, COLS, d, 1);
    for (let r = 0; r < ROWS; r++) {
      let s: f64 = 0;
      for (let j = 0; j < COLS; j++) s += <f64>getF32(d, r * COLS + j);
      expect<f64>(Math.abs(s)).toBeLessThan(1e-6);
    }
  });
});

describe("mseOneHot", () => {
  it("matches the reference loss and gradient", () => {
    const out = filledF32(ROWS * COLS, 4);
    const d = allocF32(ROWS * COLS);
    const loss = mseOneHot(out, labels(), ROWS, COLS, d, 0.5);
    let ref: f64 = 0;
    for (let r = 0; r < ROWS; r++) {
      for (let j = 0; j < COLS; j++) {
        const t: f64 = j == (r * 3) % COLS ? 1 : 0;
        const diff = <f64>getF32(out, r * COLS + j) - t;
        ref += diff * diff;
        expect<f64>(Math.abs(<f64>getF32(d, r * COLS + j) - diff)).toBeLessThan(1e-6); // 2 · diff · 0.5
      }
    }
    expect<f64>(Math.abs(loss - ref)).toBeLessThan(1e-5);
  });
});

describe("mseTargets", () => {
  it("matches the reference loss and gradient at awkward sizes", () => {
    const shapes: i32[] = [1, 1, 3, 7, 13, 2, 129, 1];
    for (let s = 0; s < shapes.length; s += 2) {
      const rows = shapes[s];
      const cols = shapes[s + 1];
      const out = filledF32(rows * cols, 5 + s);
      const target = filledF32(rows * cols, 6 + s);
      const d = allocF32(rows * cols);
      const loss = mseTargets(out, target, rows, cols, d, 0.25);
      let ref: f64 = 0;
      for (let i = 0; i < rows * cols; i++) {
        const diff = <f64>getF32(out, i) - <f64>getF32(target, i);
        ref += diff * diff;
        expect<f64>(Math.abs(<f64>getF32(d, i) - diff * 0.5)).toBeLessThan(1e-6); // 2 · diff · 0.25
      }
      expect<f64>(Math.abs(loss - ref)).toBeLessThan(1e-4);
    }
  });
});

describe("argmaxCorrect", () => {
  it("counts rows whose first maximum is the label", () => {
    const z = allocF32(3 * 3);
    const y = allocF32(3);
    // row 0: max at 2 (label 2, correct); row 1: tie at 0 and 1, first wins (label 1, wrong);
    // row 2: max at 0 (label 0, correct)
    setF32(z, 2, 5); setI32(y, 0, 2);
    setF32(z, 3, 1); setF32(z, 4, 1); setI32(y, 1, 1);
    setF32(z, 6, 9); setI32(y, 2, 0);
    expect<i32>(argmaxCorrect(z, y, 3, 3)).toBe(2);
  });
});
