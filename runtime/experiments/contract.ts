// What an experiment is: the contract a researcher's `experiment.ts` default-exports and the
// context each trial's `run` receives. Import the types with
// `import type { Experiment } from "discalc/experiment"` (type-only: nothing is bundled).
import type { Kernels } from "../../kernels/index.ts";
import type { HostDataset } from "../../kernels/datasets/host-dataset.ts";
import type { NN } from "../../kernels/nn/index.ts";
import type { NamedArrays } from "../../kernels/named-arrays.ts";

/** Named finite numbers: one report (a step or an epoch), or a trial's final metrics. */
export type Metrics = Record<string, number>;

/**
 * A trial's state: bytes, or named arrays (a `ctx.nn` model's `nn.stateDict(model)`, the
 * optimiser's, anything of `{ shape, data }`), which travel and are kept as an `.npz` that
 * `numpy.load` opens. Its bytes (the `.npz`'s, for arrays) are what `resultSha256` hashes.
 */
export type TrialState = ArrayBuffer | ArrayBufferView | NamedArrays;

export interface RunResult {
  /** Final metrics; the sweep's objective is read here first, then from the last report. */
  metrics?: Metrics;
  state?: TrialState;
  /** Other numbers worth keeping with the result (timings, counts); not ranked. */
  info?: Metrics;
}

/** A dataset as `ctx.dataset(spec)` gives it: typed arrays and the sample shape, split into train, validation (`dataset.validation`, 0.1 of the train rows by default) and test. */
export type Dataset = HostDataset;

export interface ExperimentContext {
  trialId: number;
  /** The sweep point: swept values by dotted path. */
  params: Record<string, unknown>;
  /** The config's seed plus the repeat index. */
  seed: number;
  /** Streams one report upward (a step or an epoch): finite numbers only. */
  report(metrics: Metrics): void;
  /** True once the trial is cancelled or stopped early: return soon after. */
  shouldStop(): boolean;
  /** The core's SIMD kernels, as `loadKernels()` gives them (a fresh instance per trial). */
  kernels: Kernels;
  /**
   * Tensors with gradients (PyTorch's names) on the same kernel instance as `kernels`; draws
   * without a seed of their own come from a generator seeded by `seed`.
   */
  nn: NN;
  /** The exports of the experiment's own AssemblyScript module, a fresh instance per trial. */
  wasm?: WebAssembly.Exports & { memory?: WebAssembly.Memory };
  /** A built-in (`{ name: "mnist", train, test }`) or file dataset named in the config. */
  dataset(spec: unknown): Dataset;
  /**
   * Stores the trial's state at a step (its epoch, its iteration), so that an attempt after a
   * lost machine resumes there (`restore()`). The reports made so far travel with it: the
   * resumed attempt goes on from them, and its result (and hash) is an uninterrupted run's. The
   * state must hold everything the rest of the run depends on, random streams included. Throws
   * when the state is over the controller's --max-state-bytes. Call it when `checkpointDue`
   * says so; a newer checkpoint replaces the older.
   */
  checkpoint(step: number, state: TrialState): void;
  /** The trial's last stored checkpoint, or undefined on a fresh start: call it at the start of `run`. */
  restore(): { step: number; state: Uint8Array; arrays?: NamedArrays } | undefined;
  /**
   * Whether to checkpoint at this step: every `checkpoint.every` steps when the sweep names it,
   * else after about 30 s of compute since the last one, and at once when the agent is asked to
   * stop (SIGTERM) and will hand the trial back.
   */
  checkpointDue(step: number): boolean;
}

export interface Experiment<C = Record<string, unknown>> {
  /** Values under the sweep config: the trial config is `defaults` deep-merged with it. */
  defaults?: Record<string, unknown>;
  /**
   * Whether a trial config may hold only keys that `defaults` names (nested objects key by key;
   * under `{}` anything goes) besides discalc's own (`seed`, `dataset`, `datasets`). True unless
   * false: a typo in a key is then refused, naming the nearest known key, instead of ignored.
   */
  strict?: boolean;
  /**
   * Report metrics that measure time (wall-clock milliseconds, throughput): a trial pruned at a
   * report has that report's hash as its result, and these are left out of it so a rerun
   * (`discalc train --trial N`) gives the same hash. Better still, put timings in `info`.
   */
  timingMetrics?: string[];
  /** Problems with a resolved config, one line each; empty when it is good. Runs at the controller. */
  validate?(config: C): string[];
  run(config: C, ctx: ExperimentContext): RunResult | void | Promise<RunResult | void>;
}
