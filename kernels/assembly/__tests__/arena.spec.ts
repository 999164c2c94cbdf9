import { alloc, allocF32, memoryBytes, ALIGN } from "../arena";

describe("arena", () => {
  it("returns zeroed, 64-byte aligned, non-overlapping buffers", () => {
    const a = alloc(100);
    const b = allocF32(1000);
    expect<usize>(a & (ALIGN - 1)).toBe(0);
    expect<usize>(b & (ALIGN - 1)).toBe(0);
    expect<bool>(b >= a + 100 || a >= b + 4000).toBe(true);
    let nonzero = 0;
    for (let i: usize = 0; i < 4000; i++) if (load<u8>(b + i) != 0) nonzero++;
    expect<i32>(nonzero).toBe(0);
  });

  it("grows memory for large buffers", () => {
    const before = memoryBytes();
    const big = allocF32(4 << 20);
    store<f32>(big + ((4 << 20) - 1) * 4, 1);
    expect<usize>(memoryBytes()).toBeGreaterThan(before);
  });
});
