// Tests of sweep expansion: grid order, seeded random draws, repeats and seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { expandSweep } from "./expand-sweep.ts";
import { parseSweepConfig } from "./sweep-config.ts";

const base = {
  name: "mnist-width-lr",
  dataset: { name: "mnist", train: 8000, test: 2000 },
  model: { hidden: [128], activation: "relu" },
  train: { epochs: 5, batch: 64, optimizer: "sgd", lr: 0.1 },
};
const sweep = (search: object, extra: object = {}) => parseSweepConfig({ ...base, ...extra, search });

test("expands the DESIGN example: 4 lr × 3 hidden × 3 repeats", () => {
  const lrs = [0.01, 0.03, 0.1, 0.3];
  const hiddens = [[32], [128], [128, 64]];
  const trials = expandSweep(sweep({ method: "grid", repeats: 3, parameters: { "train.lr": lrs, "model.hidden": hiddens } }));
  assert.equal(trials.length, 36);
  trials.forEach((trial, i) => {
    const point = Math.floor(i / 3);
    // The first parameter varies slowest.
    const params = { "train.lr": lrs[Math.floor(point / 3)], "model.hidden": hiddens[point % 3] };
    assert.deepEqual({ ...trial, config: undefined }, { index: i, point, repeat: i % 3, params, seed: i % 3, config: undefined });
    assert.equal(trial.config.train.lr, params["train.lr"]);
    assert.deepEqual(trial.config.model.hidden, params["model.hidden"]);
    assert.equal(trial.config.train.seed, i % 3);
    assert.equal(trial.config.train.epochs, 5);
    assert.equal(trial.config.model.activation, "relu");
  });
});

test("repeats count up from the base train.seed", () => {
  const trials = expandSweep(sweep({ repeats: 3, parameters: { "train.lr": [0.1] } }, { train: { ...base.train, seed: 7 } }));
  assert.deepEqual(trials.map((t) => [t.seed, t.config.train.seed]), [[7, 7], [8, 8], [9, 9]]);
});

test("a swept list replaces the whole base value", () => {
  const trials = expandSweep(sweep({ parameters: { "model.hidden": [[16]] } }, { model: { hidden: [128, 64, 32] } }));
  assert.deepEqual(trials[0]!.config.model.hidden, [16]);
});

test("a path may reach inside a field the base wrote in short form", () => {
  const config = sweep({ parameters: { "train.schedule.every": [1, 2] } }, { train: { ...base.train, schedule: "step" } });
  assert.deepEqual(expandSweep(config).map((t) => t.config.train.schedule), [
    { type: "step", every: 1, gamma: 0.5 },
    { type: "step", every: 2, gamma: 0.5 },
  ]);
});

test("no search gives one trial with the base config", () => {
  const trials = expandSweep(parseSweepConfig(base));
  assert.equal(trials.length, 1);
  assert.deepEqual({ ...trials[0], config: undefined }, { index: 0, point: 0, repeat: 0, params: {}, seed: 0, config: undefined });
  assert.equal(trials[0]!.config.train.lr, 0.1);
});

const ranges = {
  "train.lr": { loguniform: [0.001, 1] },
  "train.momentum": { uniform: [0.5, 0.99] },
  "train.epochs": { int: [1, 20] },
  "model.activation": ["relu", "tanh", "sigmoid"],
};

test("random draws are reproducible for a seed, and differ for another", () => {
  const first = expandSweep(sweep({ method: "random", samples: 20, seed: 42, parameters: ranges }));
  assert.deepEqual(expandSweep(sweep({ method: "random", samples: 20, seed: 42, parameters: ranges })), first);
  const other = expandSweep(sweep({ method: "random", samples: 20, seed: 43, parameters: ranges }));
  assert.notDeepEqual(other.map((t) => t.params), first.map((t) => t.params));
  // Pinned: a changed PRNG would silently change the trials of a resumed sweep.
  assert.deepEqual(first.slice(0, 3).map((t) => t.params), [
    { "train.lr": 0.06357864182480663, "train.momentum": 0.9177082412553554, "train.epochs": 4, "model.activation": "relu" },
    { "train.lr": 0.3948425377173667, "train.momentum": 0.622462630139357, "train.epochs": 15, "model.activation": "relu" },
    { "train.lr": 0.11477203074752292, "train.momentum": 0.5018830471536752, "train.epochs": 17, "model.activation": "tanh" },
  ]);
});

