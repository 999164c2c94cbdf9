import { binaryBroadcast, BINARY_SUB, BINARY_DIV } from "../elementwise";
import { stridedCopy } from "../strided";
import { allocF32 } from "../arena";
import { filledF32, getF32, setI32 } from "./helpers";

function meta(values: i32[]): usize {
  const p = allocF32(values.length + 8);
  for (let i = 0; i < values.length; i++) setI32(p, i, values[i]);
  return p;
}

describe("binaryBroadcast", () => {
  it("a [2, 1, 5] − b [3, 1] gives [2, 3, 5] with each operand repeated along its ones", () => {
    const a = filledF32(10, 1), b = filledF32(3, 2), out = allocF32(30);
    // shape, a's strides, b's strides, counter room
    binaryBroadcast(BINARY_SUB, a, b, out, meta([2, 3, 5, 5, 0, 1, 0, 1, 0, 0, 0, 0]), 3);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) {
      expect<f32>(getF32(out, (i * 3 + j) * 5 + k)).toBe(getF32(a, i * 5 + k) - getF32(b, j));
    }
  });
  it("a scalar on the left divides every element", () => {
    const a = filledF32(1, 3), b = filledF32(9, 4), out = allocF32(9);
    binaryBroadcast(BINARY_DIV, a, b, out, meta([9, 0, 1, 0]), 1);
    for (let i = 0; i < 9; i++) expect<f32>(getF32(out, i)).toBe(getF32(a, 0) / getF32(b, i));
  });
});

describe("stridedCopy", () => {
  it("a transpose of [3, 5] reads with swapped strides", () => {
    const x = filledF32(15, 5), y = allocF32(15);
    stridedCopy(x, y, meta([5, 3, 1, 5, 3, 1, 0, 0]), 2);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) expect<f32>(getF32(y, j * 3 + i)).toBe(getF32(x, i * 5 + j));
  });
});
