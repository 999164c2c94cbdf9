import { gatherRowsF32, gatherRowsU8, gatherLabels, genSpirals, genMoons, genXor } from "../data";
import { alloc, allocF32 } from "../arena";
import { filledF32, getF32, getI32, setI32, sameBits, seededRng } from "./helpers";

describe("gather", () => {
  it("copies f32 rows and labels in index order", () => {
    const cols = 5, rowsIn = 9;
    const src = filledF32(rowsIn * cols, 1);
    const labels = allocF32(rowsIn);
    for (let r = 0; r < rowsIn; r++) setI32(labels, r, r * 10);
    const idx = allocF32(4);
    setI32(idx, 0, 8); setI32(idx, 1, 0); setI32(idx, 2, 3); setI32(idx, 3, 3);
    const dst = allocF32(3 * cols);
    const dl = allocF32(3);
    gatherRowsF32(src, cols, idx, 1, 3, dst);
    gatherLabels(labels, idx, 1, 3, dl);
    for (let r = 0; r < 3; r++) {
      const from = getI32(idx, r + 1);
      expect<i32>(getI32(dl, r)).toBe(from * 10);
      for (let j = 0; j < cols; j++) expect<f32>(getF32(dst, r * cols + j)).toBe(getF32(src, from * cols + j));
    }
  });

  it("widens u8 rows to scaled f32 (SIMD body and scalar tail)", () => {
    const cols = 37, rowsIn = 3;
    const src = alloc(<usize>(cols * rowsIn));
    for (let i = 0; i < cols * rowsIn; i++) store<u8>(src + <usize>i, <u8>((i * 37) & 255));
    const idx = allocF32(2);
    setI32(idx, 0, 2); setI32(idx, 1, 0);
    const dst = allocF32(2 * cols);
    const scale: f32 = 1.0 / 255.0;
    gatherRowsU8(src, cols, idx, 0, 2, scale, dst);
    for (let r = 0; r < 2; r++) {
      const from = getI32(idx, r);
      for (let j = 0; j < cols; j++) {
        expect<f32>(getF32(dst, r * cols + j)).toBe(<f32>load<u8>(src + <usize>(from * cols + j)) * scale);
      }
    }
  });
});

describe("synthetic datasets", () => {
  it("spirals: labels in range, every class present, reproducible per seed", () => {
    const n = 600, classes = 4;
    const x = allocF32(n * 2), y = allocF32(n), x2 = allocF32(n * 2), y2 = allocF32(n);
    genSpirals(x, y, n, classes, 0.05, seededRng(1, 0xda7a));
    genSpirals(x2, y2, n, classes, 0.05, seededRng(1, 0xda7a));
    const counts = new StaticArray<i32>(classes);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const c = getI32(y, i);
      if (c < 0 || c >= classes) bad++;
      else counts[c]++;
    }
    expect<i32>(bad).toBe(0);
    for (let c = 0; c < classes; c++) expect<i32>(counts[c]).toBeGreaterThan(100);
    expect<bool>(sameBits(x, x2, n * 2)).toBe(true);
    expect<bool>(sameBits(y, y2, n)).toBe(true);
  });

  it("moons: two classes with the moons' geometry at zero noise", () => {
    const n = 400;
    const x = allocF32(n * 2), y = allocF32(n);
    genMoons(x, y, n, 0, seededRng(2, 0xda7a));
    let off = 0;
    for (let i = 0; i < n; i++) {
      const px = <f64>getF32(x, 2 * i), py = <f64>getF32(x, 2 * i + 1);
      const c = getI32(y, i);
      const r = c == 0 ? Math.sqrt(px * px + py * py) : Math.sqrt((px - 1) * (px - 1) + (py - 0.5) * (py - 0.5));
      if (Math.abs(r - 1) > 1e-5) off++;
    }
    expect<i32>(off).toBe(0);
  });

  it("xor: class 1 exactly where the coordinate signs differ at zero noise", () => {
    const n = 400;
    const x = allocF32(n * 2), y = allocF32(n);
    genXor(x, y, n, 0, seededRng(3, 0xda7a));
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const differ = (getF32(x, 2 * i) > 0) != (getF32(x, 2 * i + 1) > 0);
      if ((differ ? 1 : 0) != getI32(y, i)) wrong++;
    }
    expect<i32>(wrong).toBe(0);
  });
});
