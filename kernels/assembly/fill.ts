// Filling tensors: a constant, and seeded random values drawn in wasm (xoshiro128** of
// rng.ts, normals by Box–Muller), so initialisations are the same bits on every machine.
import { rngUniform, rngNormal } from "./rng";

export function fillF32(dst: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value);
}

/** dst[i] = mean + std · N(0, 1), in index order from the generator at `state`. */
export function fillNormal(dst: usize, n: i32, state: usize, mean: f64, std: f64): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>(mean + std * rngNormal(state)));
}

/** dst[i] uniform in [lo, hi), in index order from the generator at `state`. */
export function fillUniform(dst: usize, n: i32, state: usize, lo: f64, hi: f64): void {
  const width = hi - lo;
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>(lo + width * rngUniform(state)));
}
