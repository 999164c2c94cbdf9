// Each proposal's own random stream, a function of (seed, proposal index) alone, so a point does
// not depend on which batch asked for it or on what was proposed before; and the random draw of
// Optuna's RandomSampler (the TPE's start-up phase) from such a stream.
import type { ParamSpec } from "../controller/sweep-config.ts";
import { mulberry32 } from "../mulberry32.ts";

/** murmur3's 32-bit finaliser: a bijection, so distinct inputs stay distinct. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Proposal `index`'s generator (u32 per call). The index goes through bijections only, so for one
 * seed any two indices below 2^32 get different mulberry32 seeds, hence different streams.
 */
export function proposalStream(seed: number, index: number): () => number {
  let h = fmix32((seed >>> 0) ^ 0x2545f491);
  h = fmix32(h ^ (index >>> 0));
  h = fmix32(h ^ Math.floor(index / 4294967296));
  return mulberry32(h);
}

/** A float in [0, 1) from 53 random bits (two draws), exact in a double. */
export function unit(next: () => number): number {
  return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

/** An integer in [0, n). */
export function below(next: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(unit(next) * n));
}

/** One value drawn as Optuna's RandomSampler: uniform, log-uniform, a uniform integer or choice. */
export function randomValue(spec: ParamSpec, next: () => number): unknown {
  if (Array.isArray(spec)) return spec[below(next, spec.length)];
  if ("uniform" in spec) {
    const [a, b] = spec.uniform;
    return Math.min(b, a + (b - a) * unit(next));
  }
  if ("loguniform" in spec) {
    // Clamped because exp(log(x)) may land a hair outside [a, b].
    const [a, b] = spec.loguniform;
    const la = Math.log(a);
    return Math.min(b, Math.max(a, Math.exp(la + (Math.log(b) - la) * unit(next))));
  }
  const [a, b] = spec.int;
  return a + below(next, b - a + 1);
}
