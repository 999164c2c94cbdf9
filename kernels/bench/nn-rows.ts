// The ctx.nn rows of `npm run kernels:bench` (issue 22's targets), beside PyTorch on one thread
// in the same run: steps/s of the grokking transformer (examples/grokking, run as a trial runs
// it) at the default sizes and a small one; the 2-64-64-3 spirals MLP written with
// ctx.nn against the built-in trainer's fused path on the same data, batch and epochs; the
// built-in's tanh MLP against PyTorch's and against its own relu. Each figure is the median of
// a few short rounds after a warm-up, so a row takes seconds. Rounds are timed in the process's
// CPU time, here and in the PyTorch peer (time.process_time): on a shared machine wall time
// counts the other processes' turns on the core, which differ between the two sides.
import { instantiateKernels } from "../load.ts";
import { KernelPool } from "../instance-pool.ts";
import { trainNetwork } from "../network.ts";
import { parseTrialConfig } from "../mlp-config.ts";
import { builtinHostDataset } from "../datasets/builtin-host-dataset.ts";
import { createNN, type NN } from "../nn/index.ts";
import { runTorchPeer } from "./python-with-torch.ts";
import grokking from "../../examples/grokking/experiment.ts";

export interface GrokkingSize { label: string; p: number; dModel: number; heads: number; dMlp: number; trainFraction: number; warm: number; rounds: number; perRound: number }
export interface MlpRun { samples: number; batch: number; rounds: number; epochsPerRound: number }
type Activation = "tanh" | "relu";

export function grokkingSizes(quick: boolean): GrokkingSize[] {
  return [
    { label: "p=113 dModel=128 heads=4 dMlp=512", p: 113, dModel: 128, heads: 4, dMlp: 512, trainFraction: 0.3, warm: 2, rounds: quick ? 1 : 3, perRound: quick ? 1 : 3 },
    { label: "p=23 dModel=32 heads=4 dMlp=128", p: 23, dModel: 32, heads: 4, dMlp: 128, trainFraction: 0.3, warm: 20, rounds: quick ? 1 : 5, perRound: quick ? 20 : 40 },
  ];
}

export const mlpRun = (quick: boolean): MlpRun => ({ samples: 3000, batch: 32, rounds: quick ? 1 : 5, epochsPerRound: quick ? 2 : 10 });

/** CPU milliseconds this process has used (all its threads: V8's compiler and GC helpers too). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const median = (v: number[]) => {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Steps/s of the grokking example's training loop: its `run` with a context whose shouldStop
 * (polled before each step) timestamps the steps and stops the loop before any evaluation.
 */
export function grokkingStepsPerSec(module: WebAssembly.Module, s: GrokkingSize): number {
  const nn = createNN(instantiateKernels(module), 0);
  const stamps: number[] = [];
  const total = s.warm + s.rounds * s.perRound;
  const shouldStop = () => stamps.push(cpuMs()) > total;
  // A fresh start that never checkpoints (its evaluations, where it would, never come).
  const ctx = { nn, shouldStop, report() {}, seed: 0, trialId: 0, params: {}, restore: () => undefined, checkpointDue: () => false, checkpoint() {} } as unknown as Parameters<typeof grokking.run>[1];
  const config = { ...grokking.defaults, p: s.p, dModel: s.dModel, heads: s.heads, dMlp: s.dMlp, trainFraction: s.trainFraction, steps: 1e9, evalEvery: 1e9 };
  void grokking.run(config, ctx);
  const rounds = Array.from({ length: s.rounds }, (_, r) => {
    const from = s.warm + r * s.perRound;
    return (stamps[from + s.perRound]! - stamps[from]!) / s.perRound;
  });
  return 1000 / median(rounds);
}

function spiralsConfig(activation: Activation, r: MlpRun, epochs: number) {
  return parseTrialConfig({
    dataset: { name: "spirals", train: r.samples, test: 100, classes: 3, noise: 0.05, validation: 0 },
    model: { hidden: [64, 64], activation },
    train: { epochs, batch: r.batch, optimizer: "adam", lr: 0.01, seed: 1 },
  });
}

/** A way to train the spirals MLP: seconds (CPU) that `epochs` more epochs take. */
type EpochTimer = (epochs: number) => number;

/**
 * The built-in trainer (its fused path): each call is one run of epochs + 1 epochs timed from
 * its first epoch's end to its last's, so the run's setup is not counted.
 */
export function fusedTimer(module: WebAssembly.Module, activation: Activation, r: MlpRun): EpochTimer {
  // Each round on an instance from a pool, as a worker thread runs its trials (the same instance, reset).
  const pool = new KernelPool(module);
  return (epochs) => {
    const ends: number[] = [];
    const inst = pool.acquire();
    trainNetwork(inst, spiralsConfig(activation, r, epochs + 1), { onEpoch: () => ends.push(cpuMs()) });
    pool.release(inst);
    return (ends.at(-1)! - ends[0]!) / 1000;
  };
}

/**
 * The same MLP written with ctx.nn as a researcher would: the built-in's spirals as host
 * arrays, a shuffle per epoch, a tensor per batch, Adam; the test loss
 * each epoch as the built-in reports it. Each call trains a fresh model for epochs + 1 epochs
 * and times all but the first, as fusedTimer does: both sides then time the same epochs of
 * training, not one model's later epochs against fresh fused runs' early ones.
 */
