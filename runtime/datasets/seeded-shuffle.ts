// The split's shuffle. It must give the same order on every machine, so it uses only 32-bit
// integer arithmetic (Math.imul, shifts) and one exact float step: no Math.random, exp or log.

import { mulberry32 } from "../mulberry32.ts";

export { mulberry32 };

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
