// Shared helpers for the kernel specs: deterministic fills and comparisons.
import { alloc, allocF32 } from "../arena";
import { rngSeed, RNG_STATE_BYTES } from "../rng";

/** A reproducible pseudo-random f32 in [-1, 1) from (seed, i), independent of the kernels' PRNG. */
export function patternValue(seed: u32, i: u32): f32 {
  let x: u32 = (i + 1) * 0x9e3779b1 ^ (seed * 0x85ebca6b);
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return <f32>(<f64>(x >> 8) / 8388608.0 - 1.0);
}

export function filledF32(n: i32, seed: u32): usize {
  const p = allocF32(n);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), patternValue(seed, <u32>i));
  return p;
}

export function getF32(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

export function setF32(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

export function getI32(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

export function setI32(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

export function copyF32(src: usize, n: i32): usize {
  const p = allocF32(n);
  memory.copy(p, src, <usize>n << 2);
  return p;
}

/** Largest |a[i] − b[i]|, where b is an f64 reference. */
export function maxAbsDiffRef(a: usize, ref: StaticArray<f64>, n: i32): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(<f64>getF32(a, i) - ref[i]));
  return worst;
}

/** True when the two f32 buffers hold identical bits. */
export function sameBits(a: usize, b: usize, n: i32): bool {
  return memory.compare(a, b, <usize>n << 2) == 0;
}

/** A PRNG state seeded with (seed, stream). */
export function seededRng(seed: u32, stream: u32): usize {
  const s = alloc(<usize>RNG_STATE_BYTES);
  rngSeed(s, seed, stream);
  return s;
}
