// The split's shuffle. It must give the same order on every machine, so it uses only 32-bit
// integer arithmetic (Math.imul, shifts) and one exact float step: no Math.random, exp or log.

/** mulberry32: a small 32-bit generator; each call returns the next u32. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** 0..count-1 in Fisher–Yates order drawn from mulberry32(seed). */
export function shuffledOrder(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const next = mulberry32(seed);
  for (let i = count - 1; i > 0; i--) {
    // u / 2^32 is exact and the product is one correctly rounded multiply: the same j everywhere.
    const j = Math.floor((next() / 4294967296) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
