// A trial's value of its sweep's metric, as the controller ranks it and as a worker judges
// whether its final state may be among those `keep` keeps.

/** Final metrics first, else the last report that has it; null when neither does. */
export function objectiveOf(name: string, metrics: Record<string, number>, reports: ReadonlyArray<Record<string, number>>): number | null {
  if (Object.hasOwn(metrics, name)) return metrics[name]!;
  for (let i = reports.length - 1; i >= 0; i--) if (Object.hasOwn(reports[i]!, name)) return reports[i]![name]!;
  return null;
}

/** What a lease says of the final state's upload when the sweep's kept states are full: only one at least this good may enter. */
export interface KeepIfBetter { metric: string; goal: "maximize" | "minimize"; than: number; thanTrial: number }

/** Whether this trial may enter the kept states: better than the K-th, or tied with it and earlier (ties go to the earlier trial). */
export const mayBeKept = (k: KeepIfBetter, trialId: number, objective: number | null) =>
  objective !== null && (objective === k.than ? trialId < k.thanTrial : k.goal === "maximize" ? objective > k.than : objective < k.than);
