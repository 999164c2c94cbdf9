// A Tree-structured Parzen Estimator searcher, as Optuna 3.1's TPESampler with its defaults
// (univariate): after 10 start-up points drawn at random, each parameter is proposed on its own by
// splitting the scored points into a good ("below") and a bad ("above") group, fitting a Parzen
// estimator l(x) to the good and g(x) to the bad, drawing 24 candidates from l and keeping the one
// with the largest log l(x) − log g(x). A batch's points are proposed in turn with Optuna's
// constant_liar (constant_liar=True): each sees the batch's earlier points as the worst results.
// Pure: the points follow from the arguments alone, so a controller can recompute them after a
// restart and any machine gets the same ones.
import type { ParamSpec } from "./param-spec.ts";
import { canonicalJson } from "../experiments/plain-data.ts";
import { CategoricalParzen, NumericalParzen, type Unit } from "./parzen-estimator.ts";
import { proposalStream } from "./proposal-stream.ts";
import { randomValue, unit } from "./random-value.ts";
import type { Observation } from "./searcher.ts";

export type { Observation };

export interface TpeOptions {
  seed: number;
  goal: "maximize" | "minimize";
  startupTrials?: number /* default 10 */;
  candidates?: number /* default 24 */;
}

const STARTUP_TRIALS = 10;
const CANDIDATES = 24;

/** Optuna's default_gamma: the good group's size, 10% of the scored points rounded up, at most 25. */
export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * The scored observations split as Optuna's _split_observation_pairs: ranked by (done first, then
 * pruned by later step; then value toward the goal, stably), the first gamma(n) are "below" (good).
 * Each group keeps the chronological (input) order, which the observation weights rely on.
 * A pruned point without a step ranks after every pruned one with a step, like Optuna's pruned
 * trial without intermediate values.
 */
export function splitObservations(scored: readonly Observation[], goal: TpeOptions["goal"]): { below: Observation[]; above: Observation[] } {
  const sign = goal === "minimize" ? 1 : -1;
  const keys = scored.map((o) => [o.state === "done" ? -Infinity : o.step === undefined ? 1 : -o.step, sign * o.value!] as const);
  const compare = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0);
  const ranked = scored.map((_, i) => i).sort((i, j) => compare(keys[i]![0], keys[j]![0]) || compare(keys[i]![1], keys[j]![1]));
  const good = new Set(ranked.slice(0, gamma(scored.length)));
  return { below: scored.filter((_, i) => good.has(i)), above: scored.filter((_, i) => !good.has(i)) };
}

/**
 * Proposes points number `first` .. `first + count - 1` of a sweep (a batch), from the results of
 * the points before it. Within the batch the points are proposed one after another, each seeing
 * the batch's earlier points as Optuna's constant_liar sees running trials: scored worst, so
 * they join the bad ("above") group, after the scored points in chronological order, without
 * changing the good group's size (gamma counts scored points only). That keeps a batch spread out
 * instead of drawing its points from one model. Pure and deterministic: the same inputs give the
 * same points on any machine; proposal k's random stream depends only on (seed, k), no Math.random
 * is used, and a batch's first m points are those of any larger batch from the same `first`.
 */
