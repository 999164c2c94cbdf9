// PED-ANOVA importance: the parameter that drives the objective gets the share, in the goal's
// direction, deterministically, and fast enough to run on every finished trial.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pedAnovaImportance, type ImportanceInput } from "./importance.ts";
import { mulberry32 } from "../mulberry32.ts";
import type { ParamSpec } from "./param-spec.ts";

/** Uniform in [0, 1) from the seeded generator. */
function uniform01(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

const sumOf = (shares: Record<string, number>) => Object.values(shares).reduce((a, b) => a + b, 0);

test("an objective of x alone gives x nearly all the share and the ignored y nearly none", () => {
  const rand = uniform01(1);
  const space: Record<string, ParamSpec> = { x: { uniform: [-1, 1] }, y: { uniform: [-1, 1] } };
  const trials: ImportanceInput[] = [];
  for (let i = 0; i < 1000; i++) {
    const x = -1 + 2 * rand();
    const y = -1 + 2 * rand();
    trials.push({ params: { x, y }, value: (x - 0.3) ** 2 });
  }
  const shares = pedAnovaImportance(space, trials, "minimize");
  assert.ok(shares.x! > 0.9, `share(x) = ${shares.x}`);
  assert.ok(shares.y! < 0.05, `share(y) = ${shares.y}`);
  assert.ok(Math.abs(sumOf(shares) - 1) < 1e-9);
  assert.deepEqual(Object.keys(shares), ["x", "y"], "largest share first");
});

test("a loguniform that matters most beats a categorical that matters less, and an ignored int gets ≈ 0", () => {
  const rand = uniform01(2);
  const optimizers = ["sgd", { name: "adam", beta: 0.9 }, "rmsprop"];
  const space: Record<string, ParamSpec> = {
    optimizer: optimizers,
    lr: { loguniform: [1e-5, 1e-1] },
    layers: { int: [1, 8] },
    fixed: [42],
  };
  const trials: ImportanceInput[] = [];
  for (let i = 0; i < 2000; i++) {
    const optimizer = optimizers[Math.floor(rand() * 3)];
    const lr = Math.exp(Math.log(1e-5) + rand() * Math.log(1e4));
    const layers = 1 + Math.floor(rand() * 8);
    const adam = typeof optimizer === "object";
    // Best near lr = 1e-3; adam helps, less (its share comes out ≈ 0.2).
    const loss = (Math.log10(lr) + 3) ** 2 + (adam ? 0 : 0.3);
    // Choices compare by canonical JSON: a copy of the adam object with its keys reordered still counts as adam.
    trials.push({ params: { optimizer: adam ? { beta: 0.9, name: "adam" } : optimizer, lr, layers, fixed: 42 }, value: loss });
  }
  const shares = pedAnovaImportance(space, trials, "minimize");
  assert.ok(shares.lr! > shares.optimizer!, `lr ${shares.lr} vs optimizer ${shares.optimizer}`);
  assert.ok(shares.optimizer! > 0.1, `optimizer ${shares.optimizer}`);
  assert.ok(shares.layers! < 0.05, `layers ${shares.layers}`);
  assert.equal(shares.fixed, 0, "a single choice cannot matter");
  assert.ok(Math.abs(sumOf(shares) - 1) < 1e-9, `sum ${sumOf(shares)}`);
});

test("the goal picks the direction: the same data credit x when maximizing and y when minimizing", () => {
  const rand = uniform01(3);
  const space: Record<string, ParamSpec> = { x: { uniform: [0, 1] }, y: { uniform: [0, 1] } };
  const trials: ImportanceInput[] = [];
  for (let i = 0; i < 2000; i++) {
    const x = rand();
    const y = rand();
    // High values need x near its top end; low values need y near its top end.
    trials.push({ params: { x, y }, value: 10 * Math.max(0, x - 0.8) - 10 * Math.max(0, y - 0.8) });
  }
  const max = pedAnovaImportance(space, trials, "maximize");
  const min = pedAnovaImportance(space, trials, "minimize");
  assert.ok(max.x! > 0.7 && max.y! < 0.3, `maximize: ${JSON.stringify(max)}`);
  assert.ok(min.y! > 0.7 && min.x! < 0.3, `minimize: ${JSON.stringify(min)}`);
});

test("same input, same output, whatever the trials' order; all-tied values give equal shares", () => {
  const rand = uniform01(4);
  const space: Record<string, ParamSpec> = { a: { uniform: [0, 1] }, b: ["p", "q", "r"], c: { int: [0, 1000] } };
  const trials: ImportanceInput[] = [];
  for (let i = 0; i < 300; i++) {
    const a = rand();
    const b = ["p", "q", "r"][Math.floor(rand() * 3)]!;
    const c = Math.floor(rand() * 1001);
    trials.push({ params: { a, b, c }, value: a + (b === "q" ? 0.3 : 0) + c / 5000 });
  }
  const first = pedAnovaImportance(space, trials, "maximize");
  assert.deepEqual(pedAnovaImportance(space, trials, "maximize"), first);
  assert.deepEqual(pedAnovaImportance(space, [...trials].reverse(), "maximize"), first);
  const tied = pedAnovaImportance(space, trials.map((t) => ({ ...t, value: 1 })), "maximize");
  assert.deepEqual(tied, { a: 1 / 3, b: 1 / 3, c: 1 / 3 });
});

test("too few usable trials, a bad quantile or a value outside the space are errors that say why", () => {
  const space: Record<string, ParamSpec> = { x: { uniform: [0, 1] }, k: ["a", "b"] };
  assert.throws(() => pedAnovaImportance(space, [], "minimize"), /at least 2 trials.*got 0/);
  assert.throws(() => pedAnovaImportance(space, [{ params: { x: 0.5, k: "a" }, value: 1 }], "minimize"), /at least 2 trials.*got 1/);
  const withNaN = [{ params: { x: 0.5, k: "a" }, value: 1 }, { params: { x: 0.2, k: "b" }, value: NaN }];
  assert.throws(() => pedAnovaImportance(space, withNaN, "minimize"), /at least 2 trials with a finite value, got 1/);
  const two = [{ params: { x: 0.5, k: "a" }, value: 1 }, { params: { x: 0.2, k: "b" }, value: 2 }];
  assert.deepEqual(pedAnovaImportance(space, two, "minimize"), { x: 0.5, k: 0.5 }, "two trials are all top trials");
  assert.throws(() => pedAnovaImportance(space, two, "minimize", { targetQuantile: 1.5 }), /targetQuantile must be in \[0, 1\]/);
  assert.throws(() => pedAnovaImportance(space, [...two, { params: { x: 0.1, k: "c" }, value: 0 }], "minimize"), /"k": "c" is not one of its choices/);
  assert.throws(() => pedAnovaImportance(space, [...two, { params: { k: "a" }, value: 0 }], "minimize"), /"x" is missing/);
});

test("10,000 trials × 5 parameters", (t) => {
  const rand = uniform01(5);
  const space: Record<string, ParamSpec> = {
    u: { uniform: [-5, 5] },
    lr: { loguniform: [1e-6, 1] },
    width: { int: [16, 4096] },
    depth: { int: [1, 12] },
    act: [{ fn: "relu" }, { fn: "gelu" }, { fn: "tanh" }, null],
  };
  const acts = space.act as unknown[];
  const trials: ImportanceInput[] = [];
  for (let i = 0; i < 10_000; i++) {
    const params = {
      u: -5 + 10 * rand(),
      lr: Math.exp(Math.log(1e-6) + rand() * Math.log(1e6)),
      width: 16 + Math.floor(rand() * 4081),
      depth: 1 + Math.floor(rand() * 12),
      act: acts[Math.floor(rand() * 4)],
    };
    trials.push({ params, value: Math.abs(params.u) + 0.5 * Math.abs(Math.log10(params.lr) + 3) + (params.depth % 3) * 0.2 });
  }
  const start = performance.now();
  const shares = pedAnovaImportance(space, trials, "minimize");
  const ms = performance.now() - start;
  t.diagnostic(`pedAnovaImportance: 10,000 trials × 5 params in ${ms.toFixed(1)} ms → ${JSON.stringify(shares)}`);
  assert.ok(Math.abs(sumOf(shares) - 1) < 1e-9);
  assert.ok(shares.u! > shares.lr! && shares.lr! > Math.max(shares.width!, shares.depth!, shares.act!), JSON.stringify(shares));
});
