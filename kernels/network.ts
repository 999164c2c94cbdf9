// Trains one network trial entirely inside wasm memory: an MLP (`model.hidden`, the shorthand
// for dense layers) or a layer list (`model.layers`: dense, conv2d, pooling, flatten, dropout).
// The network is a model on ctx.nn (a Sequential of nn/config-layers.ts modules, ctx.nn's
// optimizers); each step gathers a shuffled batch into the same tensors and replays the step's
// kernel calls, captured with nn.graph (no JS allocation or tape per step). A seed fixes
// everything, dropout masks included, so two runs of one config give bit-identical weights on
// any machine.
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
import { macsPerSample, ownsOutput, scratchFloats } from "./layers/layer-ops.ts";
import type { NamedArrays } from "./named-arrays.ts";
import { Engine, type Tensor } from "./nn/tensor.ts";
import "./nn/backward.ts"; // registers Tensor.backward
import { Graph } from "./nn/graph.ts";
import { Sequential } from "./nn/sequential.ts";
import { ConfigLayer, fusedLoss, type FusedLossKernel } from "./nn/config-layers.ts";
import { Adam, Sgd, type Optimizer } from "./nn/optim.ts";
import { stateOf, loadState } from "./nn/state.ts";
import type { TrainerBuffers } from "./network-checkpoint.ts";

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
  const needed = networkBytes(plans, input, train.batch, rows, moments) + inst.k.heapTop();
  if (needed > WASM_MEMORY_LIMIT - 64 * 1024 ** 2) {
    throw new Error(
      `model too large: ${model.layers ? `its ${model.layers.length} layers` : `hidden ${JSON.stringify(model.hidden)}`} with batch ${train.batch} ` +
      `needs about ${Math.round(needed / 1024 ** 2)} MiB of wasm memory; one instance addresses at most ${WASM_MEMORY_LIMIT / 1024 ** 2} MiB ` +
      `(shrink ${model.layers ? "model.layers" : "model.hidden"} or train.batch)`,
    );
  }
  // The network is a model on ctx.nn: a Sequential of the config's layers (nn/config-layers.ts),
  // whose nodes run the layers' kernels. Its parameters are [W0, b0, W1, b1, …] in layer order.
  const e = new Engine(inst, train.seed);
  const dropoutRng = inst.allocBytes(RNG_STATE_BYTES);
  const layers = plans.map((plan) => new ConfigLayer(e, plan, dropoutRng));
  const net = new Sequential(...layers);
  const params = net.parameters();
  const paramCount = params.reduce((n, p) => n + p.size, 0);

  // Initialise weights layer by layer from one stream: He for ReLU, Xavier otherwise, unless the config says.
  const rng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(rng, train.seed, INIT_STREAM);
  for (const l of layers) {
    if (!l.weight) continue;
    const activation = (l.plan.spec as { activation?: string }).activation;
    const he = model.init === "he" || (model.init === "auto" && (model.layers ? activation === "relu" : model.activation === "relu"));
    if (he) k.initHe(l.weight.ptr, l.plan.weights, l.plan.fanIn, rng);
    else k.initXavier(l.weight.ptr, l.plan.weights, l.plan.fanIn, l.plan.fanOut, rng);
  }
  const shuffleRng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(shuffleRng, train.seed, SHUFFLE_STREAM);
  k.rngSeed(dropoutRng, train.seed, DROPOUT_STREAM);
  const opt = optimizerOf(params, train);
  // The epoch's sample order: the train rows, reshuffled every epoch from where the last left them.
  const trainCount = data.train.count;
  const order = inst.allocI32(trainCount);
  inst.i32(order, trainCount).set(inst.i32(data.train.rows, trainCount));

  const stepsPerEpoch = Math.ceil(trainCount / train.batch);
  const totalSteps = stepsPerEpoch * train.epochs;
  const schedule = SCHEDULE_ID[train.schedule.type];
  // Forward, and backward's two products (dW, and dIn except for the first layer).
  const flopsPerSample = 2 * plans.reduce((sum, p, i) => sum + macsPerSample(p) * (i === 0 ? 2 : 3), 0);
  const lossKernel: FusedLossKernel = regression ? "mseTargets" : train.loss === "mse" ? "mseOneHot" : "softmaxCrossEntropy";
  const inputSize = data.features;
  const batches = new BatchSteps(e, inputSize, (x, targets, sink) => {
    fusedLoss(net.forward(x), targets, lossKernel, sink).backward();
    opt.step();
    opt.zeroGrad();
  });

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
  const layoutOf = () => (layout ??= checkpointLayout(plans, paramCount, moments, trainCount, RNG_STATE_BYTES));
  const stateNow = (): TrainerBuffers => ({
    params: stateOf(params),
    moments: momentsOf(opt, params, moments),
    order: inst.u8(order, trainCount * 4).slice(),
    shuffleRng: inst.u8(shuffleRng, RNG_STATE_BYTES).slice(),
    dropoutRng: inst.u8(dropoutRng, RNG_STATE_BYTES).slice(),
  });
  if (options.resumeFrom) {
    const saved = decodeCheckpoint(options.resumeFrom, layoutOf());
    loadState(params, saved.params);
    loadMoments(opt, params, saved.moments, saved.step, train);
    inst.u8(order, trainCount * 4).set(saved.order);
    inst.u8(shuffleRng, RNG_STATE_BYTES).set(saved.shuffleRng);
    inst.u8(dropoutRng, RNG_STATE_BYTES).set(saved.dropoutRng);
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
      opt.lr = lr;
      const batch = batches.of(batchRows);
      gatherBatch(inst, data, order, start, batchRows, batch.x.ptr, batch.targets.ptr);
      lossSum += batch.run();
      samplesSeen += batchRows;
      // After the epoch's last step too (its evaluation then runs on resume): a stop there is
      // checkpointed before its report, which a stop makes differ (the test metrics come with it).
      // A loss that is no longer finite ends the trial as diverged: nothing to resume.
      if (options.onCheckpoint && Number.isFinite(lossSum) && options.checkpointDue?.({ epoch, step, epochDone: false })) {
        const at = { epoch, step, epochDone: false };
        options.onCheckpoint(at, encodeCheckpoint(layoutOf(), { ...at, rows: start + batchRows, lossSum, lr, reports: epochs, ...stateNow() }));
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
      const v = evaluate(e, net, data, data.validation, lossKernel, rows);
      metrics.valLoss = v.loss;
      if (regression) metrics.valRmse = Math.sqrt(v.loss);
      else metrics.valAccuracy = v.accuracy;
    }
    if (data.validation.count === 0 || last) {
      const t = evaluate(e, net, data, data.test, lossKernel, rows);
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
      options.onCheckpoint(at, encodeCheckpoint(layoutOf(), { ...at, rows: 0, lossSum: 0, lr, reports: epochs, ...stateNow() }));
    }
  }

  const trainMs = performance.now() - trainStart;
  const paramBytes = stateOf(params);
  return {
    epochs,
    final: epochs[epochs.length - 1],
    weightsSha256: createHash("sha256").update(paramBytes).digest("hex"),
    weights: paramBytes,
    paramCount,
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
function checkpointLayout(plans: LayerPlan[], paramCount: number, moments: 0 | 1 | 2, trainRows: number, rngBytes: number): CheckpointLayout {
  const shape = (s: number[]) => `[${s.join(",")}]`;
  return {
    paramCount, moments, trainRows, rngBytes,
    layers: plans.map((p) => `${p.spec.type} ${shape(p.inShape)}→${shape(p.outShape)}`),
  };
}

/** The config's optimizer as ctx.nn's: the same update kernels (adam's weight decay is decoupled, AdamW's). */
function optimizerOf(params: Tensor[], train: TrainSpec): Optimizer {
  switch (train.optimizer) {
    case "sgd":
      return new Sgd(params, { lr: train.lr, weightDecay: train.weightDecay });
    case "momentum":
      return new Sgd(params, { lr: train.lr, momentum: train.momentum, weightDecay: train.weightDecay });
    case "adam":
      return new Adam(params, { lr: train.lr, betas: [train.beta1, train.beta2], eps: train.eps, weightDecay: train.weightDecay }, true);
  }
}

/** A moment buffer's names in the optimizer's state dict, in the checkpoint's order. */
const MOMENT_NAMES = [[], ["momentum_buffer"], ["exp_avg", "exp_avg_sq"]] as const;

/** The optimizer's moments as the checkpoint's sections: one buffer per moment over every parameter in order (zeros before the first step). */
function momentsOf(opt: Optimizer, params: Tensor[], moments: 0 | 1 | 2): Uint8Array[] {
  const state = opt.stateDict();
  const total = params.reduce((n, p) => n + p.size, 0);
  return MOMENT_NAMES[moments].map((name) => {
    const out = new Float32Array(total);
    let at = 0;
    params.forEach((p, i) => {
      const m = state[`state.${i}.${name}`];
      if (m) out.set(m.data as Float32Array, at);
      at += p.size;
    });
    return new Uint8Array(out.buffer);
  });
}

/**
 * The checkpoint's moments back into the optimizer. `momentum` at 0 keeps no buffer (its update
 * is SGD's, to the bit: 0·v adds nothing), so its section, zeros or an older release's last
 * gradient, is not read.
 */
function loadMoments(opt: Optimizer, params: Tensor[], sections: Uint8Array[], steps: number, train: TrainSpec): void {
  const arrays: NamedArrays = { steps: { shape: [], data: Float64Array.of(steps) } };
  const kept = train.optimizer === "momentum" && train.momentum === 0 ? [] : sections;
  kept.forEach((bytes, j) => {
    const all = new Float32Array(bytes.slice().buffer);
    let at = 0;
    params.forEach((p, i) => {
      arrays[`state.${i}.${MOMENT_NAMES[sections.length as 1 | 2][j]!}`] = { shape: [...p.shape], data: all.slice(at, (at += p.size)) };
    });
  });
  opt.loadStateDict(arrays);
}

/**
 * The training step of each batch size (an epoch's last batch, when smaller, is another): the
 * batch is gathered into the same input and target tensors each time, the step is captured with
 * nn.graph and replayed, and the loss comes back through the fused loss's sink.
 */
class BatchSteps {
  private readonly bySize = new Map<number, BatchStep>();

  constructor(
    private readonly e: Engine, private readonly inputSize: number,
    private readonly step: (x: Tensor, targets: Tensor, sink: { value: number }) => void,
  ) {}

  of(rows: number): BatchStep {
    let b = this.bySize.get(rows);
    if (!b) this.bySize.set(rows, (b = new BatchStep(this.e, this.e.make([rows, this.inputSize], true), this.e.make([rows], true), this.step)));
    return b;
  }
}

class BatchStep {
  private graph: Graph<void> | null = null;
  private readonly sink = { value: 0 };
  private runs = 0;

  constructor(
    private readonly e: Engine, readonly x: Tensor, readonly targets: Tensor,
    private readonly step: (x: Tensor, targets: Tensor, sink: { value: number }) => void,
  ) {}

  /**
   * Trains on the batch in x and targets; returns the kernel's loss of it. The first run is eager
   * and the second captured (a trial of one step, as a sweep's smallest are, records nothing);
   * every run makes the same kernel calls, so which way it ran never shows in the bits.
   */
  run(): number {
    if (this.graph) this.graph.replay();
    else if (++this.runs === 1) this.e.tidy(() => this.step(this.x, this.targets, this.sink));
    else this.graph = new Graph(this.e, () => this.step(this.x, this.targets, this.sink));
    return this.sink.value;
  }
}

/**
 * Bytes the network's tensors can take at most: parameters and moments; each captured step (a
 * batch, and an epoch's smaller last batch) holds its own activations, scratch and a set of
 * gradients while its graph lives; evaluation's chunks (`evalRows`, then what is left) are made
 * and freed in turn. Blocks round up to their size class, up to a quarter more.
 */
export function networkBytes(plans: LayerPlan[], input: number[], batch: number, evalRows: number, moments: 0 | 1 | 2): number {
  const inputSize = input.reduce((a, b) => a * b, 1);
  const params = plans.reduce((s, p) => s + p.weights + p.biases, 0);
  const widest = Math.max(inputSize, ...plans.map((p) => p.outSize));
  // One pass's tensors at `rows`: outputs, scratch (a convolution's columns only to train on),
  // input and targets, and the gradients a backward pass holds at once (two layers').
  const pass = (rows: number, training: boolean) =>
    plans.reduce((s, p) => s + (ownsOutput(p) ? rows * p.outSize : 0) + scratchFloats(p, rows, training), 0) +
    rows * (inputSize + 1 + (training ? 2 * widest : 0));
  const floats = params * (1 + moments) + 2 * (params + pass(batch, true)) + 2 * pass(evalRows, false);
  return Math.ceil(4 * floats * 1.25);
}

function gatherBatch(inst: KernelInstance, data: ResidentDataset, idx: number, start: number, count: number, x: number, targets: number): void {
  const k = inst.k;
  if (data.x.kind === "u8") k.gatherRowsU8(data.x.ptr, data.features, idx, start, count, data.x.scale, x);
  else k.gatherRowsF32(data.x.ptr, data.features, idx, start, count, x);
  k.gatherLabels(data.labelsPtr, idx, start, count, targets);
}

/** Mean loss and accuracy of the network on a split's rows, in chunks of `chunk` rows (the batch's, at least EVAL_ROWS). */
function evaluate(e: Engine, model: Sequential, data: ResidentDataset, split: RowSet, lossKernel: FusedLossKernel, chunk: number): { loss: number; accuracy: number } {
  const k = e.k;
  let lossSum = 0;
  let correct = 0;
  const sink = { value: 0 };
  model.eval();
  try {
    for (let start = 0; start < split.count; start += chunk) {
      const rows = Math.min(chunk, split.count - start);
      e.tidy(() => e.noGrad(() => {
        const x = e.make([rows, data.features]), targets = e.make([rows]);
        gatherBatch(e.instance, data, split.rows, start, rows, x.ptr, targets.ptr);
        const logits = model.forward(x);
        if (data.task === "classification") correct += k.argmaxCorrect(logits.ptr, targets.ptr, rows, logits.shape[1]!);
        fusedLoss(logits, targets, lossKernel, sink);
        lossSum += sink.value;
      }));
    }
  } finally {
    model.train();
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}
