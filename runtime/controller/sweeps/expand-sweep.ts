// Expands a sweep config into its trials, in a fixed order and with random points drawn from a
// seeded integer PRNG, so every run on every machine gets the same list (trials are stored by index).
import type { SweepSearch, TrainConfig } from "./sweep-config.ts";
import { NETWORK_EXPERIMENT, sweepBase } from "./sweep-config.ts";
import { applyPoint } from "./apply-point.ts";
import type { ExperimentEntry } from "../../experiments/experiment-entry.ts";
import { getPath } from "../../experiments/plain-data.ts";
import type { Point } from "../../search/param-spec.ts";
import { searcherOf } from "../../search/searchers.ts";

export type ExpandedTrial = {
  index: number;
  point: number;
  repeat: number;
  params: Point;
  seed: number;
  /** The resolved trial config (defaults filled, the point applied, the seed set); its shape is the experiment's. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  config: Record<string, any>;
};

/**
 * The sweep's trials in order; for a searcher that proposes from results, those of its first batch (the
 * rest are proposed as results come in: propose-trials.ts). `entry` is the experiment the sweep
 * runs (the built-in network by default).
 */
export function expandSweep(config: TrainConfig, entry: ExperimentEntry = NETWORK_EXPERIMENT.entry): ExpandedTrial[] {
  const search = config.search;
  const searcher = searcherOf(search);
  // parseSweepConfig requires a metric for a proposer, which proposes by it.
  const points = search && searcher.proposer
    ? searcher.proposer.propose(search, [], 0, Math.min(searcher.proposer.batchSize(search), searcher.size(search)), config.metric!.goal)
    : sweepPoints(search);
  const trials: ExpandedTrial[] = [];
  let point = 0;
  for (const params of points) {
    const made = pointTrials(config, entry, params, point++, trials.length);
    if (!Array.isArray(made)) throw new Error(`trial config of point ${point - 1} is invalid: ${made.problem}`);
    trials.push(...made);
  }
  return trials;
}

/** One point's trials (one per repeat), indexed from `firstIndex`; or why its config is invalid. */
export function pointTrials(config: TrainConfig, entry: ExperimentEntry, params: Point, point: number, firstIndex: number): ExpandedTrial[] | { problem: string } {
  const repeats = config.search?.repeats ?? 1;
  const resolved = entry.resolve(applyPoint(sweepBase(config), params));
  if (!resolved.ok) return { problem: resolved.issues.map((i) => i.line).join("; ") };
  // Seeds count up from the point's own seed, so sweeping the seed also works.
  const first = Number(getPath(resolved.config, entry.seedPath) ?? 0);
  const trials: ExpandedTrial[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const seed = first + repeat;
    const trial = repeat === 0 ? resolved.config : (applyPoint(resolved.config, { [entry.seedPath]: seed }) as Record<string, unknown>);
    trials.push({ index: firstIndex + trials.length, point, repeat, params: structuredClone(params), seed, config: trial });
  }
  return trials;
}

/** How many points (before repeats) a search expands to (a proposer: how many it proposes in all). */
export function sweepSize(search: SweepSearch | undefined): number {
  return search ? searcherOf(search).size(search) : 1;
}

/**
 * The points of a search in trial order; no search is a single empty point. A proposer's points
 * depend on results: here, for checking its space, random draws stand for them.
 */
export function* sweepPoints(search: SweepSearch | undefined): Generator<Point> {
  if (!search) return yield {};
  yield* searcherOf(search).points(search);
}
