// Weight initialisation from the module's PRNG: He (normal, for ReLU) and Xavier/Glorot
// (uniform, for tanh and sigmoid).

import { rngNormal, rngUniform } from "./rng";

/** He normal: w ~ N(0, 2 / fanIn). */
export function initHe(w: usize, count: i32, fanIn: i32, state: usize): void {
  const std = Math.sqrt(2.0 / <f64>fanIn);
  for (let i = 0; i < count; i++) store<f32>(w + (<usize>i << 2), <f32>(rngNormal(state) * std));
}

/** Xavier uniform: w ~ U(−a, a), a = √(6 / (fanIn + fanOut)). */
export function initXavier(w: usize, count: i32, fanIn: i32, fanOut: i32, state: usize): void {
  const limit = Math.sqrt(6.0 / <f64>(fanIn + fanOut));
  for (let i = 0; i < count; i++) {
    store<f32>(w + (<usize>i << 2), <f32>((2.0 * rngUniform(state) - 1.0) * limit));
  }
}
