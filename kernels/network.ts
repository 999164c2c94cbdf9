// Trains one network trial entirely inside wasm memory: an MLP (`model.hidden`, the shorthand
// for dense layers) or a layer list (`model.layers`: dense, conv2d, pooling, flatten, dropout).
// Each step gathers a shuffled batch, runs forward, loss, backward and the optimizer update as
// kernel calls on preallocated buffers (no JS allocation per step). A seed fixes everything,
// dropout masks included, so two runs of one config give bit-identical weights on any machine.
import { createHash } from "node:crypto";
import type { BuiltinDatasetSpec, ModelSpec, TrainSpec } from "./mlp-config.ts";
import { RNG_STATE_BYTES, SCHEDULE_ID } from "./exports.ts";
import type { KernelInstance } from "./instance.ts";
import { decodeCheckpoint, encodeCheckpoint, type CheckpointLayout } from "./network-checkpoint.ts";
import type { EpochMetrics } from "./epoch-metrics.ts";
import { placeDataset, placeHostDataset, type DatasetBlobs, type ResidentDataset, type RowSet } from "./datasets/resident-dataset.ts";
import type { HostDataset } from "./datasets/host-dataset.ts";
import type { LayerSpec } from "./layers/layer-spec.ts";
import { planLayers, type LayerPlan } from "./layers/plan.ts";
import { LAYER_OPS, macsPerSample, ownsOutput, scratchFloats, type LayerBuffers, type StepContext } from "./layers/layer-ops.ts";

/** What the trainer needs: the model and training settings, and a built-in dataset unless `data` is given. */
export interface NetworkTrialConfig {
  dataset?: BuiltinDatasetSpec;
  model: ModelSpec;
  train: TrainSpec;
}

export type { EpochMetrics } from "./epoch-metrics.ts";

export interface TrainResult {
  /** Every epoch's report: a resumed run's begin with those its checkpoint holds. */
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
  /** Timings and throughput of this run alone (a resumed run's from its checkpoint on). */
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
  /**
   * Asked after every step (its epoch's last included, before the epoch's evaluation) and after
   * each epoch's evaluation, unless training stopped or diverged: whether to checkpoint there.
   * Asked before shouldStop, so a stop can be checkpointed first. Without it, every epoch's end.
   */
  checkpointDue?: (at: TrainProgress) => boolean;
  /** Receives the checkpoint (network-checkpoint.ts) where checkpointDue said so. */
  onCheckpoint?: (at: TrainProgress, bytes: Uint8Array) => void;
  /**
   * A checkpoint of this config to go on from (inside an epoch or at its end): training ends as
   * the uninterrupted run would, bit for bit. Its reports come back in `epochs`; onEpoch sees only the new ones.
   */
  resumeFrom?: Uint8Array;
}

/** Where training is: a checkpoint is taken and resumed there. */
export interface TrainProgress {
  /** Epochs completed (with their reports). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** True after an epoch's evaluation; false after a step (its evaluation still to come, when it was the epoch's last). */
  epochDone: boolean;
}

/** Rows in the batch buffers at least: evaluation runs in chunks of this many. */
const EVAL_ROWS = 256;
const INIT_STREAM = 1;
const SHUFFLE_STREAM = 2;
const DROPOUT_STREAM = 3;
/** A wasm32 instance addresses at most 4 GiB; keep room for the dataset and packing buffers. */
export const WASM_MEMORY_LIMIT = 4 * 1024 ** 3;

/** The layer list a model describes: its own, or the MLP shorthand (hidden widths, one activation). */
export function modelLayers(model: ModelSpec, outputs: number): LayerSpec[] {
  if (model.layers) return model.layers;
  return [
    ...(model.hidden ?? []).map((units): LayerSpec => ({ type: "dense", units, activation: model.activation })),
    { type: "dense", units: outputs, activation: "none" },
  ];
}

