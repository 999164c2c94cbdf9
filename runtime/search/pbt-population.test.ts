// PBT's decisions without a fleet: the draws, the exploit by rank and the explore, and that
// nothing depends on the order results arrive in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explore, firstGeneration, nextGeneration, quantileCount, rankSlots, type PbtOptions, type PbtResult } from "./pbt-population.ts";
import { mulberry32 } from "../mulberry32.ts";

const OPTIONS: PbtOptions = {
  population: 8, generations: 5, quantile: 0.25, perturb: { factors: [0.8, 1.2], resample: 0.25 }, seed: 7,
  parameters: { "train.lr": { loguniform: [0.001, 1] }, "model.width": { int: [4, 64] }, "train.optimizer": ["sgd", "momentum", "adam"] },
};

test("generation 0: each slot's values drawn from the space, the same for the same seed, others for another", () => {
  const a = firstGeneration(OPTIONS);
  assert.equal(a.length, 8);
  assert.deepEqual(a, firstGeneration(OPTIONS));
  assert.notDeepEqual(a.map((m) => m.params), firstGeneration({ ...OPTIONS, seed: 8 }).map((m) => m.params));
  for (const m of a) {
    assert.equal(m.parentSlot, null);
    const lr = m.params["train.lr"] as number;
    assert.ok(lr >= 0.001 && lr <= 1);
    assert.ok(Number.isInteger(m.params["model.width"]));
    assert.ok(["sgd", "momentum", "adam"].includes(m.params["train.optimizer"] as string));
  }
});

test("the groups: ceil(population × quantile), at most half, none for a population of 1", () => {
  assert.deepEqual([[1, 0.25], [2, 0.25], [4, 0.25], [8, 0.25], [10, 0.25], [3, 0.5], [5, 0.5]].map(([n, q]) => quantileCount(n!, q!)), [0, 1, 1, 2, 3, 1, 2]);
});

test("ranking: best first by the goal, a failed member last, ties by slot", () => {
  const results: PbtResult[] = [{ slot: 0, value: 0.5 }, { slot: 1, value: null }, { slot: 2, value: 0.9 }, { slot: 3, value: 0.5 }];
  assert.deepEqual(rankSlots(results, "maximize"), [2, 0, 3, 1]);
  assert.deepEqual(rankSlots(results, "minimize"), [0, 3, 2, 1]);
});

test("exploit: the bottom group copies a top member and perturbs; the rest go on from their own state", () => {
  const g0 = firstGeneration(OPTIONS);
  const results = g0.map((m) => ({ slot: m.slot, value: m.slot === 5 ? null : m.slot / 10 }));
  const g1 = nextGeneration(OPTIONS, g0, results, "maximize");
  // Top two: slots 7, 6; bottom two: the failed 5 and slot 0.
  for (const m of g1) {
    assert.equal(m.generation, 1);
    if (m.slot === 5 || m.slot === 0) {
      assert.equal(m.exploited, true);
      assert.ok(m.parentSlot === 7 || m.parentSlot === 6, `slot ${m.slot} copies ${m.parentSlot}`);
    } else {
      assert.deepEqual(m, { generation: 1, slot: m.slot, params: g0[m.slot]!.params, parentSlot: m.slot, exploited: false });
    }
  }
  // The order results arrive in changes nothing.
  assert.deepEqual(nextGeneration(OPTIONS, g0, [...results].reverse(), "maximize"), g1);
  assert.deepEqual(nextGeneration(OPTIONS, [...g0].reverse(), results, "maximize").sort((a, b) => a.slot - b.slot), g1);
  assert.throws(() => nextGeneration(OPTIONS, g0, results.slice(1), "maximize"), /a generation has 8 members; got 8 members and 7 results/);
});

test("explore: a factor for ranges (rounded for ints, clamped to the space), a neighbouring choice for lists, or a fresh draw", () => {
  const next = mulberry32(3);
  const start = { "train.lr": 0.1, "model.width": 10, "train.optimizer": "momentum" };
  const perturbOnly = { parameters: OPTIONS.parameters, perturb: { factors: [0.8, 1.2], resample: 0 } };
  const seen = { lr: new Set<number>(), width: new Set<number>(), optimizer: new Set<unknown>() };
  for (let i = 0; i < 200; i++) {
    const p = explore(start, perturbOnly, next);
    seen.lr.add(p["train.lr"] as number);
    seen.width.add(p["model.width"] as number);
    seen.optimizer.add(p["train.optimizer"]);
  }
  assert.deepEqual([...seen.lr].sort(), [0.1 * 0.8, 0.1 * 1.2].sort());
  assert.deepEqual([...seen.width].sort((a, b) => a - b), [8, 12]);
  assert.deepEqual([...seen.optimizer].sort(), ["adam", "sgd"]);
  // At the edge of the space: clamped, and the list's end stays (or moves inward).
  const edge = explore({ "train.lr": 1, "model.width": 64, "train.optimizer": "adam" }, perturbOnly, mulberry32(1));
  assert.ok((edge["train.lr"] as number) <= 1 && (edge["model.width"] as number) <= 64);
  assert.ok(["adam", "momentum"].includes(edge["train.optimizer"] as string));
  // Always resampled: values from the whole space.
  const fresh = new Set<number>();
  for (let i = 0; i < 50; i++) fresh.add(explore(start, { ...perturbOnly, perturb: { factors: [0.8, 1.2], resample: 1 } }, next)["model.width"] as number);
  assert.ok(fresh.size > 10, `${fresh.size} distinct widths`);
});

test("on a toy objective the population climbs: the best of the last generation beats the best of the first", () => {
  // The objective peaks at lr = 0.05: PBT moves the bottom members towards the top ones' values.
  const options: PbtOptions = { ...OPTIONS, population: 10, parameters: { "train.lr": { loguniform: [0.001, 1] } } };
  const score = (lr: number) => -Math.abs(Math.log(lr / 0.05));
  let generation = firstGeneration(options);
  const first = Math.max(...generation.map((m) => score(m.params["train.lr"] as number)));
  for (let g = 1; g < 15; g++) {
    const results = generation.map((m) => ({ slot: m.slot, value: score(m.params["train.lr"] as number) }));
    generation = nextGeneration(options, generation, results, "maximize");
  }
  const last = generation.map((m) => score(m.params["train.lr"] as number));
  assert.ok(Math.max(...last) > first, `best ${Math.max(...last)} after 15 generations, ${first} at the start`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(last) > mean(firstGeneration(options).map((m) => score(m.params["train.lr"] as number))), "the population as a whole moved up");
});
