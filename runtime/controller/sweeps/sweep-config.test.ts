// Tests of the sweep config: defaults, the hash, and the exact lines a bad config gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../../kernels/config-errors.ts";
import { parseSweepConfig, sweepConfigHash } from "./sweep-config.ts";

const good = {
  name: "mnist-width-lr",
  dataset: { name: "mnist", train: 8000, test: 2000 },
  model: { hidden: [128], activation: "relu" },
  train: { epochs: 5, batch: 64, optimizer: "sgd", lr: 0.1 },
  search: {
    method: "grid",
    repeats: 3,
    parameters: { "train.lr": [0.01, 0.03, 0.1, 0.3], "model.hidden": [[32], [128], [128, 64]] },
  },
};
const withSearch = (search: object) => ({ ...good, search: { ...good.search, ...search } });
const withParams = (parameters: object) => withSearch({ parameters });
const pbt = { method: "pbt", population: 4, generations: 2, interval: 2, parameters: { "train.lr": { loguniform: [0.01, 0.3] } } };
const random = (parameters: object, extra: object = {}) => ({ ...good, search: { method: "random", samples: 4, parameters, ...extra } });

test("fills the defaults of the sweep and of the base", () => {
  const config = parseSweepConfig(good);
  assert.equal(config.maxAttempts, 3);
  assert.equal(config.leaseSeconds, 10);
  assert.deepEqual(config.relays, { fanout: 8 });
  assert.deepEqual({ ...config.search, parameters: undefined }, { method: "grid", seed: 0, repeats: 3, parameters: undefined });
  assert.equal(config.train.seed, 0);
  assert.equal(config.model.init, "auto");
});

test("checkpoint and keep are kept as given, and absent when not given (the hash of a config without them is unchanged)", () => {
  const config = parseSweepConfig({ ...good, checkpoint: { every: 2 }, keep: { all: true } });
  assert.deepEqual(config.checkpoint, { every: 2 });
  assert.deepEqual(config.keep, { all: true });
  const plain = parseSweepConfig(good);
  assert.equal("checkpoint" in plain || "keep" in plain, false);
});

test("no search is allowed", () => {
  const { search: _, ...single } = good;
  assert.equal(parseSweepConfig(single).search, undefined);
});

test("the base may leave a field to the search", () => {
  const { lr: _, ...train } = good.train;
  const config = parseSweepConfig({ ...good, train });
  assert.equal(config.train.lr, 0.01, "the base holds the first choice");
});

test("the hash ignores key order and YAML vs JSON, but not the order of parameters", () => {
  const yaml = `
search:
  parameters:
    train.lr: [0.01, 0.03, 0.1, 0.3]
    model.hidden: [[32], [128], [128, 64]]
  repeats: 3
  method: grid
train: { lr: 0.1, optimizer: sgd, batch: 64, epochs: 5 }
model: { activation: relu, hidden: [128] }
dataset: { test: 2000, train: 8000, name: mnist }
name: mnist-width-lr
`;
  const hash = sweepConfigHash(parseSweepConfig(good));
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(sweepConfigHash(parseSweepConfig(parseYaml(yaml))), hash);
  assert.equal(sweepConfigHash(parseSweepConfig(JSON.parse(JSON.stringify(good)))), hash);
  // Defaults written out are the same config.
  assert.equal(sweepConfigHash(parseSweepConfig({ ...good, maxAttempts: 3, relays: { fanout: 8 } })), hash);
  const swapped = withParams({ "model.hidden": good.search.parameters["model.hidden"], "train.lr": good.search.parameters["train.lr"] });
  assert.notEqual(sweepConfigHash(parseSweepConfig(swapped)), hash, "parameter order sets the trial order");
  assert.notEqual(sweepConfigHash(parseSweepConfig(withSearch({ repeats: 2 }))), hash);
});

