import { rngNextU32, rngUniform, rngBelow, rngNormal, shuffleI32, iotaI32 } from "../rng";
import { allocF32 } from "../arena";
import { getI32, seededRng } from "./helpers";

describe("xoshiro128**", () => {
  it("repeats for one (seed, stream) and differs across seeds and streams", () => {
    const a = seededRng(42, 1), b = seededRng(42, 1), c = seededRng(43, 1), d = seededRng(42, 2);
    let sameAB = true, sameAC = true, sameAD = true;
    for (let i = 0; i < 100; i++) {
      const x = rngNextU32(a);
      if (x != rngNextU32(b)) sameAB = false;
      if (x != rngNextU32(c)) sameAC = false;
      if (x != rngNextU32(d)) sameAD = false;
    }
    expect<bool>(sameAB).toBe(true);
    expect<bool>(sameAC).toBe(false);
    expect<bool>(sameAD).toBe(false);
  });

  it("uniform lies in [0, 1) with mean near ½", () => {
    const s = seededRng(7, 0);
    let sum: f64 = 0;
    let inRange = true;
    for (let i = 0; i < 20000; i++) {
      const u = rngUniform(s);
      if (u < 0 || u >= 1) inRange = false;
      sum += u;
    }
    expect<bool>(inRange).toBe(true);
    expect<f64>(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it("below(bound) covers [0, bound) evenly", () => {
    const s = seededRng(9, 0);
    const counts = new StaticArray<i32>(7);
    for (let i = 0; i < 70000; i++) counts[rngBelow(s, 7)]++;
    for (let j = 0; j < 7; j++) expect<i32>(abs(counts[j] - 10000)).toBeLessThan(500);
  });

  it("normal has mean ≈ 0 and variance ≈ 1", () => {
    const s = seededRng(11, 0);
    let sum: f64 = 0, sq: f64 = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const x = rngNormal(s);
      sum += x;
      sq += x * x;
    }
    expect<f64>(Math.abs(sum / n)).toBeLessThan(0.02);
    expect<f64>(Math.abs(sq / n - 1)).toBeLessThan(0.03);
  });

  it("shuffle yields a permutation, reproducibly", () => {
    const n = 1000;
    const a = allocF32(n), b = allocF32(n);
    iotaI32(a, n);
    iotaI32(b, n);
    shuffleI32(a, n, seededRng(5, 2));
    shuffleI32(b, n, seededRng(5, 2));
    const seen = new StaticArray<bool>(n);
    let same = true, moved = 0;
    for (let i = 0; i < n; i++) {
      const v = getI32(a, i);
      seen[v] = true;
      if (v != getI32(b, i)) same = false;
      if (v != i) moved++;
    }
    let all = true;
    for (let i = 0; i < n; i++) if (!seen[i]) all = false;
    expect<bool>(all).toBe(true);
    expect<bool>(same).toBe(true);
    expect<i32>(moved).toBeGreaterThan(900);
  });
});
