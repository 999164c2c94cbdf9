// Learning-rate schedules as plain functions of the step (set `opt.lr` from them each step).
// Math.cos is not guaranteed bit-identical across engines, so cosine takes its cosine from
// the module (scheduleLr in optim.ts of the core).
import type { KernelExports } from "../exports.ts";

/** Linear warm-up from 0 to 1 over `steps` steps (1 from then on): multiply the base rate by it. */
export function warmup(step: number, steps: number): number {
  return steps <= 0 ? 1 : Math.min(1, (step + 1) / steps);
}

/** base · ½(1 + cos(π · step / total)), annealed to 0 at `total`, computed in wasm. */
export function cosineSchedule(k: KernelExports) {
  return (step: number, total: number, base = 1): number => k.scheduleLr(2, base, 0, Math.min(step, total), total, 1, 1);
}
