// What a searcher is: a named way to pick a sweep's points, registered in searchers.ts. Each
// searcher is a file of its own (grid-search.ts, random-search.ts, tpe-search.ts) holding the
// schema of its own config keys, the sweep's size and how it picks points. Pure: values in,
// points out, with the seed in the config, so the same sweep gets the same points on any fleet.
import type { z } from "zod";
import type { ParamSpec, Point } from "./param-spec.ts";

/** The parsed `search` section: the keys every searcher takes, and the searcher's own options. */
export interface SearchConfig {
  method: string;
  seed: number;
  repeats: number;
  parameters: Record<string, ParamSpec>;
  /** How many points a searcher that samples draws or proposes in all; `sweep extend --samples` raises it. */
  samples?: number;
  /** A searcher's other own keys (as its `options` schema parses them). */
  [option: string]: unknown;
}

/** What a searcher that learns from results sees of a point: its params and (averaged) objective. */
export interface Observation {
  /** The point's values by parameter path (the same keys as the space). */
  params: Record<string, unknown>;
  /** The objective (already averaged over repeats), or null when the point failed. */
  value: number | null;
  /** "done" trials rank before "pruned" ones; a pruned one ranks by the step it reached (later is better), then value. */
  state: "done" | "pruned";
  step?: number;
}

/**
 * Where a proposed point's trial starts and stops, for a searcher whose trials continue one
 * another (population-based training): its generation and slot, the earlier point whose final
 * state it starts from, and the report steps it runs (after `startStep`, up to `stopStep`).
 */
export interface TrialLineage {
  generation: number;
  slot: number;
  /** The point whose state at `startStep` this one starts from; null: from scratch. */
  parentPoint: number | null;
  /** True when it took another slot's state and perturbed its hyperparameters. */
  exploited: boolean;
  startStep: number;
  stopStep: number;
}

/** A searcher whose points depend on results: it proposes them a batch at a time (propose-trials.ts). */
export interface Proposer {
  /** How many proposals may be outstanding at once. */
  batchSize(search: SearchConfig): number;
  /** Points number `first` .. `first + count - 1`, from the observations of the points before them. */
  propose(search: SearchConfig, observations: Observation[], first: number, count: number, goal: "maximize" | "minimize"): Point[];
  /** For trials that continue one another: each proposed point's lineage, as `propose` decided it. */
  lineage?(search: SearchConfig, observations: Observation[], first: number, count: number, goal: "maximize" | "minimize"): TrialLineage[];
}

export interface Searcher {
  /** The name `search.method` gives. */
  name: string;
  /** Its own keys of the `search` section (beside method, seed, repeats and parameters) and their schemas. */
  options: Record<string, z.ZodType>;
  /**
   * Keys other searchers take that this one refuses, with the line saying why; a key missing here
   * gets "only for method …" naming the searchers that take it.
   */
  refuses?: Record<string, string>;
  /** Problems of the parameter space for this searcher, by parameter path. */
  spaceProblems?(parameters: Record<string, unknown>): Array<{ path: string; message: string }>;
  /** How many points (before repeats) the search has: for a proposer, how many it proposes in all. */
  size(search: SearchConfig): number;
  /** The points in trial order; a proposer's stand in (drawn at random) for checking its space. */
  points(search: SearchConfig): Iterable<Point>;
  /** The most `repeats` it takes, with the line saying why (1000 without it). */
  maxRepeats?: { most: number; why: string };
  /** The report steps each trial must be able to make (pbt: generations × interval), with the keys that set it. */
  stepsNeeded?(search: SearchConfig): { steps: number; from: string };
  /** Present when the points depend on results; a sweep then needs an objective. */
  proposer?: Proposer;
}
