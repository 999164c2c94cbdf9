// Population-based training's decisions (Jaderberg et al. 2017, as Ray Tune's
// PopulationBasedTraining makes them), pure: values in, the next generation out. A population
// of `population` slots trains in synchronous generations of `interval` steps; after each, the
// bottom `quantile` of the slots copies the state of a member of the top `quantile` (exploit)
// and perturbs its hyperparameters (explore), the others go on from their own state.
//
// Every draw comes from a stream seeded by (seed, generation, slot), so a decision depends only
// on the objective values and the seed: never on the order results arrived in, the fleet's
// size or a controller restart. The same sweep gives the same lineage on 1 thread or 100.
import { mulberry32 } from "../mulberry32.ts";
import type { ParamSpec, Point } from "./param-spec.ts";
import { below, randomValue, unit } from "./random-value.ts";

export interface PbtOptions {
  /** Members trained side by side (slots 0 .. population − 1). */
  population: number;
  /** Generations in all; generation 0 starts from scratch. */
  generations: number;
  /** The fraction of the population in the top and in the bottom group, in (0, 0.5] (Ray's quantile_fraction, default 0.25). */
  quantile: number;
  perturb: {
    /** A continuous or integer value is multiplied by one of these, drawn uniformly (Ray's perturbation_factors, default [0.8, 1.2]). */
    factors: number[];
    /** The probability that a value is drawn afresh from its space instead (Ray's resample_probability, default 0.25). */
    resample: number;
  };
  seed: number;
  parameters: Record<string, ParamSpec>;
}

/** One member of a generation: which state it starts from and the hyperparameters in force. */
export interface PbtMember {
  generation: number;
  slot: number;
  params: Point;
  /** The slot of the previous generation whose final state this member starts from (itself, or the one it copied); null in generation 0. */
  parentSlot: number | null;
  /** True when it copied another slot's state and perturbed its hyperparameters. */
  exploited: boolean;
}

/** A finished member as the next generation's decision sees it: its objective, or null when it failed. */
export interface PbtResult {
  slot: number;
  value: number | null;
}

/** Distinct streams per decision: the seed, the generation and the slot mixed (mulberry32 seeds). */
function stream(seed: number, generation: number, slot: number, purpose: number): () => number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of [generation, slot, purpose]) h = Math.imul(h ^ (part >>> 0), 0x85ebca6b) + 0x632be59b >>> 0;
  return mulberry32(h ^ (h >>> 16));
}
const DRAW = 1;
const EXPLOIT = 2;

/** Generation 0: each slot's hyperparameters drawn from the space, as random search draws them. */
export function firstGeneration(o: PbtOptions): PbtMember[] {
  return Array.from({ length: o.population }, (_, slot) => {
    const next = stream(o.seed, 0, slot, DRAW);
    const params = Object.fromEntries(Object.entries(o.parameters).map(([path, spec]) => [path, randomValue(spec, next)]));
    return { generation: 0, slot, params, parentSlot: null, exploited: false };
  });
}

/** How many slots the top and the bottom group each hold: ceil(population × quantile), as Ray counts them, and at most half. */
export function quantileCount(population: number, quantile: number): number {
  return population < 2 ? 0 : Math.min(Math.floor(population / 2), Math.ceil(population * quantile));
}

/**
 * The ranking a generation's decision uses: best first by the goal, a failed member (null)
 * last, ties by slot, so equal values never depend on arrival order.
 */
export function rankSlots(results: readonly PbtResult[], goal: "maximize" | "minimize"): number[] {
  const sign = goal === "maximize" ? -1 : 1;
  return [...results].sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? a.slot - b.slot : 1) : -1;
    return a.value === b.value ? a.slot - b.slot : sign * (a.value - b.value);
  }).map((r) => r.slot);
}

/**
 * Generation `previous[0].generation + 1` from the one before and its results (one per slot):
 * the bottom group copies a top member drawn uniformly and perturbs its hyperparameters; every
 * other slot goes on from its own state with its own hyperparameters.
 */
export function nextGeneration(o: PbtOptions, previous: readonly PbtMember[], results: readonly PbtResult[], goal: "maximize" | "minimize"): PbtMember[] {
  if (previous.length !== o.population || results.length !== o.population) {
    throw new Error(`a generation has ${o.population} members; got ${previous.length} members and ${results.length} results`);
  }
  const generation = previous[0]!.generation + 1;
  const bySlot = new Map(previous.map((m) => [m.slot, m]));
  const ranked = rankSlots(results, goal);
  const q = quantileCount(o.population, o.quantile);
  const top = ranked.slice(0, q);
  const bottom = new Set(ranked.slice(ranked.length - q));
  return previous.map((m): PbtMember => {
    if (!bottom.has(m.slot)) return { generation, slot: m.slot, params: m.params, parentSlot: m.slot, exploited: false };
    const next = stream(o.seed, generation, m.slot, EXPLOIT);
    const parentSlot = top[below(next, top.length)]!;
    return { generation, slot: m.slot, params: explore(bySlot.get(parentSlot)!.params, o, next), parentSlot, exploited: true };
  });
}

/**
 * Ray's explore: with probability `resample` a value is drawn afresh; otherwise a range's value
 * is multiplied by a factor (an int's rounded), a list's moves to a neighbouring choice. Values
 * stay in their space (clamped), so every member's config is one the sweep could have had.
 */
export function explore(params: Point, o: Pick<PbtOptions, "parameters" | "perturb">, next: () => number): Point {
  const out: Point = { ...params };
  for (const [path, spec] of Object.entries(o.parameters)) {
    const resample = unit(next) < o.perturb.resample;
    if (Array.isArray(spec)) {
      const at = spec.findIndex((c) => JSON.stringify(c) === JSON.stringify(params[path]));
      const shift = below(next, 2) === 0 ? -1 : 1;
      out[path] = resample || at < 0 ? randomValue(spec, next) : spec[Math.min(spec.length - 1, Math.max(0, at + shift))];
      continue;
    }
    const factor = o.perturb.factors[below(next, o.perturb.factors.length)]!;
    if (resample) {
      out[path] = randomValue(spec, next);
      continue;
    }
    const [a, b] = "uniform" in spec ? spec.uniform : "loguniform" in spec ? spec.loguniform : spec.int;
    const scaled = (params[path] as number) * factor;
    out[path] = Math.min(b, Math.max(a, "int" in spec ? Math.round(scaled) : scaled));
  }
  return out;
}
