// Which done trials keep their final state: the sweep's `keep: { top: K }` (the K best by its
// objective) or `keep: { all: true }`. Pure: values in, the trials whose states go out.

export type KeepPolicy = { top: number } | { all: true };
export const DEFAULT_KEEP: KeepPolicy = { top: 10 };

export interface FinalStateCandidate {
  trialId: number;
  /** The trial's objective; null when it has none (ranked below every trial that has one). */
  objective: number | null;
}

/**
 * The candidates whose final state is dropped. Ranked by objective (best first for the goal),
 * ties by trial id (the earlier trial keeps its place): the same set whatever order results came in.
 */
export function finalStatesToDrop(candidates: readonly FinalStateCandidate[], keep: KeepPolicy, goal: "maximize" | "minimize"): number[] {
  if ("all" in keep) return [];
  const sign = goal === "maximize" ? -1 : 1;
  const ranked = [...candidates].sort((a, b) => {
    if (a.objective === null || b.objective === null) {
      if (a.objective !== b.objective) return a.objective === null ? 1 : -1;
    } else if (a.objective !== b.objective) return sign * (a.objective - b.objective);
    return a.trialId - b.trialId;
  });
  return ranked.slice(keep.top).map((c) => c.trialId);
}