test("random values stay within their ranges", () => {
  const trials = expandSweep(sweep({ method: "random", samples: 2000, seed: 7, parameters: ranges }));
  assert.equal(trials.length, 2000);
  const epochs = new Set<number>();
  for (const { params, config } of trials) {
    const lr = params["train.lr"] as number;
    const momentum = params["train.momentum"] as number;
    assert.ok(lr >= 0.001 && lr <= 1, `lr ${lr}`);
    assert.ok(momentum >= 0.5 && momentum <= 0.99, `momentum ${momentum}`);
    assert.ok(Number.isInteger(config.train.epochs) && config.train.epochs >= 1 && config.train.epochs <= 20);
    assert.ok(["relu", "tanh", "sigmoid"].includes(config.model.activation));
    assert.equal(config.train.lr, lr);
    epochs.add(config.train.epochs);
  }
  assert.equal(epochs.size, 20, "int ranges include both ends");
  // Log-uniform: about as many draws below 0.0316 (the geometric middle) as above it.
  const low = trials.filter((t) => (t.params["train.lr"] as number) < Math.sqrt(0.001)).length;
  assert.ok(low > 800 && low < 1200, `${low} of 2000 below the geometric middle`);
});

test("random over lists draws distinct points, capped at the number of points", () => {
  const parameters = { "train.lr": [0.01, 0.03, 0.1, 0.3], "model.hidden": [[32], [128], [128, 64]] };
  const five = expandSweep(sweep({ method: "random", samples: 5, seed: 3, parameters }));
  assert.equal(new Set(five.map((t) => JSON.stringify(t.params))).size, 5);
  const all = expandSweep(sweep({ method: "random", samples: 100, seed: 3, repeats: 2, parameters }));
  assert.equal(all.length, 24);
  assert.equal(new Set(all.map((t) => JSON.stringify(t.params))).size, 12);
  assert.deepEqual(all.map((t) => [t.point, t.repeat, t.seed]).slice(0, 4), [[0, 0, 0], [0, 1, 1], [1, 0, 0], [1, 1, 1]]);
});

test("expansion is deterministic and leaves the config alone", () => {
  const config = sweep({ repeats: 2, parameters: { "train.lr": [0.01, 0.1], "model.hidden": [[8], [16, 8]] } });
  const before = structuredClone(config);
  const trials = expandSweep(config);
  assert.deepEqual(config, before);
  assert.deepEqual(expandSweep(config), trials);
  (trials[0]!.params["model.hidden"] as number[]).push(99);
  assert.deepEqual(trials[1]!.params["model.hidden"], [8], "trials share no values");
  assert.deepEqual(trials.map((t) => t.index), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("a field of one layer in a layer list is sweepable by its index", () => {
  const layers = [
    { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { type: "maxpool2d", size: 2 },
    { type: "flatten" },
    { type: "dense", units: 10 },
  ];
  const config = parseSweepConfig({
    name: "cnn", dataset: { name: "mnist", train: 100, test: 10 }, model: { layers }, train: { epochs: 1, batch: 8, lr: 0.1 },
    search: { parameters: { "model.layers.0.filters": [8, 16], "model.layers.1.size": [2, 4] } },
  });
  const trials = expandSweep(config);
  assert.deepEqual(trials.map((t) => [t.config.model.layers[0].filters, t.config.model.layers[1].size]), [[8, 2], [8, 4], [16, 2], [16, 4]]);
  assert.equal(layers[0]!.filters, 4, "the base is not mutated");
  assert.throws(() => parseSweepConfig({
    name: "cnn", dataset: { name: "mnist", train: 100, test: 10 }, model: { layers }, train: { epochs: 1, batch: 8, lr: 0.1 },
    search: { parameters: { "model.layers.0.filterz": [8] } },
  }), /search\.parameters\.model\.layers\.0\.filterz: unknown parameter/);
});
