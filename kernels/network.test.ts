import { test } from "node:test";
import { slowTest } from "./slow-test.ts";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "./load.ts";
import { trainMlp, type EpochMetrics } from "./network.ts";
import { readLocalDatasetBlob } from "./datasets/local-blobs.ts";
import { LENET_LAYERS } from "./layers/lenet.ts";
import { parseTrialConfig, type TrialConfigInput } from "./mlp-config.ts";
import type { HostDataset } from "./datasets/host-dataset.ts";

const module = await compileKernels();
const blobs = { mnist: readLocalDatasetBlob("mnist") };
const train = (input: TrialConfigInput, opts: Parameters<typeof trainMlp>[2] = {}) =>
  trainMlp(instantiateKernels(module), parseTrialConfig(input), { blobs, ...opts });

const mnist = (seed: number): TrialConfigInput => ({
  dataset: { name: "mnist", train: 8000, test: 2000 },
  model: { hidden: [128], activation: "relu" },
  train: { epochs: 5, batch: 64, optimizer: "momentum", lr: 0.05, momentum: 0.9, seed },
});

test("784-128-10 ReLU MLP reaches at least 93% test accuracy on mnist (8,000 / 2,000)", () => {
  const seen: EpochMetrics[] = [];
  const result = train(mnist(1), { onEpoch: (m) => seen.push(m) });
  assert.equal(seen.length, 5, "one callback per epoch");
  assert.deepEqual(seen, result.epochs);
  assert.ok(result.final!.testAccuracy! >= 0.93, `test accuracy ${result.final!.testAccuracy}`);
  assert.equal(result.paramCount, 784 * 128 + 128 + 128 * 10 + 10);
  assert.match(result.weightsSha256, /^[0-9a-f]{64}$/);
});

for (const [name, input] of Object.entries({
  spirals: { dataset: { name: "spirals", train: 1200, test: 300, classes: 3 }, model: { hidden: [32, 32], activation: "tanh" }, train: { epochs: 15, batch: 32, optimizer: "adam", lr: 0.01 } },
  moons: { dataset: { name: "moons", train: 600, test: 200 }, model: { hidden: [16], activation: "sigmoid" }, train: { epochs: 15, batch: 16, optimizer: "momentum", lr: 0.1, schedule: "cosine" } },
  xor: { dataset: { name: "xor", train: 600, test: 200 }, model: { hidden: [16] }, train: { epochs: 15, batch: 16, lr: 0.05, loss: "mse", weightDecay: 1e-4, schedule: { type: "step", every: 5, gamma: 0.5 } } },
} satisfies Record<string, TrialConfigInput>)) {
  test(`training loss falls on ${name}`, () => {
    const { epochs } = train(input);
    assert.ok(epochs.at(-1)!.trainLoss < epochs[0]!.trainLoss * 0.8, `loss ${epochs[0]!.trainLoss} → ${epochs.at(-1)!.trainLoss}`);
    assert.ok(epochs.at(-1)!.testAccuracy! > 0.8, `${name} accuracy ${epochs.at(-1)!.testAccuracy}`);
  });
}

// The same in a worker thread, through the production thread entry: runtime/worker/thread.test.ts.
test("one seed gives one weight hash; another seed another", () => {
  const small: TrialConfigInput = { ...mnist(7), train: { ...mnist(7).train, epochs: 2 } };
  const a = train(small);
  const b = train(small);
  assert.equal(a.weightsSha256, b.weightsSha256);
  assert.deepEqual(a.epochs.map((e) => e.trainLoss), b.epochs.map((e) => e.trainLoss));
  const other = train({ ...small, train: { ...small.train, seed: 8 } });
  assert.notEqual(other.weightsSha256, a.weightsSha256);
});

test("every optimizer and schedule is deterministic per seed", () => {
  for (const optimizer of ["sgd", "momentum", "adam"] as const) {
    for (const schedule of ["constant", "step", "cosine"] as const) {
      const input: TrialConfigInput = {
        dataset: { name: "spirals", train: 300, test: 100 },
        model: { hidden: [8, 8], activation: "tanh" },
        train: { epochs: 3, batch: 16, optimizer, lr: 0.01, schedule, weightDecay: 1e-3, seed: 3 },
      };
      assert.equal(train(input).weightsSha256, train(input).weightsSha256, `${optimizer}/${schedule}`);
    }
  }
});

test("shouldStop ends training early and says so", () => {
  let steps = 0;
  const result = train(mnist(2), { shouldStop: () => ++steps >= 10 });
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.epochs.length, 1);
});

test("a diverging run is reported, not hidden", () => {
  const result = train({
    dataset: { name: "xor", train: 400, test: 100 },
    model: { hidden: [64, 64] },
    train: { epochs: 5, batch: 8, optimizer: "sgd", lr: 10, loss: "mse" },
  });
  assert.equal(result.diverged, true);
  assert.ok(result.epochs.length < 5);
});