test("caps the lines about swept values at 20", () => {
  const lrs = Array.from({ length: 30 }, (_, i) => -(i + 1));
  assert.throws(() => parseSweepConfig(withParams({ "train.lr": lrs })), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 20);
    assert.equal(err.problems[0], "search.parameters.train.lr: value -1 is invalid: train.lr: must be > 0");
    assert.match(err.message, /^invalid sweep config:\n {2}- search\.parameters\.train\.lr/);
    return true;
  });
});

test("values drawn from a range give one line per problem, not one per draw", () => {
  assert.throws(() => parseSweepConfig(random({ "train.epochs": { uniform: [1, 10] } }, { samples: 50 })), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^search\.parameters\.train\.epochs: value [\d.]+ is invalid: train\.epochs: Invalid input: expected int, received number$/);
    return true;
  });
});

const { lr: _lr, ...trainWithoutLr } = good.train;
const cases: Array<[string, unknown, string[]]> = [
  ["not an object", "sweep", ["(root): Invalid input: expected object, received string"]],
  ["a missing name", { ...good, name: undefined }, ["name: Invalid input: expected string, received undefined"]],
  ["bad name characters", { ...good, name: "my sweep/1" }, ["name: may use only letters, digits, '.', '_' and '-'"]],
  ["an empty name", { ...good, name: "" }, ["name: must not be empty"]],
  ["a long name", { ...good, name: "x".repeat(101) }, ["name: must be at most 100 characters"]],
  ["an unknown top-level key", { ...good, sweeps: 1 }, ["unknown config key 'sweeps' (known here: dataset, model, train, name, experiment, metric, search, early_stopping, checkpoint, keep, maxAttempts, leaseSeconds, …)"]],
  ["checkpoint.every of 0", { ...good, checkpoint: { every: 0 } }, ["checkpoint.every: must be at least 1"]],
  ["an unknown key under checkpoint", { ...good, checkpoint: { each: 5 } }, ["checkpoint.every: Invalid input: expected number, received undefined", "unknown config key 'checkpoint.each' (known here: every)"]],
  ["a negative keep.top", { ...good, keep: { top: -1 } }, ["keep.top: must be at least 0"]],
  ["a keep that is neither top nor all", { ...good, keep: { best: 3 } }, ["keep: must be { top: K } (K 0..1000000) or { all: true }"]],
  ["a typo in a top-level key", { ...good, serach: {} }, ["unknown config key 'serach' (did you mean 'search'?)"]],
  ["typos in keys of the model and training", { ...good, model: { ...good.model, hiden: [4] }, train: { ...good.train, bach: 8, learningrate: 1 } }, [
    "unknown config key 'model.hiden' (did you mean 'model.hidden'?)",
    "unknown config key 'train.bach' (did you mean 'train.batch'?)",
    "unknown config key 'train.learningrate' (known here: epochs, batch, optimizer, lr, momentum, beta1, beta2, eps, weightDecay, schedule, loss, seed)",
  ]],
  ["an unknown search key", withSearch({ sample: 3 }), ["unknown config key 'search.sample' (did you mean 'search.samples'?)"]],
  ["an unknown method", withSearch({ method: "bayes" }), ['search.method: Invalid option: expected one of "grid"|"random"|"tpe"|"pbt"']],
  ["pbt with repeats", { ...good, search: { ...pbt, repeats: 2 } }, ["search.repeats: must be 1 for method pbt (each member continues one parent's state; run the sweep again with another seed instead)"]],
  ["pbt with a stopping rule", { ...good, search: pbt, early_stopping: { rule: "asha" } }, ["early_stopping: not with method pbt (its generations are its stopping rule: the bottom members take the top ones' states)"]],
  ["pbt whose generations outlast the epochs", { ...good, search: { ...pbt, generations: 3, interval: 2 } }, ["train.epochs: 5 is fewer than search.generations × search.interval = 6 (method pbt runs each trial to that step)"]],
  ["pbt sweeping the epochs below its steps", { ...good, search: { ...pbt, parameters: { "train.epochs": [3, 8] } } }, ["train.epochs: 3 is fewer than search.generations × search.interval = 4 (method pbt runs each trial to that step)"]],
  ["tpe without samples", withSearch({ method: "tpe" }), ["search.samples: required for method tpe"]],
  ["a batch for random", random({ "train.lr": [0.1] }, { samples: 2, batch: 2 }), ["search.batch: only for method tpe (grid and random points do not depend on results)"]],
  ["a grid with samples", withSearch({ samples: 3 }), ["search.samples: only for method random (a grid takes every point)"]],
  ["random without samples", withSearch({ method: "random" }), ["search.samples: required for method random"]],
  ["zero samples", random({ "train.lr": [0.1] }, { samples: 0 }), ["search.samples: must be at least 1"]],
  ["an empty choice list", withParams({ "train.lr": [] }), ["search.parameters.train.lr: must list at least one choice"]],
  ["a repeated choice", withParams({ "model.hidden": [[32], [64], [32]] }), ["search.parameters.model.hidden.2: same as choice 0"]],
  ["a range on a grid", withParams({ "train.lr": { uniform: [0.01, 0.1] } }), ["search.parameters.train.lr: a range needs method random or tpe (a grid takes a list of choices)"]],
  ["uniform with a = b", random({ "train.lr": { uniform: [0.1, 0.1] } }), ["search.parameters.train.lr.uniform: needs a < b"]],
  ["loguniform from 0", random({ "train.lr": { loguniform: [0, 1] } }), ["search.parameters.train.lr.loguniform: needs a > 0"]],
  ["int with a fraction and a third item", random({ "train.epochs": { int: [1.5, 3, 4] } }), [
    "search.parameters.train.epochs.int: Too big: expected array to have <=2 items",
    "search.parameters.train.epochs.int.0: Invalid input: expected int, received number",
  ]],
  ["int with a > b", random({ "train.epochs": { int: [5, 2] } }), ["search.parameters.train.epochs.int: needs a <= b"]],
  ["a spec that is neither list nor range", random({ "train.lr": 0.1, "train.epochs": { int: [1, 2], uniform: [1, 2] } }), [
    "search.parameters.train.lr: must be a list of choices or a range { uniform | loguniform | int: [a, b] }",
    "search.parameters.train.epochs: must be a list of choices or a range { uniform | loguniform | int: [a, b] }",
  ]],
  ["an unknown parameter path", withParams({ "train.lrr": [0.1], "model.hidden.first": [8] }), [
    "search.parameters.train.lrr: unknown parameter (no such field in the trial config; did you mean 'train.lr'?)",
    "search.parameters.model.hidden.first: unknown parameter (no such field in the trial config)",
  ]],
  ["overlapping parameter paths", withParams({ "train.schedule": ["cosine"], "train.schedule.every": [2] }), [
    "search.parameters.train.schedule.every: overlaps search.parameters.train.schedule (sweep one or the other)",
  ]],
  ["an invalid swept value", withParams({ "train.lr": [0.1, -1] }), ["search.parameters.train.lr: value -1 is invalid: train.lr: must be > 0"]],
  ["an invalid first choice with no base value", { ...good, train: trainWithoutLr, search: { parameters: { "train.lr": [-1, 0.1] } } }, [
    "search.parameters.train.lr: value -1 is invalid: train.lr: must be > 0",
  ]],
  ["invalid nested values", withParams({ "model.hidden": [[32], [0, 9000]], "train.schedule": ["cosine", "warmup"] }), [
    "search.parameters.model.hidden: value [0,9000] is invalid: model.hidden.0: must be at least 1",
    "search.parameters.model.hidden: value [0,9000] is invalid: model.hidden.1: must be at most 8192",
    'search.parameters.train.schedule: value "warmup" is invalid: train.schedule.type: Invalid option: expected one of "constant"|"step"|"cosine"',
  ]],
  ["a range end out of bounds", random({ "train.lr": { loguniform: [0.001, 20] }, "train.momentum": { uniform: [0.5, 1] } }), [
    "search.parameters.train.lr: value 20 is invalid: train.lr: must be at most 10",
    "search.parameters.train.momentum: value 1 is invalid: train.momentum: must be < 1",
  ]],
  ["a value that fails a check across fields", { ...good, dataset: { name: "spirals", train: 100, test: 100, classes: 3 }, search: { parameters: { "dataset.name": ["moons", "spirals"] } } }, [
    'search.parameters.dataset.name: value "moons" is invalid: dataset.classes: applies only to spirals',
  ]],
  ["values invalid only together", { ...good, dataset: { name: "moons", train: 8000, test: 2000 }, search: { parameters: { "dataset.name": ["moons", "mnist"], "dataset.test": [2000, 5000] } } }, [
    'search.parameters: values {"dataset.name":"mnist","dataset.test":5000} are invalid together: dataset.train: train + test must be at most 10000 for mnist (got 13000)',
  ]],
  ["a base field no swept value fixes", { ...good, dataset: { name: "spirals", train: 100, test: 100, classes: 3 }, search: { parameters: { "dataset.name": ["moons", "xor"] } } }, [
    "dataset.classes: applies only to spirals",
  ]],
  ["a base that lacks an unswept field", { ...withParams({ "model.hidden": [[32]] }), train: trainWithoutLr }, ["train.lr: Invalid input: expected number, received undefined"]],
  ["missing base sections", { name: "x" }, [
    "dataset: Invalid input: expected object, received undefined",
    "model: Invalid input: expected object, received undefined",
    "train: Invalid input: expected object, received undefined",
  ]],
  ["problems in the base, the sweep and its values at once", { ...good, name: "a b", train: { ...trainWithoutLr, epochs: 0 }, maxAttempts: 0, search: { repeats: 0, parameters: { "train.lr": [0.1, -1] } } }, [
    "name: may use only letters, digits, '.', '_' and '-'",
    "search.repeats: must be at least 1",
    "maxAttempts: must be at least 1",
    "train.epochs: must be at least 1",
  ]],
  ["a bad base and a bad value, reported together", { ...good, train: { ...trainWithoutLr, epochs: 0 }, search: { parameters: { "train.lr": [0.1, -1] } } }, [
    "train.epochs: must be at least 1",
    "search.parameters.train.lr: value -1 is invalid: train.lr: must be > 0",
  ]],
  ["zero repeats", withSearch({ repeats: 0 }), ["search.repeats: must be at least 1"]],
  ["too many repeats", withSearch({ repeats: 1001 }), ["search.repeats: must be at most 1000"]],
  ["a negative search seed", withSearch({ seed: -1 }), ["search.seed: must be 0 or more"]],
  ["repeats that push train.seed past u32", { ...good, train: { ...good.train, seed: 4294967294 } }, [
    "search.repeats: train.seed + repeats - 1 must be at most 4294967295 (train.seed is 4294967294)",
  ]],
  ["too many trials", withParams({ "train.lr": Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000), "train.batch": Array.from({ length: 500 }, (_, i) => i + 1) }), [
    "search: expands to 1500000 trials (500000 points × 3 repeats), at most 1000000",
  ]],
  ["zero maxAttempts", { ...good, maxAttempts: 0 }, ["maxAttempts: must be at least 1"]],
  ["zero leaseSeconds", { ...good, leaseSeconds: 0 }, ["leaseSeconds: must be at least 1"]],
  ["leaseSeconds past an hour", { ...good, leaseSeconds: 3601 }, ["leaseSeconds: must be at most 3600"]],
  ["zero fanout", { ...good, relays: { fanout: 0 } }, ["relays.fanout: must be at least 1"]],
  ["an unknown relays key", { ...good, relays: { fanout: 8, depth: 2 } }, ["unknown config key 'relays.depth' (known here: fanout)"]],
];

for (const [name, input, problems] of cases) {
  test(`refuses ${name}`, () => {
    assert.throws(() => parseSweepConfig(input), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, problems);
      return true;
    });
  });
}
