import { dropoutForward, dropoutBackward } from "../dropout";
import { rngSeed, RNG_STATE_BYTES } from "../rng";
import { alloc, allocF32 } from "../arena";
import { filledF32, getF32 } from "./helpers";

describe("dropout", () => {
  it("keeps about 1 − rate of the units, scaled by 1/(1 − rate); the same seed gives the same mask", () => {
    const n = 10001;
    const x = filledF32(n, 3);
    const y = allocF32(n), mask = allocF32(n), mask2 = allocF32(n);
    const state = alloc(<usize>RNG_STATE_BYTES);
    rngSeed(state, 7, 5);
    dropoutForward(x, y, mask, n, 0.25, state);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const m = getF32(mask, i);
      if (m != 0) {
        kept++;
        expect<f32>(m).toBe(<f32>1 / <f32>0.75);
      }
      expect<f32>(getF32(y, i)).toBe(getF32(x, i) * m);
    }
    expect<f64>(Math.abs(<f64>kept / <f64>n - 0.75)).toBeLessThan(0.02);
    rngSeed(state, 7, 5);
    dropoutForward(x, y, mask2, n, 0.25, state);
    for (let i = 0; i < n; i++) expect<f32>(getF32(mask2, i)).toBe(getF32(mask, i));
  });

  it("the backward pass multiplies by the mask, at awkward sizes", () => {
    const sizes: i32[] = [1, 3, 7, 13, 33, 127, 129];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const dy = filledF32(n, 4 + s), mask = filledF32(n, 5 + s), dx = allocF32(n);
      dropoutBackward(dy, mask, dx, n);
      for (let i = 0; i < n; i++) expect<f32>(getF32(dx, i)).toBe(getF32(dy, i) * getF32(mask, i));
    }
  });
});
