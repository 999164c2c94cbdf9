// Exact resume of the built-in trainer: a checkpoint (at an epoch's end or between steps) and a
// fresh instance resuming from it give the uninterrupted run's weights and reports bit for bit,
// for every optimizer, a schedule, dropout, a CNN, a host (file) dataset, with and without a
// validation split; a stop checkpointed as it comes resumes the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "./load.ts";
import { trainNetwork, type EpochMetrics, type TrainOptions, type TrainProgress } from "./network.ts";
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
  ["momentum at 0 (its buffer section kept, not read), weight decay", { dataset: { name: "xor", train: 300, test: 60 }, model: { hidden: [8] }, train: { epochs: 3, batch: 16, optimizer: "momentum", momentum: 0, lr: 0.1, weightDecay: 1e-3, seed: 6 } }, 3, 1],
];

/** Every checkpoint a run offers, taken: by where it was taken. */
function everyCheckpoint(input: TrialConfigInput, extra: Partial<TrainOptions> = {}) {
  const taken: Array<{ at: TrainProgress; bytes: Uint8Array }> = [];
  const result = train(input, { ...extra, checkpointDue: () => true, onCheckpoint: (at, bytes) => taken.push({ at, bytes: bytes.slice() }) });
  return { result, taken };
}

for (const [name, input, epochs, k, extra] of CASES) {
  test(`resumed on a fresh instance (at epoch ${k}'s end, inside epoch ${k + 1}, after its last step, at the end), the uninterrupted run: ${name}`, { timeout: 60_000 }, () => {
    const whole = train(input, extra);
    assert.equal(whole.epochs.length, epochs);
    const { result, taken } = everyCheckpoint(input, extra);
    assert.equal(result.weightsSha256, whole.weightsSha256, "checkpointing changes nothing");
    const endOf = (e: number) => taken.findIndex((c) => c.at.epochDone && c.at.epoch === e);
    const picks: Record<string, number> = {
      [`epoch ${k}'s end`]: endOf(k),
      [`the third step of epoch ${k + 1}`]: endOf(k) + 3,
      [`the last step of epoch ${k + 1}, before its evaluation`]: endOf(k + 1) - 1,
      "the last epoch's end": endOf(epochs),
    };
    assert.deepEqual(taken[endOf(k) + 3]!.at, { epoch: k, step: taken[endOf(k)]!.at.step + 3, epochDone: false });
    assert.deepEqual(taken[endOf(k + 1) - 1]!.at, { epoch: k, step: taken[endOf(k + 1)]!.at.step, epochDone: false });
    for (const [where, i] of Object.entries(picks)) {
      const seen: EpochMetrics[] = [];
      const resumed = train(input, { ...extra, resumeFrom: taken[i]!.bytes, onEpoch: (m) => seen.push(m) });
      assert.equal(resumed.weightsSha256, whole.weightsSha256, where);
      assert.deepEqual(timeless(resumed.epochs), timeless(whole.epochs), `${where}: every report, the ones before the checkpoint included`);
      const from = taken[i]!.at.epoch;
      assert.deepEqual(seen.map((m) => m.epoch), Array.from({ length: epochs - from }, (_, j) => from + 1 + j), `${where}: onEpoch sees only the epochs reported here`);
    }
  });
}

test("without checkpointDue, a checkpoint at every epoch's end", () => {
  const seen: TrainProgress[] = [];
  train(CASES[2]![1], { onCheckpoint: (at) => seen.push(at) });
  assert.deepEqual(seen.map((at) => [at.epoch, at.epochDone]), [[1, true], [2, true], [3, true], [4, true], [5, true]]);
});

test("a stop (a hand-back) checkpointed as it comes, inside an epoch or after its last step, resumes to the uninterrupted run", () => {
  const input = CASES[2]![1];
  const whole = train(input);
  const lastOfEpoch2 = everyCheckpoint(input).taken.filter((c) => !c.at.epochDone && c.at.epoch === 1).at(-1)!.at.step;
  for (const stopAfter of [7, lastOfEpoch2]) {
    let stepsRun = 0, pending = false, bytes: Uint8Array | undefined;
    const stopped = train(input, {
      // The stop arrives during a step; the checkpoint is taken before the trainer polls it.
      checkpointDue: (at) => !at.epochDone && (pending = ++stepsRun >= stopAfter),
      onCheckpoint: (_, b) => (bytes = b.slice()),
      shouldStop: () => pending,
    });
    assert.equal(stopped.stoppedEarly, true);
    assert.notEqual(stopped.weightsSha256, whole.weightsSha256);
    const resumed = train(input, { resumeFrom: bytes! });
    assert.equal(resumed.weightsSha256, whole.weightsSha256, `stopped after step ${stopAfter}`);
    assert.deepEqual(timeless(resumed.epochs), timeless(whole.epochs), `stopped after step ${stopAfter}`);
  }
});

test("a checkpoint twice over: resumed, checkpointed again and resumed again, still the uninterrupted run", () => {
  const input = CASES[2]![1];
  const whole = train(input);
  let first: Uint8Array | undefined, second: Uint8Array | undefined;
  train(input, { checkpointDue: (at) => at.step === 10, onCheckpoint: (_, b) => (first = b.slice()) });
  train(input, { resumeFrom: first!, checkpointDue: (at) => at.epochDone && at.epoch === 3, onCheckpoint: (_, b) => (second = b.slice()) });
  assert.equal(train(input, { resumeFrom: second! }).weightsSha256, whole.weightsSha256);
});

test("a checkpoint resumes under settings outside its layout (population-based training perturbs the rate): its reports kept, then the new rate, the same bits each time", () => {
  const input = CASES[2]![1];
  let bytes: Uint8Array | undefined;
  const whole = train(input, { checkpointDue: (at) => at.epochDone && at.epoch === 2, onCheckpoint: (_, b) => (bytes = b.slice()) });
  const perturbed = { ...input, train: { ...input.train, lr: input.train.lr * 1.2 } } as TrialConfigInput;
  const a = train(perturbed, { resumeFrom: bytes! }), b = train(perturbed, { resumeFrom: bytes! });
  assert.equal(a.weightsSha256, b.weightsSha256);
  assert.notEqual(a.weightsSha256, whole.weightsSha256);
  assert.deepEqual(timeless(a.epochs.slice(0, 2)), timeless(whole.epochs.slice(0, 2)));
  assert.equal(a.epochs[2]!.lr, input.train.lr * 1.2);
});

test("a checkpoint of another network, optimizer or format is refused, saying why", () => {
  const input = CASES[0]![1];
  let bytes: Uint8Array | undefined;
  train(input, { checkpointDue: (at) => at.epochDone && at.epoch === 1, onCheckpoint: (_, b) => (bytes = b.slice()) });
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
