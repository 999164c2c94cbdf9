// xoshiro128** (Blackman & Vigna), seeded through splitmix64. The state is four u32 at a
// caller-owned address, so a trial can hold independent streams (init, shuffle, data).

/** Bytes of one generator's state. */
export const RNG_STATE_BYTES: i32 = 16;

/** Seeds the generator at `state` from (seed, stream); distinct streams never coincide. */
export function rngSeed(state: usize, seed: u32, stream: u32): void {
  let x: u64 = (<u64>stream << 32) | <u64>seed;
  for (let i = 0; i < 2; i++) {
    x += 0x9e3779b97f4a7c15;
    let z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z = z ^ (z >> 31);
    store<u32>(state + (<usize>i << 3), <u32>z);
    store<u32>(state + (<usize>i << 3) + 4, <u32>(z >> 32));
  }
}

/** Next 32 random bits. */
export function rngNextU32(state: usize): u32 {
  const s0 = load<u32>(state), s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  const n1 = s1 ^ s2;
  const n0 = s0 ^ s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  store<u32>(state, n0);
  store<u32>(state, n1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return result;
}

/** Uniform in [0, 1) with 53 random bits. */
export function rngUniform(state: usize): f64 {
  const hi = <u64>(rngNextU32(state) >> 5);
  const lo = <u64>(rngNextU32(state) >> 6);
  return <f64>((hi << 26) | lo) * 1.1102230246251565e-16; // 2^-53
}

/** Uniform integer in [0, bound) without modulo bias (Lemire's method). */
export function rngBelow(state: usize, bound: u32): u32 {
  let m = <u64>rngNextU32(state) * <u64>bound;
  let low = <u32>m;
  if (low < bound) {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (low < threshold) {
      m = <u64>rngNextU32(state) * <u64>bound;
      low = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** Standard normal by Box–Muller (one value per call; the sine half is discarded). */
export function rngNormal(state: usize): f64 {
  const u1 = 1.0 - rngUniform(state); // (0, 1]: log stays finite
  const u2 = rngUniform(state);
  return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
}

/** Fisher–Yates shuffle of n i32 values at `values`. */
export function shuffleI32(values: usize, n: i32, state: usize): void {
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>rngBelow(state, <u32>(i + 1));
    const pi = values + (<usize>i << 2), pj = values + (<usize>j << 2);
    const tmp = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, tmp);
  }
}

/** values[i] = i for i in [0, n). */
export function iotaI32(values: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(values + (<usize>i << 2), i);
}