export function trainNetwork(inst: KernelInstance, config: NetworkTrialConfig, options: TrainOptions = {}): TrainResult {
  const { dataset: dataSpec, model, train } = config;
  const k = inst.k;
  if (!options.data && !dataSpec) throw new Error("trainNetwork: the config names no dataset and none was given");
  const data = options.data ? placeHostDataset(inst, options.data) : placeDataset(inst, dataSpec!, options.blobs ?? {});
  const regression = data.task === "regression";
  const input = model.input ?? (model.layers ? data.shape : [data.features]);
  if (input.reduce((a, b) => a * b, 1) !== data.features) {
    throw new Error(`model.input ${JSON.stringify(input)} holds ${input.reduce((a, b) => a * b, 1)} values; the dataset's samples have ${data.features} (shape ${JSON.stringify(data.shape)})`);
  }
  const plans = planLayers(input, modelLayers(model, data.classes), data.classes);
  const moments = train.optimizer === "adam" ? 2 : train.optimizer === "momentum" ? 1 : 0;
  const rows = Math.max(train.batch, EVAL_ROWS);
  // Refuse before allocating: a network past wasm32's 4 GiB would fail deep inside the
  // kernels (or first commit gigabytes of zeroed memory). On top of what the heap holds, not of
  // the memory's size: a thread's reused instance keeps the memory an earlier trial grew, and the
  // answer must not depend on what ran before.
  const needed = networkBytes(plans, input, rows, moments) + inst.k.heapTop();
  if (needed > WASM_MEMORY_LIMIT - 64 * 1024 ** 2) {
    throw new Error(
      `model too large: ${model.layers ? `its ${model.layers.length} layers` : `hidden ${JSON.stringify(model.hidden)}`} with batch ${train.batch} ` +
      `needs about ${Math.round(needed / 1024 ** 2)} MiB of wasm memory; one instance addresses at most ${WASM_MEMORY_LIMIT / 1024 ** 2} MiB ` +
      `(shrink ${model.layers ? "model.layers" : "model.hidden"} or train.batch)`,
    );
  }
  const net = layoutNetwork(inst, plans, input, rows, moments);

  // Initialise weights layer by layer from one stream: He for ReLU, Xavier otherwise, unless the config says.
  const rng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(rng, train.seed, INIT_STREAM);
  for (const l of net.layers) {
    if (!l.plan.weights) continue;
    const activation = (l.plan.spec as { activation?: string }).activation;
    const he = model.init === "he" || (model.init === "auto" && (model.layers ? activation === "relu" : model.activation === "relu"));
    if (he) k.initHe(l.w, l.plan.weights, l.plan.fanIn, rng);
    else k.initXavier(l.w, l.plan.weights, l.plan.fanIn, l.plan.fanOut, rng);
  }
  const shuffleRng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(shuffleRng, train.seed, SHUFFLE_STREAM);
  const dropoutRng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(dropoutRng, train.seed, DROPOUT_STREAM);
  // The epoch's sample order: the train rows, reshuffled every epoch from where the last left them.
  const trainCount = data.train.count;
  const order = inst.allocI32(trainCount);
  inst.i32(order, trainCount).set(inst.i32(data.train.rows, trainCount));

  const stepsPerEpoch = Math.ceil(trainCount / train.batch);
  const totalSteps = stepsPerEpoch * train.epochs;
  const schedule = SCHEDULE_ID[train.schedule.type];
  // Forward, and backward's two products (dW, and dIn except for the first layer).
  const flopsPerSample = 2 * plans.reduce((sum, p, i) => sum + macsPerSample(p) * (i === 0 ? 2 : 3), 0);
  const lossFn = regression ? k.mseTargets : train.loss === "mse" ? k.mseOneHot : k.softmaxCrossEntropy;
  const outputs = plans.at(-1)!.outSize;

  const epochs: EpochMetrics[] = [];
  let step = 0;
  let firstEpoch = 0;
  /** Inside the first epoch, when resumed there: the rows of it done, their summed loss, the last step's rate. */
  let resumedRows = 0;
  let resumedLossSum = 0;
  let resumedLr = train.lr;
  let stoppedEarly = false;
  let diverged = false;
  // Made when a checkpoint is read or written, not per trial: most trials of a sweep take none.
  let layout: CheckpointLayout | undefined;
  const layoutOf = () => (layout ??= checkpointLayout(net, moments, trainCount, RNG_STATE_BYTES));
  const stateViews = () => ({
    params: inst.u8(net.params, net.paramCount * 4),
    moments: [net.moment1, net.moment2].slice(0, moments).map((m) => inst.u8(m, net.paramCount * 4)),
    order: inst.u8(order, trainCount * 4),
    shuffleRng: inst.u8(shuffleRng, RNG_STATE_BYTES),
    dropoutRng: inst.u8(dropoutRng, RNG_STATE_BYTES),
  });
  if (options.resumeFrom) {
    const saved = decodeCheckpoint(options.resumeFrom, layoutOf());
    const into = stateViews();
    into.params.set(saved.params);
    saved.moments.forEach((m, i) => into.moments[i]!.set(m));
    into.order.set(saved.order);
    into.shuffleRng.set(saved.shuffleRng);
    into.dropoutRng.set(saved.dropoutRng);
    firstEpoch = saved.epoch;
    resumedRows = saved.rows;
    resumedLossSum = saved.lossSum;
    resumedLr = saved.lr;
    step = saved.step;
    epochs.push(...saved.reports);
  }
  const trainStart = performance.now();
  let samplesSeen = 0;

  for (let epoch = firstEpoch; epoch < train.epochs && !stoppedEarly && !diverged; epoch++) {
    // A stop asked at an epoch boundary (a lease's stopStep once its checkpoint is taken, or
    // resumed at it) ends here: no next epoch's shuffle or step, so the weights are the
    // checkpoint's and no partial epoch is reported. A trial not stopped runs on as before.
    if (!(epoch === firstEpoch && resumedRows > 0) && options.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const epochStart = performance.now();
    // Resumed inside this epoch: its order is the one the checkpoint holds, already shuffled.
    const resumedInside = epoch === firstEpoch && resumedRows > 0;
    if (!resumedInside) k.shuffleI32(order, trainCount, shuffleRng);
    let lossSum = resumedInside ? resumedLossSum : 0;
    let lr = resumedInside ? resumedLr : train.lr;
    for (let start = resumedInside ? resumedRows : 0; start < trainCount; start += train.batch) {
      const batchRows = Math.min(train.batch, trainCount - start);
      lr = k.scheduleLr(schedule, train.lr, epoch, step, totalSteps, train.schedule.every, train.schedule.gamma);
      step++;
      gatherBatch(inst, data, order, start, batchRows, net);
      const ctx: StepContext = { inst, rows: batchRows, training: true, rng: dropoutRng };
      const logits = forward(ctx, net);
      lossSum += lossFn(logits, net.labels, batchRows, outputs, net.gradA, 1 / batchRows);
      backward(ctx, net);
      update(inst, net, train, lr, step);
      samplesSeen += batchRows;
      // After the epoch's last step too (its evaluation then runs on resume): a stop there is
      // checkpointed before its report, which a stop makes differ (the test metrics come with it).
      // A loss that is no longer finite ends the trial as diverged: nothing to resume.
      if (options.onCheckpoint && Number.isFinite(lossSum) && options.checkpointDue?.({ epoch, step, epochDone: false })) {
        const at = { epoch, step, epochDone: false };
        options.onCheckpoint(at, encodeCheckpoint(layoutOf(), { ...at, rows: start + batchRows, lossSum, lr, reports: epochs, ...stateViews() }));
      }
      if (options.shouldStop?.()) {
        stoppedEarly = epoch + 1 < train.epochs || start + batchRows < trainCount;
        if (stoppedEarly) break;
      }
    }
    const trainLoss = lossSum / trainCount;
    if (!Number.isFinite(trainLoss)) diverged = true;
    const last = epoch + 1 === train.epochs || stoppedEarly || diverged;
    // Keys in report order: epoch, trainLoss, val…, test…, lr, wallMs.
    const metrics = { epoch: epoch + 1, trainLoss } as EpochMetrics;
    if (data.validation.count > 0) {
      const v = evaluate(inst, net, data, data.validation, lossFn, outputs);
      metrics.valLoss = v.loss;
      if (regression) metrics.valRmse = Math.sqrt(v.loss);
      else metrics.valAccuracy = v.accuracy;
    }
    if (data.validation.count === 0 || last) {
      const t = evaluate(inst, net, data, data.test, lossFn, outputs);
      metrics.testLoss = t.loss;
      if (regression) metrics.testRmse = Math.sqrt(t.loss);
      else metrics.testAccuracy = t.accuracy;
    }
    metrics.lr = lr;
    metrics.wallMs = performance.now() - epochStart;
    epochs.push(metrics);
    options.onEpoch?.(metrics);
    // Not after a stop: its report is not the uninterrupted run's (a checkpoint was offered before the stop).
    const at = { epoch: epoch + 1, step, epochDone: true };
    if (!stoppedEarly && !diverged && options.onCheckpoint && (options.checkpointDue?.(at) ?? true)) {
      options.onCheckpoint(at, encodeCheckpoint(layoutOf(), { ...at, rows: 0, lossSum: 0, lr, reports: epochs, ...stateViews() }));
    }
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

/** The first release's name for the trainer. */
export const trainMlp = trainNetwork;

/** What a checkpoint of this network must fit (network-checkpoint.ts). */
function checkpointLayout(net: NetworkLayout, moments: 0 | 1 | 2, trainRows: number, rngBytes: number): CheckpointLayout {
  const shape = (s: number[]) => `[${s.join(",")}]`;
  return {
    paramCount: net.paramCount, moments, trainRows, rngBytes,
    layers: net.layers.map((l) => `${l.plan.spec.type} ${shape(l.plan.inShape)}→${shape(l.plan.outShape)}`),
  };
}

interface NetworkLayout {
  layers: LayerBuffers[];
  paramCount: number;
  params: number;
  grads: number;
  moment1: number;
  moment2: number;
  rows: number;
  input: number;
  inputSize: number;
  labels: number;
  /** Two ping-pong gradient buffers, rows × the widest layer. */
  gradA: number;
  gradB: number;
  /** Where each layer read its input and wrote its output in the last forward pass. */
  inputs: number[];
  outputs: number[];
}

/** Bytes the network's buffers take (parameters, gradients, moments, activations, scratch). */
export function networkBytes(plans: LayerPlan[], input: number[], rows: number, moments: 0 | 1 | 2): number {
  const inputSize = input.reduce((a, b) => a * b, 1);
  const params = plans.reduce((s, p) => s + p.weights + p.biases, 0);
  const activations = plans.reduce((s, p) => s + (ownsOutput(p) ? rows * p.outSize : 0) + scratchFloats(p, rows), 0);
  const widest = Math.max(inputSize, ...plans.map((p) => p.outSize));
  return 4 * (params * (2 + moments) + activations + rows * (inputSize + 1 + 2 * widest));
}

function layoutNetwork(inst: KernelInstance, plans: LayerPlan[], input: number[], rows: number, moments: 0 | 1 | 2): NetworkLayout {
  // Parameters are one block [W0, b0, W1, b1, …]: one optimizer call updates everything and
  // the weight hash is one range.
  const paramCount = plans.reduce((s, p) => s + p.weights + p.biases, 0);
  const params = inst.allocF32(paramCount);
  const grads = inst.allocF32(paramCount);
  let offset = 0;
  const layers = plans.map((plan): LayerBuffers => {
    const w = params + offset * 4, dw = grads + offset * 4;
    offset += plan.weights;
    const b = params + offset * 4, db = grads + offset * 4;
    offset += plan.biases;
    const scratch = scratchFloats(plan, rows);
    return {
      plan, w, b, dw, db,
      out: ownsOutput(plan) ? inst.allocF32(rows * plan.outSize) : 0,
      scratch: scratch ? inst.allocF32(scratch) : 0,
    };
  });
  const inputSize = input.reduce((a, b) => a * b, 1);
  const widest = Math.max(inputSize, ...plans.map((p) => p.outSize));
  return {
    layers, paramCount, params, grads, rows, inputSize,
    moment1: moments >= 1 ? inst.allocF32(paramCount) : 0,
    moment2: moments >= 2 ? inst.allocF32(paramCount) : 0,
    input: inst.allocF32(rows * inputSize),
    labels: inst.allocI32(rows),
    gradA: inst.allocF32(rows * widest),
    gradB: inst.allocF32(rows * widest),
    inputs: new Array(plans.length).fill(0),
    outputs: new Array(plans.length).fill(0),
  };
}

function gatherBatch(inst: KernelInstance, data: ResidentDataset, idx: number, start: number, count: number, net: NetworkLayout): void {
  const k = inst.k;
  if (data.x.kind === "u8") k.gatherRowsU8(data.x.ptr, data.features, idx, start, count, data.x.scale, net.input);
  else k.gatherRowsF32(data.x.ptr, data.features, idx, start, count, net.input);
  k.gatherLabels(data.labelsPtr, idx, start, count, net.labels);
}

/** Runs every layer; returns where the logits are. */
function forward(ctx: StepContext, net: NetworkLayout): number {
  let x = net.input;
  net.layers.forEach((l, i) => {
    net.inputs[i] = x;
    x = LAYER_OPS[l.plan.spec.type].forward(ctx, l, x);
    net.outputs[i] = x;
  });
  return x;
}

/** Expects dLoss/dLogits in gradA; leaves parameter gradients in net.grads. */
function backward(ctx: StepContext, net: NetworkLayout): void {
  let d = net.gradA;
  for (let i = net.layers.length - 1; i >= 0; i--) {
    const l = net.layers[i]!;
    // A layer that moves no bytes (flatten) passes the gradient on as it is.
    if (LAYER_OPS[l.plan.spec.type].gradientPassesThrough) continue;
    // The first layer's input gradient is not needed; a layer that passed its input on (dropout
    // at rate 0) would need none either, but is given a buffer all the same.
    const dIn = i === 0 ? 0 : d === net.gradA ? net.gradB : net.gradA;
    LAYER_OPS[l.plan.spec.type].backward(ctx, l, net.inputs[i]!, net.outputs[i]!, d, dIn);
    d = dIn;
  }
}

function update(inst: KernelInstance, net: NetworkLayout, train: TrainSpec, lr: number, step: number): void {
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

/** Mean loss and accuracy of the network on a split's rows, in chunks of the batch buffers' rows. */
function evaluate(
  inst: KernelInstance, net: NetworkLayout, data: ResidentDataset, split: RowSet,
  lossFn: (...a: [number, number, number, number, number, number]) => number, outputs: number,
): { loss: number; accuracy: number } {
  const k = inst.k;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += net.rows) {
    const rows = Math.min(net.rows, split.count - start);
    gatherBatch(inst, data, split.rows, start, rows, net);
    const logits = forward({ inst, rows, training: false, rng: 0 }, net);
    if (data.task === "classification") correct += k.argmaxCorrect(logits, net.labels, rows, outputs);
    lossSum += lossFn(logits, net.labels, rows, outputs, net.gradA, 1 / rows);
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}
