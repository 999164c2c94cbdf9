// Expands a sweep config into its trials, in a fixed order and with random points drawn from a
// seeded integer PRNG, so every run on every machine gets the same list (trials are stored by index).
import type { SweepSearch, TrainConfig } from "./sweep-config.ts";
import { NETWORK_EXPERIMENT, sweepBase, TPE_BATCH } from "./sweep-config.ts";
import type { ExperimentEntry } from "../experiments/experiment-entry.ts";
import { getPath, isPlainObject } from "../experiments/plain-data.ts";
import { mulberry32 } from "../mulberry32.ts";
import { proposeTpe } from "../search/tpe.ts";
import { below, randomValue } from "../search/random-value.ts";

export { isPlainObject };

/** Swept values by dotted path. */
export type Point = Record<string, unknown>;

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
 * The sweep's trials in order; for a model-based search (tpe), those of its first batch (the
 * rest are proposed as results come in: propose-trials.ts). `entry` is the experiment the sweep
 * runs (the built-in network by default).
 */
export function expandSweep(config: TrainConfig, entry: ExperimentEntry = NETWORK_EXPERIMENT.entry): ExpandedTrial[] {
  const search = config.search;
  // parseSweepConfig requires a metric for tpe, which proposes by it.
  const points = search?.method === "tpe"
    ? proposeTpe(search.parameters, [], 0, Math.min(search.batch ?? TPE_BATCH, search.samples!), { seed: search.seed, goal: config.metric!.goal })
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

/** How many points (before repeats) a search expands to (a model-based search: how many it proposes in all). */
export function sweepSize(search: SweepSearch | undefined): number {
  if (!search) return 1;
  if (search.method === "tpe") return search.samples ?? 1;
  const grid = Object.values(search.parameters).reduce((n, spec) => n * (Array.isArray(spec) ? spec.length : Infinity), 1);
  return search.method === "grid" ? grid : Math.min(search.samples ?? 1, grid);
}

/**
 * The points of a search in trial order; no search is a single empty point. A model-based
 * search's points depend on results: here, for checking its space, random draws stand for them.
 */
export function* sweepPoints(search: SweepSearch | undefined): Generator<Point> {
  if (!search) return yield {};
  if (search.method === "tpe") return yield* sweepPoints({ ...search, method: "random" });
  const entries = Object.entries(search.parameters);
  const lists = entries.flatMap(([path, spec]): ChoiceList[] => (Array.isArray(spec) ? [[path, spec]] : []));
  if (search.method === "grid") {
    for (let index = 0; index < sweepSize(search); index++) yield pointAt(lists, digitsOf(lists, index));
    return;
  }
  const next = mulberry32(search.seed);
  if (lists.length === entries.length) return yield* distinctPoints(lists, sweepSize(search), next);
  for (let sample = 0; sample < (search.samples ?? 1); sample++) {
    yield Object.fromEntries(entries.map(([path, spec]) => [path, randomValue(spec, next)]));
  }
}

/** `base` with each swept value set; a path blocked by a non-object is left alone (the parse then names it). */
export function applyPoint(base: unknown, point: Point): unknown {
  let config = base;
  for (const [path, value] of Object.entries(point)) config = withPath(config, path.split("."), value) ?? config;
  return config;
}

/** A copy of `target` with `path` set, copying only the objects on the way, so the base is never mutated. */
function withPath(target: unknown, path: string[], value: unknown): unknown {
  const [head, ...rest] = path as [string, ...string[]];
  // An array element by its index (model.layers.0.filters): only an element that exists.
  if (Array.isArray(target)) {
    const i = /^(0|[1-9]\d*)$/.test(head) ? Number(head) : -1;
    if (i < 0 || i >= target.length) return undefined;
    const inner = rest.length === 0 ? value : withPath(target[i], rest, value);
    if (inner === undefined) return undefined;
    const copy = [...target];
    copy[i] = inner;
    return copy;
  }
  if (!isPlainObject(target)) return undefined;
  if (rest.length === 0) return { ...target, [head]: value };
  const inner = withPath(target[head], rest, value);
  return inner === undefined ? undefined : { ...target, [head]: inner };
}

type ChoiceList = [path: string, choices: readonly unknown[]];

/** Mixed-radix digits of a grid index; the first parameter is the most significant (varies slowest). */
function digitsOf(lists: ChoiceList[], index: number): number[] {
  const digits: number[] = new Array(lists.length);
  for (let k = lists.length - 1; k >= 0; k--) {
    const n = lists[k]![1].length;
    digits[k] = index % n;
    index = Math.floor(index / n);
  }
  return digits;
}

function pointAt(lists: ChoiceList[], digits: number[]): Point {
  return Object.fromEntries(lists.map(([path, choices], k) => [path, choices[digits[k]!]]));
}

function* distinctPoints(lists: ChoiceList[], count: number, next: () => number): Generator<Point> {
  const total = lists.reduce((n, [, choices]) => n * choices.length, 1);
  if (total <= Number.MAX_SAFE_INTEGER) {
    // A partial Fisher–Yates shuffle of the point indices, kept sparse so a huge grid costs nothing.
    const moved = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const j = i + below(next, total - i);
      const picked = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      yield pointAt(lists, digitsOf(lists, picked));
    }
    return;
  }
  // Too many points to index exactly; collisions are then so rare that redrawing is enough.
  const seen = new Set<string>();
  while (seen.size < count) {
    const digits = lists.map(([, choices]) => below(next, choices.length));
    const key = digits.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    yield pointAt(lists, digits);
  }
}
