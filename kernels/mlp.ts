// Trains one MLP trial entirely inside wasm memory: each step gathers a shuffled batch,
// runs forward, loss, backward and the optimizer update as kernel calls on preallocated
// buffers (no JS allocation per step). A seed fixes everything, so two runs of one config
// give bit-identical weights, whichever machine or thread runs them.
import { createHash } from "node:crypto";
import type { BuiltinDatasetSpec, ModelSpec, TrainSpec } from "./mlp-config.ts";
import { ACTIVATION_ID, RNG_STATE_BYTES, SCHEDULE_ID } from "./exports.ts";
import type { KernelInstance } from "./instance.ts";
import { layoutMlp, mlpBytes, at, WASM_MEMORY_LIMIT, type MlpLayout } from "./mlp-layout.ts";
import { placeDataset, placeHostDataset, type DatasetBlobs, type ResidentDataset } from "./datasets/resident-dataset.ts";
import type { HostDataset } from "./datasets/host-dataset.ts";

/** What the trainer needs: the model and training settings, and a built-in dataset unless `data` is given. */
export interface MlpTrialConfig {
  dataset?: BuiltinDatasetSpec;
  model: ModelSpec;
  train: TrainSpec;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  /** Classification only. */
  testAccuracy?: number;
  /** Regression only: √(test MSE). */
  testRmse?: number;
  /** Learning rate used in the epoch's last step. */
  lr: number;
  /** Wall time of the epoch (training and evaluation), ms. */
  wallMs: number;
}

export interface TrainResult {
  epochs: EpochMetrics[];
  final: EpochMetrics | undefined;
  /** SHA-256 of the final parameters [W0, b0, W1, b1, …] as little-endian f32. */
  weightsSha256: string;
  /** Those parameters' bytes (a copy). */
  weights: Uint8Array;
  paramCount: number;
  /** True when the trainer stopped on request before the last epoch. */
  stoppedEarly: boolean;
  /** True when the training loss became NaN or infinite (training stops there). */
  diverged: boolean;
  trainMs: number;
  samplesPerSec: number;
  /** Matrix-multiply throughput achieved over training, GFLOP/s. */
  gemmGflops: number;
}

export interface TrainOptions {
  /** Bytes of blob datasets (mnist); synthetic ones need none. */
  blobs?: DatasetBlobs;
  /** A dataset the host holds (from a file): used instead of config.dataset. */
  data?: HostDataset;
  /** Called as each epoch ends. */
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Polled after every step; returning true stops training after that step. */
  shouldStop?: () => boolean;
}

/** Rows in the batch buffers at least: evaluation runs in chunks of this many. */
const EVAL_ROWS = 256;
const INIT_STREAM = 1;
const SHUFFLE_STREAM = 2;

