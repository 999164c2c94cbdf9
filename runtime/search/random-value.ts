// A parameter's value drawn at random from a u32 stream, as Optuna's RandomSampler draws it
// (uniform, log-uniform, a uniform integer, a uniform choice): random search and the TPE's
// start-up phase draw with the same code.
import type { ParamSpec } from "./param-spec.ts";

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
