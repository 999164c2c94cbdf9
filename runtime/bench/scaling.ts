// Strong scaling, as the runtime benchmark reports it: the same sweep on 1, 2, 4 … N threads,
// each beside the ideal that N independent processes get from the same hardware. Arithmetic
// and formatting only; runtime-bench.ts measures.

/** The thread counts to measure on `cores` cores: powers of two below it, then all of it. */
export function threadSteps(cores: number): number[] {
  const steps: number[] = [];
  for (let k = 1; k < cores; k *= 2) steps.push(k);
  steps.push(Math.max(1, cores));
  return steps;
}

export interface ScalingRow {
  threads: number;
  /** The sweep, first lease to last result. */
  seconds: number;
  trialsPerSec: number;
  /** Against the same sweep on one thread. */
  speedup: number;
  /** What `threads` independent processes of one trial each get: threads × (time alone) / (mean time among them). */
  ideal: number;
  /** speedup / ideal: the share of the hardware's own scaling the runtime keeps. */
  efficiency: number;
  /** Mean training time of a trial in the sweep, and of a trial in the independent processes. */
  trainMs: number;
  independentMs: number;
}

export function scalingRow(
  m: { threads: number; seconds: number; trials: number; trainMs: number; independentMs: number },
  base: { seconds: number; aloneMs: number },
): ScalingRow {
  const speedup = base.seconds / m.seconds;
  const ideal = (m.threads * base.aloneMs) / m.independentMs;
  return {
    threads: m.threads, seconds: m.seconds, trialsPerSec: m.trials / m.seconds, speedup, ideal, efficiency: speedup / ideal,
    trainMs: m.trainMs, independentMs: m.independentMs,
  };
}

export function formatScalingTable(rows: ScalingRow[]): string {
  const head = ["threads", "sweep s", "trials/s", "speed-up", "ideal", "efficiency", "trial ms (sweep)", "trial ms (independent)"];
  const body = rows.map((r) => [
    String(r.threads), r.seconds.toFixed(2), r.trialsPerSec.toFixed(2), `${r.speedup.toFixed(2)}×`, `${r.ideal.toFixed(2)}×`,
    `${(100 * r.efficiency).toFixed(0)}%`, r.trainMs.toFixed(0), r.independentMs.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => "  " + cells.map((c, i) => c.padStart(widths[i]!)).join("  ")).join("\n");
}