export function proposeTpe(space: Record<string, ParamSpec>, observations: Observation[], first: number, count: number, opts: TpeOptions): Array<Record<string, unknown>> {
  if (!Number.isSafeInteger(first) || first < 0) throw new RangeError(`first must be a whole number ≥ 0, not ${first}`);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, not ${count}`);
  const candidates = opts.candidates ?? CANDIDATES;
  if (!Number.isSafeInteger(candidates) || candidates < 1) throw new RangeError(`candidates must be a whole number ≥ 1, not ${candidates}`);
  const entries = Object.entries(space);
  const streams = Array.from({ length: count }, (_, k) => proposalStream(opts.seed, first + k));

  // As Optuna, a failed point (and a NaN, which Optuna also fails) tells the model nothing.
  const scored = observations.filter((o) => o.value !== null && !Number.isNaN(o.value));
  if (scored.length < (opts.startupTrials ?? STARTUP_TRIALS)) {
    return streams.map((next) => Object.fromEntries(entries.map(([path, spec]) => [path, randomValue(spec, next)])));
  }

  const { below, above } = splitObservations(scored, opts.goal);
  // The good group's models are the batch's; the bad group's grow by a liar per proposal.
  const models = entries.map(([path, spec]) => parameterModel(spec, path, below));
  const liars: Observation[] = [];
  return streams.map((next) => {
    const draw: Unit = () => unit(next);
    const point = Object.fromEntries(models.map((model) => [model.path, model.propose([...above, ...liars], draw, candidates)]));
    liars.push({ params: point, value: null, state: "done" });
    return point;
  });
}

interface ParameterModel {
  path: string;
  /** The proposal step: fit g to `above`, sample from l, keep the candidate with the best log l − log g. */
  propose: (above: Observation[], draw: Unit, candidates: number) => unknown;
}

/** One parameter's l (from the good group) and its proposal step. */
function parameterModel(spec: ParamSpec, path: string, below: Observation[]): ParameterModel {
  // A point whose value does not fit the space (e.g. the space changed since) is left out of this
  // parameter's model, as Optuna leaves out trials without the parameter.
  const values = (group: Observation[], read: (value: unknown) => number | undefined) =>
    group.flatMap((o) => {
      const v = read(o.params[path]);
      return v === undefined ? [] : [v];
    });

  if (Array.isArray(spec)) {
    const index = new Map(spec.map((choice, i) => [canonicalJson(choice), i]));
    const read = (value: unknown) => (value === undefined ? undefined : index.get(canonicalJson(value)));
    const l = new CategoricalParzen(values(below, read), spec.length);
    const propose: ParameterModel["propose"] = (above, draw, candidates) => {
      const g = new CategoricalParzen(values(above, read), spec.length);
      return spec[best(l.sample(candidates, draw), (c) => l.logPdf(c) - g.logPdf(c))];
    };
    return { path, propose };
  }

  // Log-uniform ranges are modelled in log space; integers in steps of 1, as IntDistribution.
  const kind = "uniform" in spec ? "uniform" : "loguniform" in spec ? "loguniform" : "int";
  const [a, b] = "uniform" in spec ? spec.uniform : "loguniform" in spec ? spec.loguniform : spec.int;
  const inRange = (value: unknown): value is number => typeof value === "number" && value >= a && value <= b;
  const read =
    kind === "loguniform" ? (v: unknown) => (inRange(v) ? Math.log(v) : undefined)
    : kind === "int" ? (v: unknown) => (inRange(v) && Number.isInteger(v) ? v : undefined)
    : (v: unknown) => (inRange(v) ? v : undefined);
  const [low, high] = kind === "loguniform" ? [Math.log(a), Math.log(b)] : [a, b];
  const step = kind === "int" ? 1 : null;
  const l = new NumericalParzen(values(below, read), low, high, step);
  const propose: ParameterModel["propose"] = (above, draw, candidates) => {
    const g = new NumericalParzen(values(above, read), low, high, step);
    const x = best(l.sample(candidates, draw), (c) => l.logPdf(c) - g.logPdf(c));
    // Clamped because exp(log(x)) may land a hair outside [a, b].
    return kind === "loguniform" ? Math.min(b, Math.max(a, Math.exp(x))) : x;
  };
  return { path, propose };
}

/** The candidate with the largest score, the first one on a tie (numpy's argmax). */
function best(candidates: number[], score: (candidate: number) => number): number {
  let bestIndex = 0;
  let bestScore = -Infinity;
  candidates.forEach((c, i) => {
    const s = score(c);
    if (s > bestScore) [bestIndex, bestScore] = [i, s];
  });
  return candidates[bestIndex]!;
}
