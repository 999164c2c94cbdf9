// Exact resume of the built-in trainer: k epochs, a checkpoint, a fresh instance resuming from
// it, gives the uninterrupted run's weights and reports bit for bit, for every optimizer, a
// schedule, dropout, a CNN, a host (file) dataset, with and without a validation split.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "./load.ts";
import { trainNetwork, type EpochMetrics, type TrainOptions } from "./network.ts";
import { readLocalDatasetBlob } from "./datasets/local-blobs.ts";
import { LENET_LAYERS } from "./layers/lenet.ts";
import { parseTrialConfig, type TrialConfigInput } from "./mlp-config.ts";
import { NETWORK_CHECKPOINT_VERSION } from "./network-checkpoint.ts";
import type { HostDataset } from "./datasets/host-dataset.ts";

const module = await compileKernels();
const blobs = { mnist: readLocalDatasetBlob("mnist") };
const train = (input: TrialConfigInput, opts: TrainOptions = {}) =>
  trainNetwork(instantiateKernels(module), parseTrialConfig(input), { blobs, ...opts });

/** Reports without their wall times (the one thing two runs never share). */
const timeless = (reports: EpochMetrics[]) => reports.map(({ wallMs: _, ...rest }) => rest);

/** A regression dataset on the host, as a file gives it: y = 2·x0 − x1 + 0.5. */
function hostSplit(n: number, offset: number): HostDataset["train"] {
  const x = new Float32Array(n * 2), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = ((i * 37 + offset) % 101) / 50 - 1, b = ((i * 61 + offset) % 97) / 48 - 1;
    x[2 * i] = a, x[2 * i + 1] = b, y[i] = 2 * a - b + 0.5;
  }
  return { x, y, count: n };
}
const hostData: HostDataset = { shape: [2], features: 2, task: "regression", classes: null, train: hostSplit(360, 0), validation: hostSplit(40, 3), test: hostSplit(100, 7) };

const CASES: Array<[string, TrialConfigInput, number, number, Partial<TrainOptions>?]> = [
  ["sgd, step schedule, validation 0.1", { dataset: { name: "spirals", train: 400, test: 100 }, model: { hidden: [16, 16], activation: "tanh" }, train: { epochs: 6, batch: 16, lr: 0.05, weightDecay: 1e-4, schedule: { type: "step", every: 2, gamma: 0.5 }, seed: 3 } }, 6, 2],
  ["momentum, cosine, no validation", { dataset: { name: "mnist", train: 600, test: 200, validation: 0 }, model: { hidden: [32] }, train: { epochs: 4, batch: 32, optimizer: "momentum", lr: 0.05, schedule: "cosine", seed: 5 } }, 4, 3],
  ["adam with dropout (dense layers)", { dataset: { name: "moons", train: 500, test: 100, validation: 0.2 }, model: { layers: [{ type: "dense", units: 32, activation: "relu" }, { type: "dropout", rate: 0.3 }, { type: "dense", units: 2 }] }, train: { epochs: 5, batch: 20, optimizer: "adam", lr: 0.01, seed: 9 } }, 5, 1],
  ["a CNN (LeNet, with dropout), adam", { dataset: { name: "mnist", train: 300, test: 100 }, model: { layers: LENET_LAYERS }, train: { epochs: 3, batch: 32, optimizer: "adam", lr: 0.001, seed: 2 } }, 3, 1],
  ["a host (file) dataset, regression, adam", { dataset: { name: "xor", train: 1, test: 1 }, model: { hidden: [16], activation: "tanh" }, train: { epochs: 5, batch: 16, optimizer: "adam", lr: 0.01, seed: 4 } }, 5, 2, { data: hostData }],
];

for (const [name, input, epochs, k, extra] of CASES) {
  test(`resume after epoch ${k} of ${epochs} on a fresh instance equals the uninterrupted run: ${name}`, { timeout: 60_000 }, () => {
    const whole = train(input, extra);
    assert.equal(whole.epochs.length, epochs);
    const checkpoints = new Map<number, Uint8Array>();
    const interrupted = train(input, { ...extra, checkpointDue: (e) => e === k || e === epochs, onCheckpoint: (e, bytes) => checkpoints.set(e, bytes.slice()) });
    assert.deepEqual([...checkpoints.keys()], [k, epochs], "checkpoints only where due");
    assert.equal(interrupted.weightsSha256, whole.weightsSha256, "checkpointing changes nothing");

    const seen: EpochMetrics[] = [];
    const resumed = train(input, { ...extra, resumeFrom: checkpoints.get(k)!, onEpoch: (m) => seen.push(m) });
    assert.equal(resumed.weightsSha256, whole.weightsSha256);
    assert.deepEqual(timeless(resumed.epochs), timeless(whole.epochs), "every report, the ones before the checkpoint included");
    assert.deepEqual(seen.map((m) => m.epoch), Array.from({ length: epochs - k }, (_, i) => k + 1 + i), "onEpoch sees only the epochs run here");

    const atEnd = train(input, { ...extra, resumeFrom: checkpoints.get(epochs)! });
    assert.equal(atEnd.weightsSha256, whole.weightsSha256, "a checkpoint of the last epoch is the final state");
    assert.deepEqual(timeless(atEnd.epochs), timeless(whole.epochs));
  });
}

test("a checkpoint twice over: resumed, checkpointed again and resumed again, still the uninterrupted run", () => {
  const input = CASES[2]![1];
  const whole = train(input);
  let first: Uint8Array | undefined, second: Uint8Array | undefined;
  train(input, { checkpointDue: (e) => e === 1, onCheckpoint: (_, b) => (first = b.slice()) });
  train(input, { resumeFrom: first!, checkpointDue: (e) => e === 3, onCheckpoint: (_, b) => (second = b.slice()) });
  assert.equal(train(input, { resumeFrom: second! }).weightsSha256, whole.weightsSha256);
});

test("a checkpoint of another network, optimizer or format is refused, saying why", () => {
  const input = CASES[0]![1];
  let bytes: Uint8Array | undefined;
  train(input, { checkpointDue: (e) => e === 1, onCheckpoint: (_, b) => (bytes = b.slice()) });
  const other = (change: object) => ({ ...input, ...change }) as TrialConfigInput;
  assert.throws(() => train(other({ model: { hidden: [16, 8], activation: "tanh" } }), { resumeFrom: bytes! }), /resumeFrom: the checkpoint is of another network or split \(.*\); this trial has .*dense \[16\]→\[8\]/);
  assert.throws(() => train(other({ train: { ...input.train, optimizer: "adam" } }), { resumeFrom: bytes! }), /sgd's 0 moment buffer\(s\).*adam's 2 moment buffer\(s\)/);
  assert.throws(() => train(other({ dataset: { ...input.dataset, train: 500 } }), { resumeFrom: bytes! }), /360 train rows.*450 train rows/);
  const newer = bytes!.slice();
  new DataView(newer.buffer).setUint32(8, NETWORK_CHECKPOINT_VERSION + 1, true);
  assert.throws(() => train(input, { resumeFrom: newer }), new RegExp(`format version ${NETWORK_CHECKPOINT_VERSION + 1}; this trainer reads version ${NETWORK_CHECKPOINT_VERSION} only`));
  assert.throws(() => train(input, { resumeFrom: new TextEncoder().encode("not a checkpoint at all") }), /not a checkpoint of the built-in trainer/);
  assert.throws(() => train(input, { resumeFrom: bytes!.subarray(0, bytes!.length - 4) }), /has \d+ bytes; its layout needs \d+/);
});
