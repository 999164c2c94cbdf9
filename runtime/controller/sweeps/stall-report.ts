// The stall watch's decision: a sweep that has work left but no trial of which has made
// progress (a report, a decision, an end) for `afterMs` is stalled, and the report says why:
// which trials wait at a rung, at which step, for which earlier trials in which state. Values
// and the clock in, a report out: no I/O, so it is tested alone (stall-report.test.ts).
import type { AwaitedTrial } from "../../../protocol/early-stopping.ts";
import type { SweepStall } from "../../../protocol/api.ts";

export interface StallInput {
  now: number;
  /** When a trial of the sweep last made progress (or when the watch began, if none has). */
  progressAt: number;
  /** How long without progress counts as a stall. */
  afterMs: number;
  queued: number;
  leased: number;
  /** Trials whose last rung answer was pending, with what they wait for now. */
  waiting: ReadonlyArray<{ trialId: number; step: number; waitingFor: readonly AwaitedTrial[] }>;
}

/** The most waiting trials a report names (the earliest: the rest wait behind them). */
export const MAX_WAITING_SHOWN = 10;
/** The most awaited trials named per waiting trial in the summary line. */
const MAX_AWAITED_SHOWN = 5;

export function stallOf(i: StallInput): SweepStall | null {
  const idle = i.now - i.progressAt;
  if (i.queued + i.leased === 0 || idle < i.afterMs) return null;
  const waiting = [...i.waiting].sort((a, b) => a.trialId - b.trialId).slice(0, MAX_WAITING_SHOWN)
    .map((w) => ({ trialId: w.trialId, step: w.step, waitingFor: [...w.waitingFor] }));
  const seconds = Math.floor(idle / 1000);
  return { since: i.progressAt, seconds, at: i.now, queued: i.queued, leased: i.leased, waiting, summary: summarize(seconds, i, waiting) };
}

function summarize(seconds: number, i: StallInput, waiting: SweepStall["waiting"]): string {
  const head = `no trial has made progress for ${seconds} s (${i.leased} leased, ${i.queued} queued)`;
  if (!waiting.length) {
    // Nothing waits at a rung: the leased trials are silent (a long step without reports, a
    // machine gone until its lease expires) or nothing takes the queued ones (no live agent).
    return i.leased
      ? `${head}; none waits at a rung: the leased trials report nothing (long steps, or machines gone until their leases expire)`
      : `${head}; none is leased: no agent takes work`;
  }
  const parts = waiting.map((w) => {
    const on = w.waitingFor.slice(0, MAX_AWAITED_SHOWN).map((t) => `${t.trialId} (${t.state})`).join(", ");
    const more = w.waitingFor.length > MAX_AWAITED_SHOWN ? ` and ${w.waitingFor.length - MAX_AWAITED_SHOWN} more` : "";
    return `trial ${w.trialId} waits at step ${w.step} for ${on || "its decision"}${more}`;
  });
  const more = i.waiting.length > waiting.length ? `; ${i.waiting.length - waiting.length} more waiting` : "";
  return `${head}: ${parts.join("; ")}${more}`;
}
