import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTrialConfig } from "./mlp-config.ts";
import { ConfigError } from "./config-errors.ts";

const good = {
  dataset: { name: "mnist", train: 8000, test: 2000 },
  model: { hidden: [128] },
  train: { epochs: 3, batch: 64, lr: 0.1 },
};

test("fills defaults", () => {
  const c = parseTrialConfig(good);
  assert.equal(c.model.activation, "relu");
  assert.equal(c.train.optimizer, "sgd");
  assert.deepEqual(c.train.schedule, { type: "constant", every: 1, gamma: 0.5 });
  assert.equal(c.train.seed, 0);
  assert.equal(c.dataset.seed, 0);
});

test("a schedule may be a name or an object", () => {
  assert.equal(parseTrialConfig({ ...good, train: { ...good.train, schedule: "cosine" } }).train.schedule.type, "cosine");
  const step = parseTrialConfig({ ...good, train: { ...good.train, schedule: { type: "step", every: 2, gamma: 0.1 } } });
  assert.deepEqual(step.train.schedule, { type: "step", every: 2, gamma: 0.1 });
});

const cases: Array<[string, unknown, string[]]> = [
  ["not an object", "mnist", ["(root): Invalid input: expected object, received string"]],
  ["unknown dataset", { ...good, dataset: { ...good.dataset, name: "cifar" } }, ['dataset.name: Invalid option: expected one of "mnist"|"spirals"|"moons"|"xor"']],
  ["too many mnist samples", { ...good, dataset: { name: "mnist", train: 9000, test: 2000 } }, ["dataset.train: train + test must be at most 10000 for mnist (got 11000)"]],
  ["negative width and bad activation", { ...good, model: { hidden: [64, 0], activation: "gelu" } }, [
    "model.hidden.1: must be at least 1",
    'model.activation: Invalid option: expected one of "relu"|"tanh"|"sigmoid"',
  ]],
  ["every bad train field at once", { ...good, train: { epochs: 0, batch: 2.5, lr: 0, momentum: 1, typo: true } }, [
    "train.epochs: must be at least 1",
    "train.batch: Invalid input: expected int, received number",
    "train.lr: must be > 0",
    "train.momentum: must be < 1",
    'train: Unrecognized key: "typo"',
  ]],
  ["classes on a non-spiral dataset", { ...good, dataset: { name: "moons", train: 10, test: 10, classes: 3 } }, ["dataset.classes: applies only to spirals"]],
  ["seed out of range", { ...good, train: { ...good.train, seed: -1 } }, ["train.seed: must be 0 or more"]],
];

for (const [name, input, problems] of cases) {
  test(`refuses ${name}, naming each bad field`, () => {
    assert.throws(() => parseTrialConfig(input), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, problems);
      return true;
    });
  });
}