export function trainMlp(inst: KernelInstance, config: MlpTrialConfig, options: TrainOptions = {}): TrainResult {
  const { dataset: dataSpec, model, train } = config;
  const k = inst.k;
  if (!options.data && !dataSpec) throw new Error("trainMlp: the config names no dataset and none was given");
  const data = options.data ? placeHostDataset(inst, options.data) : placeDataset(inst, dataSpec!, options.blobs ?? {});
  const regression = data.task === "regression";
  const sizes = [data.features, ...model.hidden, data.classes];
  const moments = train.optimizer === "adam" ? 2 : train.optimizer === "momentum" ? 1 : 0;
  const rows = Math.max(train.batch, EVAL_ROWS);
  // Refuse before allocating: a network past wasm32's 4 GiB would fail deep inside the
  // kernels (or first commit gigabytes of zeroed memory).
  const needed = mlpBytes(sizes, rows, moments) + inst.buffer.byteLength;
  if (needed > WASM_MEMORY_LIMIT - 64 * 1024 ** 2) {
    throw new Error(
      `model too large: hidden ${JSON.stringify(model.hidden)} with batch ${train.batch} needs about ${Math.round(needed / 1024 ** 2)} MiB of ` +
      `wasm memory; one instance addresses at most ${WASM_MEMORY_LIMIT / 1024 ** 2} MiB (shrink model.hidden or train.batch)`,
    );
  }
  const net = layoutMlp(inst, sizes, rows, moments);
  const hiddenAct = ACTIVATION_ID[model.activation];
  const outputAct = ACTIVATION_ID.identity;

  // Initialise: He for ReLU, Xavier for tanh/sigmoid unless the config says otherwise.
  const rng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(rng, train.seed, INIT_STREAM);
  const initKind = model.init === "auto" ? (model.activation === "relu" ? "he" : "xavier") : model.init;
  for (const layer of net.layers) {
    const w = at(net.params, layer.wOffset);
    if (initKind === "he") k.initHe(w, layer.inputs * layer.outputs, layer.inputs, rng);
    else k.initXavier(w, layer.inputs * layer.outputs, layer.inputs, layer.outputs, rng);
  }

  const shuffleRng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(shuffleRng, train.seed, SHUFFLE_STREAM);
  const order = inst.allocI32(data.trainCount);
  k.iotaI32(order, data.trainCount);
  const total = data.trainCount + data.testCount;
  const identity = inst.allocI32(total);
  k.iotaI32(identity, total);

  const stepsPerEpoch = Math.ceil(data.trainCount / train.batch);
  const totalSteps = stepsPerEpoch * train.epochs;
  const schedule = SCHEDULE_ID[train.schedule.type];
  const flopsPerSample = 2 * net.layers.reduce((sum, l, i) => sum + l.inputs * l.outputs * (i === 0 ? 2 : 3), 0);
  // Regression always fits the real targets by MSE; classification takes the configured loss.
  const lossFn = regression ? k.mseTargets : train.loss === "mse" ? k.mseOneHot : k.softmaxCrossEntropy;

  const epochs: EpochMetrics[] = [];
  let step = 0;
  let stoppedEarly = false;
  let diverged = false;
  const trainStart = performance.now();
  let samplesSeen = 0;

  for (let epoch = 0; epoch < train.epochs && !stoppedEarly && !diverged; epoch++) {
    const epochStart = performance.now();
    k.shuffleI32(order, data.trainCount, shuffleRng);
    let lossSum = 0;
    let lr = train.lr;
    for (let start = 0; start < data.trainCount; start += train.batch) {
      const batchRows = Math.min(train.batch, data.trainCount - start);
      lr = k.scheduleLr(schedule, train.lr, epoch, step, totalSteps, train.schedule.every, train.schedule.gamma);
      step++;
      gatherBatch(inst, data, order, start, batchRows, net);
      forward(inst, net, batchRows, hiddenAct, outputAct);
      const last = net.layers[net.layers.length - 1]!;
      lossSum += lossFn(last.act, net.labels, batchRows, last.outputs, net.gradA, 1 / batchRows);
      backward(inst, net, batchRows, hiddenAct);
      update(inst, net, train, lr, step);
      samplesSeen += batchRows;
      if (options.shouldStop?.()) {
        stoppedEarly = epoch + 1 < train.epochs || start + batchRows < data.trainCount;
        if (stoppedEarly) break;
      }
    }
    const trainLoss = lossSum / data.trainCount;
    if (!Number.isFinite(trainLoss)) diverged = true;
    const { loss: testLoss, accuracy } = evaluate(inst, net, data, identity, hiddenAct, outputAct, lossFn);
    const metrics: EpochMetrics = regression
      ? { epoch: epoch + 1, trainLoss, testLoss, testRmse: Math.sqrt(testLoss), lr, wallMs: performance.now() - epochStart }
      : { epoch: epoch + 1, trainLoss, testLoss, testAccuracy: accuracy, lr, wallMs: performance.now() - epochStart };
    epochs.push(metrics);
    options.onEpoch?.(metrics);
  }

  const trainMs = performance.now() - trainStart;
  const paramBytes = inst.u8(net.params, net.paramCount * 4);
  return {
    epochs,
    final: epochs[epochs.length - 1],
    weightsSha256: createHash("sha256").update(paramBytes).digest("hex"),
    weights: paramBytes.slice(),
    paramCount: net.paramCount,
    stoppedEarly,
    diverged,
    trainMs,
    samplesPerSec: samplesSeen / (trainMs / 1000),
    gemmGflops: (samplesSeen * flopsPerSample) / (trainMs / 1000) / 1e9,
  };
}

