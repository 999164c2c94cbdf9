import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../load.ts";
import { parseTrialConfig, BuiltinDatasetSpec } from "../mlp-config.ts";
import { trainNetwork } from "../network.ts";
import { builtinHostDataset } from "./builtin-host-dataset.ts";
import { validationCount, DEFAULT_VALIDATION_FRACTION } from "./validation-split.ts";

const module = await compileKernels();
const spirals = (extra: object = {}) => BuiltinDatasetSpec.parse({ name: "spirals", train: 500, test: 200, ...extra });
const rowsOf = (x: Float32Array) => Array.from({ length: x.length / 2 }, (_, i) => `${x[2 * i]},${x[2 * i + 1]}`);

test("validationCount: round(train × fraction), at least 1 held out and 1 left", () => {
  assert.equal(DEFAULT_VALIDATION_FRACTION, 0.1);
  assert.deepEqual([[500, 0.1], [500, 0], [10, 0.01], [10, 0.99], [1, 0.5], [2, 0.5]].map(([n, f]) => validationCount(n!, f!)), [50, 0, 1, 9, 0, 1]);
});

test("a built-in dataset's validation rows come out of its train rows, drawn by the dataset seed: disjoint, the same for every trial", () => {
  const d = builtinHostDataset(instantiateKernels(module), spirals(), {});
  assert.deepEqual([d.train.count, d.validation.count, d.test.count], [450, 50, 200]);
  const train = new Set(rowsOf(d.train.x)), validation = rowsOf(d.validation.x);
  assert.ok(validation.every((r) => !train.has(r)), "no validation row is trained on");
  // Together they are the rows of `validation: 0`'s train split (the test split is unchanged).
  const whole = builtinHostDataset(instantiateKernels(module), spirals({ validation: 0 }), {});
  assert.equal(whole.validation.count, 0);
  assert.deepEqual([...train, ...validation].sort(), rowsOf(whole.train.x).sort());
  assert.deepEqual(rowsOf(d.test.x), rowsOf(whole.test.x));
  // Not simply the last rows: a seeded draw; the same draw again, another with another dataset seed.
  assert.notDeepEqual(validation, rowsOf(whole.train.x).slice(450));
  assert.deepEqual(rowsOf(builtinHostDataset(instantiateKernels(module), spirals(), {}).validation.x), validation);
  const other = builtinHostDataset(instantiateKernels(module), spirals({ seed: 1 }), {});
  assert.notDeepEqual(rowsOf(other.validation.x), validation);
});

const config = (dataset: object) => parseTrialConfig({
  dataset: { name: "spirals", train: 500, test: 200, ...dataset },
  model: { hidden: [16], activation: "tanh" }, train: { epochs: 3, batch: 32, optimizer: "adam", lr: 0.01, seed: 4 },
});

test("the trainer reports validation metrics every epoch and the test metrics once, with the last", () => {
  const r = trainNetwork(instantiateKernels(module), config({}));
  assert.deepEqual(r.epochs.map((e) => Object.keys(e)), [
    ["epoch", "trainLoss", "valLoss", "valAccuracy", "lr", "wallMs"],
    ["epoch", "trainLoss", "valLoss", "valAccuracy", "lr", "wallMs"],
    ["epoch", "trainLoss", "valLoss", "valAccuracy", "testLoss", "testAccuracy", "lr", "wallMs"],
  ]);
  assert.ok(r.final!.valAccuracy! > 0 && r.final!.testAccuracy! > 0);
  // Stopped early, the epoch it stopped in still measures the test set.
  let steps = 0;
  const stopped = trainNetwork(instantiateKernels(module), config({}), { shouldStop: () => ++steps > 20 });
  assert.equal(stopped.epochs.length, 2);
  assert.ok(stopped.final!.testAccuracy !== undefined);
});

test("validation: 0 trains on every train row, reports the test set every epoch, and gives the weights the trainer gave before the split existed", () => {
  const r = trainNetwork(instantiateKernels(module), config({ validation: 0 }));
  assert.deepEqual(Object.keys(r.epochs[0]!), ["epoch", "trainLoss", "testLoss", "testAccuracy", "lr", "wallMs"]);
  // This config's weights under engine 2 (engine 1, before validation existed, gave 20f2a44c…: its tanh was scalar Mathf).
  assert.equal(r.weightsSha256, "3f72a8085bb610f9185b4d746c8831b67c6345396db294d8f5c48c99e2bcb3b1");
  // With relu the weights are engine 1's (computed with the build just before engine 2): engine 2
  // changed only tanh and sigmoid.
  const relu = parseTrialConfig({ ...config({ validation: 0 }), model: { hidden: [16], activation: "relu" } });
  assert.equal(trainNetwork(instantiateKernels(module), relu).weightsSha256, "45ed913e12311b42e23a7d8067193ff1cb4866090fe56ecd5e94b3da6411da80");
  assert.notEqual(trainNetwork(instantiateKernels(module), config({})).weightsSha256, r.weightsSha256, "a split trains on fewer rows");
});

test("the config names a validation fraction it cannot use; one train row holds none out", () => {
  assert.throws(() => config({ validation: 1 }), /dataset\.validation: must be a fraction in \[0, 1\)/);
  assert.throws(() => config({ validation: -0.1 }), /dataset\.validation: must be a fraction in \[0, 1\)/);
  // One train row has nothing to hold out: it trains on it and ranks by the test set.
  assert.deepEqual(Object.keys(trainNetwork(instantiateKernels(module), config({ train: 1 })).final!), ["epoch", "trainLoss", "testLoss", "testAccuracy", "lr", "wallMs"]);
});
