// The pbt searcher: population-based training (pbt-population.ts decides). Generation g is
// points g × population .. (g + 1) × population − 1, slot = point mod population; a generation
// is proposed once every trial before it has ended (propose-trials.ts), which is what makes
// generations synchronous. Its points are replayed from the stored results on every proposal,
// so a restarted controller proposes exactly what it would have.
import { z } from "zod";
import type { Point } from "./param-spec.ts";
import type { Observation, SearchConfig, Searcher, TrialLineage } from "./searcher.ts";
import { firstGeneration, nextGeneration, type PbtMember, type PbtOptions } from "./pbt-population.ts";

const count = (what: string) => z.int({ error: (issue) => (issue.input === undefined ? `required for method pbt: ${what}` : undefined) });
const FRACTION = "must be a fraction in (0, 0.5]";

export const pbtSearch: Searcher = {
  name: "pbt",
  options: {
    population: count("the members trained side by side").min(2, "must be at least 2").max(10_000, "must be at most 10000"),
    generations: count("how many times the population trains `interval` steps").min(1, "must be at least 1").max(10_000, "must be at most 10000"),
    interval: count("the report steps (epochs for the built-in) each generation trains").min(1, "must be at least 1").max(1_000_000, "must be at most 1000000"),
    quantile: z.number({ error: FRACTION }).gt(0, FRACTION).max(0.5, FRACTION).default(0.25),
    perturb: z.strictObject({
      factors: z.array(z.number().positive("must be positive"), { error: "must be a list of positive factors" }).min(1, "must list at least one factor").default([0.8, 1.2]),
      resample: z.number({ error: "must be a probability in [0, 1]" }).min(0, "must be a probability in [0, 1]").max(1, "must be a probability in [0, 1]").default(0.25),
    }).default({ factors: [0.8, 1.2], resample: 0.25 }),
  },
  refuses: {
    samples: "not for method pbt: its trials are population × generations",
    batch: "not for method pbt: a batch is a generation (population)",
  },
  // A member continues its parent's state: a repeat would have no parent of its own.
  maxRepeats: { most: 1, why: "must be 1 for method pbt (each member continues one parent's state; run the sweep again with another seed instead)" },
  stepsNeeded: (search) => ({ steps: options(search).generations * (search.interval as number), from: "search.generations × search.interval" }),
  size: (search) => options(search).population * options(search).generations,
  // For checking the space: generation 0's draws.
  points: (search) => firstGeneration(options(search)).map((m) => m.params),
  proposer: {
    batchSize: (search) => options(search).population,
    propose: (search, observations, first, n, goal) => membersAt(search, observations, first, n, goal).map((m) => m.params),
    lineage: (search, observations, first, n, goal) => {
      const o = options(search);
      const interval = search.interval as number;
      return membersAt(search, observations, first, n, goal).map((m): TrialLineage => ({
        generation: m.generation, slot: m.slot, exploited: m.exploited,
        parentPoint: m.parentSlot === null ? null : (m.generation - 1) * o.population + m.parentSlot,
        startStep: m.generation * interval, stopStep: (m.generation + 1) * interval,
      }));
    },
  },
};

function options(search: SearchConfig): PbtOptions {
  return {
    population: search.population as number, generations: search.generations as number, quantile: (search.quantile as number | undefined) ?? 0.25,
    perturb: (search.perturb as PbtOptions["perturb"] | undefined) ?? { factors: [0.8, 1.2], resample: 0.25 },
    seed: search.seed, parameters: search.parameters,
  };
}

/**
 * The members of points first .. first + n − 1 (whole generations from first's), replayed from
 * generation 0 through the observed results of every generation before.
 */
function membersAt(search: SearchConfig, observations: Observation[], first: number, n: number, goal: "maximize" | "minimize"): PbtMember[] {
  const o = options(search);
  const generation = Math.floor(first / o.population);
  let members = firstGeneration(o);
  for (let g = 1; g <= generation; g++) {
    const observed = observations.slice((g - 1) * o.population, g * o.population);
    if (observed.length < o.population) throw new Error(`pbt: generation ${g} needs the ${o.population} results of generation ${g - 1}, ${observed.length} are in`);
    members = nextGeneration(o, members, observed.map((obs, slot) => ({ slot, value: obs.value })), goal);
  }
  const offset = first - generation * o.population;
  return members.slice(offset, offset + n);
}

/** The params of a generation, for tests and tools: what `propose` gives for it. */
export function pbtGenerationParams(search: SearchConfig, observations: Observation[], generation: number, goal: "maximize" | "minimize"): Point[] {
  const population = options(search).population;
  return membersAt(search, observations, generation * population, population, goal).map((m) => m.params);
}
