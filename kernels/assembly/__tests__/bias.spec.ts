import { biasAdd, biasGrad } from "../bias";
import { allocF32 } from "../arena";
import { filledF32, getF32, copyF32 } from "./helpers";

const COLS: i32[] = [1, 3, 4, 7, 13, 33, 129];

describe("biasAdd", () => {
  it("adds the bias to every row", () => {
    for (let s = 0; s < COLS.length; s++) {
      const cols = COLS[s], rows = 5;
      const z = filledF32(rows * cols, 1);
      const z0 = copyF32(z, rows * cols);
      const b = filledF32(cols, 2);
      biasAdd(z, b, rows, cols);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          expect<f32>(getF32(z, r * cols + j)).toBe(getF32(z0, r * cols + j) + getF32(b, j));
        }
      }
    }
  });
});

describe("biasGrad", () => {
  it("sums each column over rows in row order", () => {
    for (let s = 0; s < COLS.length; s++) {
      const cols = COLS[s], rows = 37;
      const dz = filledF32(rows * cols, 3);
      const db = filledF32(cols, 4); // must be overwritten, not accumulated
      biasGrad(dz, db, rows, cols);
      for (let j = 0; j < cols; j++) {
        let acc: f32 = 0;
        for (let r = 0; r < rows; r++) acc += getF32(dz, r * cols + j);
        expect<f32>(getF32(db, j)).toBe(acc, "column " + j.toString());
      }
    }
  });

  it("gives zeros for zero rows", () => {
    const db = filledF32(5, 4);
    biasGrad(allocF32(0), db, 0, 5);
    for (let j = 0; j < 5; j++) expect<f32>(getF32(db, j)).toBe(0);
  });
});