test("a missing dataset blob fails with the dataset's name", () => {
  const config = parseTrialConfig(mnist(1));
  assert.throws(() => trainMlp(instantiateKernels(module), config, { blobs: {} }), /dataset mnist: no blob was provided/);
});

/** y = 2·x0 − x1 + 0.5 on a fixed grid: a regression a small network fits well. */
function linearData(n: number, offset: number): HostDataset["train"] {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = ((i * 37 + offset) % 101) / 50 - 1, b = ((i * 61 + offset) % 97) / 48 - 1;
    x[2 * i] = a, x[2 * i + 1] = b, y[i] = 2 * a - b + 0.5;
  }
  return { x, y, count: n };
}

test("regression on a host dataset: MSE falls, test RMSE is reported, no accuracy", () => {
  const data: HostDataset = { shape: [2], features: 2, task: "regression", classes: null, train: linearData(400, 0), validation: linearData(0, 0), test: linearData(100, 7) };
  const config = parseTrialConfig({ dataset: { name: "xor", train: 1, test: 1, validation: 0 }, model: { hidden: [16], activation: "tanh" }, train: { epochs: 30, batch: 16, optimizer: "adam", lr: 0.01 } });
  const result = trainMlp(instantiateKernels(module), config, { data });
  const first = result.epochs[0]!, last = result.epochs.at(-1)!;
  assert.ok(last.trainLoss < first.trainLoss * 0.1, `MSE ${first.trainLoss} → ${last.trainLoss}`);
  assert.equal(last.testAccuracy, undefined);
  assert.ok(last.testRmse! < 0.2, `test RMSE ${last.testRmse}`);
  assert.equal(result.paramCount, 2 * 16 + 16 + 16 * 1 + 1, "one output for one target");
  const again = trainMlp(instantiateKernels(module), config, { data });
  assert.equal(again.weightsSha256, result.weightsSha256);
});

test("a model too large for wasm32 memory is refused up front, naming the fields", () => {
  assert.throws(() => train({
    dataset: { name: "xor", train: 100, test: 10 },
    model: { hidden: Array(16).fill(8192) },
    train: { epochs: 1, batch: 8192, lr: 0.1 },
  }), /model too large: .* needs about \d+ MiB of wasm memory; one instance addresses at most 4096 MiB \(shrink model.hidden or train.batch\)/);
});


test("the LeNet-style CNN reaches at least 96% on mnist (8,000 / 2,000, 6 epochs, batch 64, Adam 0.001)", { timeout: 120_000, skip: slowTest }, () => {
  const result = train({ dataset: { name: "mnist", train: 8000, test: 2000 }, model: { layers: LENET_LAYERS }, train: { epochs: 6, batch: 64, optimizer: "adam", lr: 0.001, seed: 1 } });
  assert.ok(result.final!.testAccuracy! >= 0.96, `test accuracy ${result.final!.testAccuracy}`);
  assert.equal(result.paramCount, (5 * 5 * 1 * 8 + 8) + (5 * 5 * 8 * 16 + 16) + (5 * 5 * 16 * 64 + 64) + (64 * 10 + 10));
});

test("a CNN with dropout gives one hash per seed, another seed another", () => {
  const cnn = (seed: number): TrialConfigInput => ({
    dataset: { name: "mnist", train: 300, test: 100 }, model: { layers: LENET_LAYERS }, train: { epochs: 1, batch: 32, optimizer: "adam", lr: 0.001, seed },
  });
  assert.equal(train(cnn(3)).weightsSha256, train(cnn(3)).weightsSha256);
  assert.notEqual(train(cnn(4)).weightsSha256, train(cnn(3)).weightsSha256);
});

test("a model that does not fit is refused naming the layer's index and the shapes", () => {
  const model = (layers: object[]) => ({ dataset: { name: "mnist", train: 10, test: 10 }, model: { layers }, train: { epochs: 1, batch: 8, lr: 0.1 } }) as TrialConfigInput;
  const cases: Array<[object[], RegExp]> = [
    [[{ type: "dense", units: 10 }], /model\.layers\.0 \(dense\): its input is \[28, 28, 1\], a 3-D tensor: put a flatten before a dense layer/],
    [[{ type: "conv2d", filters: 4, kernel: 29 }, { type: "flatten" }, { type: "dense", units: 10 }], /model\.layers\.0 \(conv2d\): kernel 29×29 is larger than its input 28×28 \(padding valid\)/],
    [[{ type: "flatten" }, { type: "maxpool2d", size: 2 }, { type: "dense", units: 10 }], /model\.layers\.1 \(maxpool2d\): needs an input \[height, width, channels\], got \[784\]/],
    [[{ type: "flatten" }, { type: "dense", units: 7 }], /model\.layers\.1 \(dense\): the output layer must be \{ type: dense, units: 10 \} with no activation/],
    [[{ type: "flatten" }, { type: "dense", units: 10, activation: "relu" }], /the output layer must be/],
  ];
  for (const [layers, message] of cases) assert.throws(() => train(model(layers)), message);
});
