// Which final states a sweep whose trials continue one another (population-based training)
// must keep whatever `keep` says: a member's final state is where its children start, and what
// `discalc train --trial N` of a child restores. Pure: the lineage in, the trial ids out.

export interface LineageEntry {
  trialId: number;
  generation: number;
  /** The trial this one starts from; null: from scratch. */
  parentTrialId: number | null;
}

/**
 * The trials whose final state stays: every one a later member starts from, and (while another
 * generation is still to be proposed from it) every member of the newest generation.
 */
export function statesStartedFrom(lineage: readonly LineageEntry[], moreToPropose: boolean): Set<number> {
  const kept = new Set<number>();
  for (const l of lineage) if (l.parentTrialId !== null) kept.add(l.parentTrialId);
  if (moreToPropose && lineage.length) {
    const newest = Math.max(...lineage.map((l) => l.generation));
    for (const l of lineage) if (l.generation === newest) kept.add(l.trialId);
  }
  return kept;
}
