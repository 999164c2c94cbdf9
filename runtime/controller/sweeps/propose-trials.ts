// A model-based sweep's next batch: once every trial proposed so far has ended, the searcher
// proposes the next `batch` points from their results, and their trials join the sweep. Point k
// of batch j depends only on the results of batches before j and on the points proposed before
// it in batch j (Optuna's constant liar: they count as the worst result, so a batch spreads out),
// so the same config and seed propose the same points in the same order on any fleet; the
// proposals are stored as trials, so a restarted controller goes on exactly where it stopped.
import type { Store, SweepRow, TrialRow } from "../store/store.ts";
import { effectiveSearch, extensionOf } from "./sweep-extension.ts";
import type { SweepConfig } from "./sweep-config.ts";
import { pointTrials } from "./expand-sweep.ts";
import type { ExperimentEntry } from "../../experiments/experiment-entry.ts";
import type { Observation, SearchConfig } from "../../search/searcher.ts";
import { searcherOf } from "../../search/searchers.ts";

/** What proposing (and extending) needs beyond the store: the sweep's parsed config (as registered) and its experiment, to resolve trial configs. */
export interface SweepProposer {
  config: SweepConfig;
  entry: ExperimentEntry;
}

/** Each point's observation for the searcher: the mean objective of its finished repeats. */
export async function observationsOf(store: Store, trials: TrialRow[]): Promise<Observation[]> {
  const byPoint = new Map<number, TrialRow[]>();
  for (const t of trials) byPoint.set(t.point, [...(byPoint.get(t.point) ?? []), t]);
  const results = new Map(trials.length ? (await store.resultsOfSweep(trials[0]!.sweep_id)).map((r) => [r.trial_id, r]) : []);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...byPoint.keys()].sort((a, b) => a - b).map((point): Observation => {
    const rows = byPoint.get(point)!;
    const params = JSON.parse(rows[0]!.params) as Record<string, unknown>;
    const valuesOf = (state: string) => rows.filter((t) => t.state === state).map((t) => results.get(t.id)?.objective).filter((v): v is number => typeof v === "number");
    const done = valuesOf("done");
    if (done.length) return { params, value: mean(done), state: "done" };
    const pruned = valuesOf("pruned");
    if (pruned.length) {
      const steps = rows.filter((t) => t.state === "pruned").map((t) => (JSON.parse(results.get(t.id)?.outcome ?? "{}") as { pruned?: { step: number } }).pruned?.step ?? 0);
      return { params, value: mean(pruned), state: "pruned", step: Math.max(...steps) };
    }
    // Failed or cancelled: the model leaves it out, as Optuna does.
    return { params, value: null, state: "done" };
  });
}

/** Points a model-based sweep has still to propose, from its stored config and extension (0 when its points do not depend on results). */
export async function proposalsLeft(store: Store, row: SweepRow): Promise<number> {
  const stored = (JSON.parse(row.config) as { search?: SearchConfig }).search;
  if (!stored || !searcherOf(stored).proposer) return 0;
  const search = effectiveSearch(stored, extensionOf(row));
  const samples = searcherOf(search).size(search);
  const trials = await store.trialsOfSweep(row.id);
  const proposed = trials.length ? Math.max(...trials.map((t) => t.point)) + 1 : 0;
  return Math.max(0, samples - proposed);
}

/**
 * Proposes and stores the sweep's next batch when every trial so far has ended and proposals
 * remain; returns how many trials it added (0: none to add now).
 */
export async function proposeNextBatch(store: Store, sweepId: number, p: SweepProposer, now: number): Promise<number> {
  const search = p.config.search;
  const proposer = search && searcherOf(search).proposer;
  if (!search || !proposer) return 0;
  const trials = await store.trialsOfSweep(sweepId);
  if (trials.some((t) => t.state === "queued" || t.state === "leased")) return 0;
  const proposed = trials.length ? Math.max(...trials.map((t) => t.point)) + 1 : 0;
  const count = Math.min(proposer.batchSize(search), searcherOf(search).size(search) - proposed);
  if (count <= 0) return 0;
  const points = proposer.propose(search, await observationsOf(store, trials), proposed, count, p.config.metric.goal);
  let index = trials.length;
  for (const [k, params] of points.entries()) {
    const made = pointTrials(p.config, p.entry, params, proposed + k, index);
    if (Array.isArray(made)) {
      for (const t of made) {
        await store.insertTrial({ sweep_id: sweepId, idx: t.index, point: t.point, repeat: t.repeat, params: JSON.stringify(t.params), seed: t.seed, config: JSON.stringify(t.config) });
      }
      index += made.length;
      continue;
    }
    // A proposal the experiment refuses (a check across fields): failed at once, so the model learns nothing from it and the sweep goes on.
    for (let repeat = 0; repeat < (search.repeats ?? 1); repeat++) {
      const id = await store.insertTrial({ sweep_id: sweepId, idx: index++, point: proposed + k, repeat, params: JSON.stringify(params), seed: 0, config: "{}" });
      await store.setTrialState(id, "failed", { error: `the experiment refuses this proposed point: ${made.problem}`, finishedAt: now });
    }
  }
  await recordLineage(store, sweepId, search, p.config.metric.goal);
  return index - trials.length;
}

/**
 * Stores the lineage of the sweep's trials that have none yet, when its searcher's trials
 * continue one another: after a sweep's first trials are stored and after each proposed batch.
 * Replayed from the stored results, as the proposals were.
 */
export async function recordLineage(store: Store, sweepId: number, search: SearchConfig | undefined, goal: "maximize" | "minimize"): Promise<void> {
  const proposer = search && searcherOf(search).proposer;
  if (!search || !proposer?.lineage) return;
  const trials = await store.trialsOfSweep(sweepId);
  const known = new Set((await store.lineageOfSweep(sweepId)).map((l) => l.trial_id));
  const missing = trials.filter((t) => !known.has(t.id));
  if (!missing.length) return;
  const first = Math.min(...missing.map((t) => t.point));
  const last = Math.max(...missing.map((t) => t.point));
  const observations = await observationsOf(store, trials.filter((t) => t.point < first));
  const lineage = proposer.lineage(search, observations, first, last - first + 1, goal);
  await store.insertLineage(missing.map((t) => {
    const l = lineage[t.point - first]!;
    return {
      trial_id: t.id, sweep_id: sweepId, generation: l.generation, slot: l.slot, parent_point: l.parentPoint,
      exploited: l.exploited ? 1 : 0, start_step: l.startStep, stop_step: l.stopStep,
    };
  }));
}