function gatherBatch(inst: KernelInstance, data: ResidentDataset, idx: number, start: number, count: number, net: MlpLayout): void {
  const k = inst.k;
  if (data.x.kind === "u8") k.gatherRowsU8(data.x.ptr, data.features, idx, start, count, data.x.scale, net.input);
  else k.gatherRowsF32(data.x.ptr, data.features, idx, start, count, net.input);
  k.gatherLabels(data.labelsPtr, idx, start, count, net.labels);
}

function forward(inst: KernelInstance, net: MlpLayout, rows: number, hiddenAct: number, outputAct: number): void {
  const k = inst.k;
  let input = net.input;
  net.layers.forEach((layer, l) => {
    const { inputs: i, outputs: o } = layer;
    k.sgemm(0, 0, rows, o, i, 1, input, i, at(net.params, layer.wOffset), o, 0, layer.act, o);
    k.biasAdd(layer.act, at(net.params, layer.bOffset), rows, o);
    k.activationForward(l === net.layers.length - 1 ? outputAct : hiddenAct, layer.act, layer.act, rows * o);
    input = layer.act;
  });
}

/** Expects dLoss/dLogits in gradA; leaves parameter gradients in net.grads. */
function backward(inst: KernelInstance, net: MlpLayout, rows: number, hiddenAct: number): void {
  const k = inst.k;
  let dCur = net.gradA;
  let dNext = net.gradB;
  for (let l = net.layers.length - 1; l >= 0; l--) {
    const layer = net.layers[l]!;
    const { inputs: i, outputs: o } = layer;
    const prevAct = l === 0 ? net.input : net.layers[l - 1]!.act;
    // dW = prevᵀ · dZ ; db = Σ_rows dZ
    k.sgemm(1, 0, i, o, rows, 1, prevAct, i, dCur, o, 0, at(net.grads, layer.wOffset), o);
    k.biasGrad(dCur, at(net.grads, layer.bOffset), rows, o);
    if (l > 0) {
      // dPrev = dZ · Wᵀ, then through the previous layer's activation.
      k.sgemm(0, 1, rows, i, o, 1, dCur, o, at(net.params, layer.wOffset), o, 0, dNext, i);
      k.activationBackward(hiddenAct, dNext, prevAct, dNext, rows * i);
      [dCur, dNext] = [dNext, dCur];
    }
  }
}

function update(inst: KernelInstance, net: MlpLayout, train: TrainSpec, lr: number, step: number): void {
  const k = inst.k;
  const n = net.paramCount;
  switch (train.optimizer) {
    case "sgd":
      k.sgdUpdate(net.params, net.grads, n, lr, train.weightDecay);
      break;
    case "momentum":
      k.momentumUpdate(net.params, net.grads, net.moment1, n, lr, train.momentum, train.weightDecay);
      break;
    case "adam":
      k.adamUpdate(net.params, net.grads, net.moment1, net.moment2, n, lr, train.beta1, train.beta2, train.eps, train.weightDecay, step);
      break;
  }
}

function evaluate(
  inst: KernelInstance, net: MlpLayout, data: ResidentDataset, identity: number,
  hiddenAct: number, outputAct: number, lossFn: (...a: [number, number, number, number, number, number]) => number,
): { loss: number; accuracy: number } {
  const k = inst.k;
  const last = net.layers[net.layers.length - 1]!;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.testCount; start += net.rows) {
    const rows = Math.min(net.rows, data.testCount - start);
    gatherBatch(inst, data, identity, data.trainCount + start, rows, net);
    forward(inst, net, rows, hiddenAct, outputAct);
    if (data.task === "classification") correct += k.argmaxCorrect(last.act, net.labels, rows, last.outputs);
    lossSum += lossFn(last.act, net.labels, rows, last.outputs, net.gradA, 1 / rows);
  }
  return { loss: lossSum / data.testCount, accuracy: correct / data.testCount };
}
