// The end of a sweep: when the controller has nothing left to lease, the last trials sit in
// the relay's queue or in agents' reserves (trials an agent holds for threads that are still
// busy). A reserve that waits behind a long trial while another machine's thread is idle is
// the "tail" that keeps strong scaling below what the hardware gives. The relay then asks
// the holders for unstarted trials back and hands them to the idle threads. This decides
// which, and nothing else (no I/O), so it can be tested alone.
import type { TrialRef } from "../../protocol/messages.ts";

export interface ReserveHolder {
  workerId: string;
  /** Its unstarted trials not yet asked back, in the order it would start them. */
  reserve: readonly TrialRef[];
}

/**
 * Which reserved trials to ask back, by worker: as many as there are idle threads that the
 * trials already on their way (`supply`: queued at the relay, or asked back and not yet
 * returned) cannot serve. Each comes from the holder with the largest reserve left (its
 * threads would reach it last), and from the end of that reserve (the trial it would start
 * last, so the least likely to have started meanwhile). Ties go to the holder listed first.
 */
export function planHandBacks(idleThreads: number, supply: number, holders: readonly ReserveHolder[]): Map<string, TrialRef[]> {
  const plan = new Map<string, TrialRef[]>();
  let need = idleThreads - supply;
  const left = holders.map((h) => ({ id: h.workerId, reserve: [...h.reserve] }));
  while (need > 0) {
    let from: (typeof left)[number] | undefined;
    for (const h of left) if (h.reserve.length > (from?.reserve.length ?? 0)) from = h;
    if (!from) break;
    const trial = from.reserve.pop()!;
    plan.set(from.id, [...(plan.get(from.id) ?? []), trial]);
    need--;
  }
  return plan;
}

/**
 * Trials a worker may receive now. While the sweep's last trials are being handed out (the
 * controller is dry and the relay holds no more than one per live thread), only its idle
 * threads: a trial given to a busy machine's reserve would wait there while another idles.
 * Otherwise what it asked for.
 */
export function tailCap(asked: number, idleThreads: number, tail: boolean): number {
  return tail ? Math.min(asked, Math.max(0, idleThreads)) : asked;
}

/**
 * A trial asked back counts as on its way for at most this long. The worker's next poll says
 * sooner whether it started it instead (agents send what they hand back before polling again).
 */
export const RECALL_MS = 5000;