export function nnTimer(module: WebAssembly.Module, activation: Activation, r: MlpRun, captured = false): EpochTimer {
  const config = spiralsConfig(activation, r, 1);
  const data = builtinHostDataset(instantiateKernels(module), config.dataset, {});
  const { x, y, count } = data.train;
  const by = new Int32Array(r.batch);
  const pool = new KernelPool(module);
  return (epochs) => {
    // Each round on an instance from a pool, as a worker thread runs its trials (the same instance, reset).
    const inst = pool.acquire();
    const nn = createNN(inst, 1);
    const layers = [new nn.Linear(2, 64), new nn.Linear(64, 64), new nn.Linear(64, 3)];
    const act = (t: ReturnType<NN["tensor"]>) => (activation === "tanh" ? t.tanh() : t.relu());
    const forward = (t: ReturnType<NN["tensor"]>) => layers[2]!.forward(act(layers[1]!.forward(act(layers[0]!.forward(t)))));
    const opt = nn.optim.adam(layers.flatMap((l) => l.parameters()), { lr: 0.01 });
    const order = Int32Array.from({ length: count }, (_, i) => i);
    let seed = 1;
    // A batch is copied into one reused array and made a tensor (at 2 features as quick as
    // indexSelect from the data made a tensor once, which pays off at wider rows).
    const bx = new Float32Array(r.batch * 2);
    const testX = nn.tensor(data.test.x, [data.test.count, 2]);
    const step = (rows: number) => () => {
      const loss = nn.crossEntropy(forward(nn.tensor(bx.subarray(0, 2 * rows), [rows, 2])), by.subarray(0, rows));
      loss.backward();
      opt.step();
      opt.zeroGrad();
    };
    // Captured (nn.graph): one graph per batch size (the epoch's last batch is smaller), made on first use.
    const graphs = new Map<number, { replay(): unknown }>();
    const run = (rows: number) => {
      const graph = graphs.get(rows);
      if (graph) graph.replay();
      else if (captured) graphs.set(rows, nn.graph(step(rows)));
      else nn.tidy(step(rows));
    };
    const epoch = () => {
      for (let i = count - 1; i > 0; i--) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const j = seed % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let start = 0; start < count; start += r.batch) {
        const rows = Math.min(r.batch, count - start);
        const idx = order.subarray(start, start + rows);
        for (let i = 0; i < rows; i++) {
          const row = idx[i]!;
          by[i] = y[row]!;
          bx[2 * i] = x[2 * row]!;
          bx[2 * i + 1] = x[2 * row + 1]!;
        }
        run(rows);
      }
      nn.noGrad(() => nn.tidy(() => nn.crossEntropy(forward(testX), data.test.y as Int32Array).item()));
    };
    epoch();
    const start = cpuMs();
    for (let e = 0; e < epochs; e++) epoch();
    const seconds = (cpuMs() - start) / 1000;
    pool.release(inst);
    return seconds;
  };
}

export interface MlpFigures {
  /** Samples/s, the median over rounds. */
  nnTanh: number; nnRelu: number; graphTanh: number; graphRelu: number; fusedTanh: number; fusedRelu: number;
  /** Time ratios, each the median of the ratios within a round (the pair ran back to back). */
  nnOverFusedTanh: number; nnOverFusedRelu: number; graphOverFusedTanh: number; graphOverFusedRelu: number;
  fusedTanhOverRelu: number; nnTanhOverRelu: number;
}

/**
 * The spirals MLP six ways (ctx.nn eager and captured with nn.graph, and the built-in's fused
 * path; tanh and relu), in rounds that run each once, in turn: a ratio is taken within a round, where they ran
 * within a second of each other, so a noisy neighbour on a shared machine weighs on both
 * sides of it alike.
 */
export function mlpFigures(module: WebAssembly.Module, r: MlpRun): MlpFigures {
  const timers = {
    nnTanh: nnTimer(module, "tanh", r), nnRelu: nnTimer(module, "relu", r),
    graphTanh: nnTimer(module, "tanh", r, true), graphRelu: nnTimer(module, "relu", r, true),
    fusedTanh: fusedTimer(module, "tanh", r), fusedRelu: fusedTimer(module, "relu", r),
  };
  for (const timer of Object.values(timers)) timer(1); // warm-up
  const rounds = Array.from({ length: r.rounds }, () => {
    const t = {} as Record<keyof typeof timers, number>;
    for (const name of Object.keys(timers) as (keyof typeof timers)[]) t[name] = timers[name](r.epochsPerRound);
    return t;
  });
  const rate = (name: keyof typeof timers) => median(rounds.map((t) => (r.samples * r.epochsPerRound) / t[name]));
  const ratio = (a: keyof typeof timers, b: keyof typeof timers) => median(rounds.map((t) => t[a] / t[b]));
  return {
    nnTanh: rate("nnTanh"), nnRelu: rate("nnRelu"), graphTanh: rate("graphTanh"), graphRelu: rate("graphRelu"),
    fusedTanh: rate("fusedTanh"), fusedRelu: rate("fusedRelu"),
    nnOverFusedTanh: ratio("nnTanh", "fusedTanh"), nnOverFusedRelu: ratio("nnRelu", "fusedRelu"),
    graphOverFusedTanh: ratio("graphTanh", "fusedTanh"), graphOverFusedRelu: ratio("graphRelu", "fusedRelu"),
    fusedTanhOverRelu: ratio("fusedTanh", "fusedRelu"), nnTanhOverRelu: ratio("nnTanh", "nnRelu"),
  };
}

export interface TorchNnFigures { grokking: Record<string, number>; mlp: Record<Activation, number>; torch: string }

/** The PyTorch side (nn-peer.py), one thread; null when no python has torch or the peer fails. */
export function torchNnFigures(sizes: GrokkingSize[], r: MlpRun): TorchNnFigures | null {
  return runTorchPeer<TorchNnFigures>(new URL("./nn-peer.py", import.meta.url), { grokking: sizes, mlp: { ...r, activations: ["tanh", "relu"] } });
}
