// The K best objectives of each sweep's done trials, kept in memory as results arrive: what a
// lease's `keepIfBetter` names once `keep` holds its K. Read once per sweep from the store,
// then updated in O(K) per result, where a query per lease batch sorted every result.
// Ties go to the earlier trial, as kept-states.ts decides.

export interface Scored { objective: number; trialId: number }

/** True when a ranks before b under the goal (ties: the earlier trial). */
export function ranksBefore(a: Scored, b: Scored, goal: "maximize" | "minimize"): boolean {
  if (a.objective !== b.objective) return goal === "maximize" ? a.objective > b.objective : a.objective < b.objective;
  return a.trialId < b.trialId;
}

export class TopObjectives {
  private bySweep = new Map<number, Scored[]>();

  constructor(private readonly load: (sweepId: number, k: number) => Promise<Scored[]>) {}

  /** The K-th best of a sweep's done trials, or undefined while it has fewer than K. */
  async kth(sweepId: number, k: number, goal: "maximize" | "minimize"): Promise<Scored | undefined> {
    let top = this.bySweep.get(sweepId);
    if (!top) {
      top = (await this.load(sweepId, k)).slice(0, k);
      this.bySweep.set(sweepId, top);
    }
    return top.length >= k ? top[k - 1] : undefined;
  }

  /** A done trial's objective, stored: it enters the sweep's K best if it ranks among them. Sweeps not yet read are left to their first read. */
  add(sweepId: number, s: Scored, k: number, goal: "maximize" | "minimize"): void {
    const top = this.bySweep.get(sweepId);
    if (!top || k <= 0) return;
    if (top.some((t) => t.trialId === s.trialId)) return;
    let at = top.length;
    while (at > 0 && ranksBefore(s, top[at - 1]!, goal)) at--;
    if (at >= k) return;
    top.splice(at, 0, s);
    if (top.length > k) top.length = k;
  }
}
