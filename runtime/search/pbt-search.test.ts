// The pbt searcher as the sweep code sees it: generations as batches, replayed from results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pbtSearch } from "./pbt-search.ts";
import { firstGeneration, nextGeneration } from "./pbt-population.ts";
import type { Observation, SearchConfig } from "./searcher.ts";

const SEARCH: SearchConfig = {
  method: "pbt", seed: 3, repeats: 1, population: 4, generations: 3, interval: 2, quantile: 0.25,
  perturb: { factors: [0.8, 1.2], resample: 0.25 }, parameters: { "train.lr": { loguniform: [0.001, 1] }, "train.momentum": [0, 0.5, 0.9] },
};
const proposer = pbtSearch.proposer!;
const observe = (params: Array<Record<string, unknown>>, values: Array<number | null>): Observation[] =>
  params.map((p, i) => ({ params: p, value: values[i]!, state: "done" }));

test("size and batches: population × generations trials, a generation per batch", () => {
  assert.equal(pbtSearch.size(SEARCH), 12);
  assert.equal(proposer.batchSize(SEARCH), 4);
  const g0 = proposer.propose(SEARCH, [], 0, 4, "maximize");
  assert.deepEqual(g0, firstGeneration({ ...SEARCH, population: 4, generations: 3, quantile: 0.25, perturb: SEARCH.perturb as never, seed: 3, parameters: SEARCH.parameters }).map((m) => m.params));
  assert.deepEqual(proposer.lineage!(SEARCH, [], 0, 4, "maximize").map((l) => [l.generation, l.slot, l.parentPoint, l.startStep, l.stopStep]),
    [[0, 0, null, 0, 2], [0, 1, null, 0, 2], [0, 2, null, 0, 2], [0, 3, null, 0, 2]]);
});

test("generation 1 from generation 0's results: the worst copies the best (as points), the rest continue their own", () => {
  const g0 = proposer.propose(SEARCH, [], 0, 4, "maximize");
  const obs = observe(g0, [0.5, 0.9, 0.1, 0.7]);
  const g1 = proposer.propose(SEARCH, obs, 4, 4, "maximize");
  const lineage = proposer.lineage!(SEARCH, obs, 4, 4, "maximize");
  assert.deepEqual(lineage.map((l) => [l.generation, l.slot, l.parentPoint, l.exploited, l.startStep, l.stopStep]), [
    [1, 0, 0, false, 2, 4], [1, 1, 1, false, 2, 4], [1, 2, 1, true, 2, 4], [1, 3, 3, false, 2, 4],
  ]);
  assert.deepEqual([g1[0], g1[1], g1[3]], [g0[0], g0[1], g0[3]]);
  assert.notDeepEqual(g1[2], g0[2]);
  // The same as the population module decides it, and the same on every replay.
  const o = { population: 4, generations: 3, quantile: 0.25, perturb: SEARCH.perturb as never, seed: 3, parameters: SEARCH.parameters };
  assert.deepEqual(g1, nextGeneration(o, firstGeneration(o), [0.5, 0.9, 0.1, 0.7].map((value, slot) => ({ slot, value })), "maximize").map((m) => m.params));
  assert.deepEqual(proposer.propose(SEARCH, obs, 4, 4, "maximize"), g1);
  // Generation 2 needs generation 1's results too.
  assert.throws(() => proposer.propose(SEARCH, obs, 8, 4, "maximize"), /generation 2 needs the 4 results of generation 1, 0 are in/);
  const g2 = proposer.propose(SEARCH, [...obs, ...observe(g1, [0.6, 0.95, 0.92, null])], 8, 4, "maximize");
  assert.equal(g2.length, 4);
});
