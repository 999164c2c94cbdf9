// The host side's one seeded generator (sweep sampling, data splits): 32-bit integer state and
// Math.imul only, so every engine on every machine gives the same stream.

/** mulberry32: each call returns the next u32. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
