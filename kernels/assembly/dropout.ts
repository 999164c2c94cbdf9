// Inverted dropout: in training each unit is kept with probability 1 − rate and scaled by
// 1 / (1 − rate), so evaluation is the identity. The mask comes from the trial's seeded PRNG,
// so a seed gives the same masks, and the same weights, on every machine.
import { rngNextU32 } from "./rng";

/** mask[i] = 1/(1−rate) or 0; y = x · mask. */
export function dropoutForward(x: usize, y: usize, mask: usize, n: i32, rate: f32, state: usize): void {
  const keep: f32 = <f32>1 / (<f32>1 - rate);
  // Compare 24 random bits against rate · 2^24: exact in f32, no float rounding in the draw.
  const threshold = <u32>(rate * <f32>16777216.0);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m: f32 = (rngNextU32(state) >> 8) < threshold ? <f32>0 : keep;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

/** dx = dy · mask, four lanes at a time. */
export function dropoutBackward(dy: usize, mask: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * load<f32>(mask + o));
  }
}
