// Runs one trial of any experiment: a kernels instance in its just-instantiated state (a fresh
// one, or one reset from the thread's pool) and a fresh instance of the experiment's own
// module, reports checked and numbered, the state hashed. Worker threads and `discalc
// train` both come through here, so a trial run alone reproduces the fleet's result.
import { createHash } from "node:crypto";
import { KernelPool } from "../../kernels/instance-pool.ts";
import type { KernelInstance } from "../../kernels/instance.ts";
import { kernelsOn } from "../../kernels/index.ts";
import { createNN } from "../../kernels/nn/index.ts";
import type { Metrics, RunResult } from "./contract.ts";
import type { ExperimentEntry, RuntimeContext } from "./experiment-entry.ts";
import { checkMetrics, MAX_REPORTS } from "./metrics-check.ts";
import { instantiateExperimentWasm } from "./experiment-wasm.ts";
import { datasetAccess } from "./dataset-access.ts";
import { canonicalJson, isPlainObject } from "./plain-data.ts";
import { nonFiniteEntry, TrialDiverged } from "./trial-diverged.ts";
import { encodeCheckpoint, type CheckpointContents } from "./checkpoint-envelope.ts";
import { checkpointDue } from "./checkpoint-due.ts";
import { decodeNpz, encodeNpz } from "./npz.ts";
import type { NamedArrays } from "../../kernels/named-arrays.ts";
import { pastStopStep, stopStepDue, stopStepReached } from "./stop-step.ts";

export interface TrialSpec {
  trialId: number;
  params: Record<string, unknown>;
  seed: number;
  config: Record<string, unknown>;
  /**
   * The caller hands params and config over (a thread's own copy, from its message): the
   * experiment gets them as they are instead of a copy it may change freely.
   */
  handedOver?: boolean;
}

export interface TrialRuntime {
  entry: ExperimentEntry;
  kernelsModule: WebAssembly.Module;
  /** Where the trial takes its kernel instances (a thread keeps one across trials); fresh ones without it. */
  kernelPool?: KernelPool;
  /** The experiment's own compiled module, when it has one. */
  experimentWasm: WebAssembly.Module | null;
  /** Dataset blobs by key (dataset-specs.ts). */
  blobs: ReadonlyMap<string, Uint8Array>;
  onReport?(step: number, values: Metrics): void;
  shouldStop?(): boolean;
  /**
   * After each report: whether the trial goes on, is pruned by the sweep's stopping rule, or
   * is handed back to run later (its decision is waiting on trials that cannot run now).
   */
  decide?(step: number): EarlyStopKind | "continue";
  /**
   * Keep a copy of the state's bytes in the outcome (`discalc train --save`, a lease's
   * `keepState`); workers send only its hash. A function decides from the final metrics and
   * reports (a lease's `keepIfBetter`): a state not kept is not copied.
   */
  keepState?: boolean | ((metrics: Metrics, reports: readonly Metrics[]) => boolean);
  /** The checkpoint this attempt resumes from: `ctx.restore()` gives its state, its reports are the trial's first. */
  restore?: CheckpointContents;
  /** The sweep's `checkpoint.every`. */
  checkpointEvery?: number;
  /** Whether the agent asks for a checkpoint now (it is stopping, and hands the trial back after). */
  checkpointAsked?(): boolean;
  /** A checkpoint taken (the stored form: checkpoint-envelope.ts). Without it, `ctx.checkpoint` keeps nothing. */
  onCheckpoint?(bytes: Uint8Array, step: number): void;
  /** The largest state the controller stores (--max-state-bytes): a larger one throws at `ctx.checkpoint`. */
  maxStateBytes?: number;
  /** Without `checkpoint.every`, the compute time between checkpoints (DEFAULT_CHECKPOINT_MS unless a test says). */
  checkpointIntervalMs?: number;
  /**
   * The lease's last report step (a population-based training member's generation ends there):
   * a checkpoint is due at it, the trial stops once it is taken (stop-step.ts), and the kept
   * state is that checkpoint, which the next generation resumes from.
   */
  stopStep?: number;
}

export type EarlyStopKind = "prune" | "release";

/** Thrown out of ctx.report when the trial stops at a rung: the experiment's run ends there. */
class EarlyStop extends Error {
  constructor(readonly kind: EarlyStopKind, readonly step: number) {
    super(`trial stopped at report ${step} (${kind})`);
  }
}

export interface TrialOutcomeData {
  resultSha256: string;
  metrics: Metrics;
  reports: Metrics[];
  info: Metrics;
  runMs: number;
  /** Set when the stopping rule ended the trial at a report (its reports end there). */
  earlyStop?: { kind: EarlyStopKind; step: number };
  /** The state's bytes, with `keepState` and a state returned. */
  state?: Uint8Array;
}

export async function runTrial(spec: TrialSpec, rt: TrialRuntime): Promise<TrialOutcomeData> {
  const pool = rt.kernelPool ?? new KernelPool(rt.kernelsModule);
  const taken: KernelInstance[] = [];
  const instance = () => {
    const i = pool.acquire();
    taken.push(i);
    return i;
  };
  let kernels: RuntimeContext["kernels"] | undefined;
  const outcome = await runWith(spec, rt, instance, () => (kernels ??= kernelsOn(instance())));
  // After the state is hashed: nothing reads these instances' memory any more. A trial that
  // threw gives its instances up instead (code of it may still run later, or it wrote past
  // what it allocated): the next trial must not see any of it.
  if (rt.kernelPool) for (const i of taken) pool.release(i);
  return outcome;
}

async function runWith(
  spec: TrialSpec, rt: TrialRuntime, instance: () => KernelInstance, kernels: () => RuntimeContext["kernels"],
): Promise<TrialOutcomeData> {
  // A resumed attempt goes on from the reports its checkpoint carries: none is made twice.
  const reports: Metrics[] = rt.restore ? rt.restore.reports.slice() : [];
  let lastCheckpointStep = rt.restore?.step;
  let lastCheckpointAt = performance.now();
  let nn: RuntimeContext["nn"] | undefined;
  let earlyStop: EarlyStop | undefined;
  /** Set once a report is not finite: the trial ends there, even if the experiment catches the throw. */
  let diverged: TrialDiverged | undefined;
  /**
   * The checkpoint taken at the lease's stopStep (stored form): the trial's kept state. An
   * attempt resumed from its own checkpoint at the stopStep (its result was lost) has it already.
   */
  let stopCheckpoint: Uint8Array | undefined = rt.restore && rt.restore.step === rt.stopStep ? encodeCheckpoint(rt.restore) : undefined;
  const ctx: RuntimeContext = {
    trialId: spec.trialId,
    params: spec.handedOver ? spec.params : structuredClone(spec.params),
    seed: spec.seed,
    report(values) {
      if (diverged) throw diverged;
      // Past its stopStep a member reports nothing: the next generation goes on from there.
      if (pastStopStep(rt.stopStep, reports.length + 1)) return;
      const notFinite = nonFiniteEntry(values);
      if (notFinite !== null) throw (diverged = new TrialDiverged(`diverged: report ${reports.length + 1}: ${notFinite}`, reports.slice()));
      if (reports.length >= MAX_REPORTS) throw new RangeError(`report: at most ${MAX_REPORTS} reports per trial (report every epoch or every N steps)`);
      const checked = checkMetrics(values, `report ${reports.length + 1}`);
      reports.push(checked);
      rt.onReport?.(reports.length, checked);
      const decision = rt.decide?.(reports.length) ?? "continue";
      if (decision !== "continue") throw (earlyStop = new EarlyStop(decision, reports.length));
    },
    // An experiment that catches the stop (a try around its loop) still sees it here.
    shouldStop: () => earlyStop !== undefined || stopStepReached(rt.stopStep, reports.length, stopCheckpoint !== undefined) || (rt.shouldStop?.() ?? false),
    // Taken when the experiment first asks: one that never calls a kernel costs no instance.
    get kernels() {
      return kernels();
    },
    // On the kernels' instance: an experiment may mix ctx.kernels calls with tensors.
    get nn() {
      return (nn ??= createNN(kernels().instance, spec.seed));
    },
    wasm: rt.experimentWasm ? instantiateExperimentWasm(rt.experimentWasm, spec.seed, rt.entry.name) : undefined,
    dataset: datasetAccess(instance, rt.blobs),
    datasetBlob: (key) => rt.blobs.get(key),
    checkpoint(step, state) {
      if (!Number.isSafeInteger(step) || step < 0) throw new TypeError(`checkpoint: step must be an integer ≥ 0, got ${String(step)}`);
      const { bytes, npz } = stateBytesOf(state, "checkpoint");
      // The envelope adds the reports: the cap is the stored bytes'.
      const stored = encodeCheckpoint({ step, reports, state: bytes, ...(npz && { format: "npz" as const }) });
      if (rt.maxStateBytes !== undefined && stored.byteLength > rt.maxStateBytes) {
        throw new RangeError(`checkpoint: the state (${stored.byteLength} bytes with its reports) exceeds the controller's cap of ${rt.maxStateBytes} bytes (--max-state-bytes)`);
      }
      if (pastStopStep(rt.stopStep, step)) return;
      rt.onCheckpoint?.(stored, step);
      if (step === rt.stopStep) stopCheckpoint = stored;
      lastCheckpointStep = step;
      lastCheckpointAt = performance.now();
    },
    restore: () => rt.restore && {
      step: rt.restore.step, state: rt.restore.state.slice(),
      ...(rt.restore.format === "npz" && { arrays: decodeNpz(rt.restore.state, "checkpoint.npz") }),
    },
    checkpointDue: (step) => stopStepDue(rt.stopStep, step, lastCheckpointStep) || checkpointDue({
      step, every: rt.checkpointEvery, lastStep: lastCheckpointStep, sinceMs: performance.now() - lastCheckpointAt,
      asked: rt.checkpointAsked?.() ?? false, intervalMs: rt.checkpointIntervalMs,
    }),
  };
  const started = performance.now();
  let returned: RunResult | void = undefined;
  try {
    returned = await rt.entry.run(spec.handedOver ? spec.config : structuredClone(spec.config), ctx);
  } catch (err) {
    if (!earlyStop && !diverged) throw err;
  }
  if (diverged) throw diverged;
  const runMs = performance.now() - started;
  if (earlyStop) {
    // What it reached is its reports: no final metrics or state, the hash of its last report.
    const last = withoutTiming(reports[earlyStop.step - 1]!, rt.entry.timingMetrics);
    return { resultSha256: stateSha256(undefined, last), metrics: {}, reports: reports.slice(0, earlyStop.step), info: {}, runMs, earlyStop: { kind: earlyStop.kind, step: earlyStop.step } };
  }
  const result: RunResult = returned ?? {};
  if (!isPlainObject(result)) throw new TypeError(`run must return { metrics?, state? } or nothing, returned ${typeof result}`);
  const notFinite = nonFiniteEntry(result.metrics);
  if (notFinite !== null) throw new TrialDiverged(`diverged: the final metrics: ${notFinite}`, reports);
  const metrics = result.metrics === undefined ? {} : checkMetrics(result.metrics, "the final metrics");
  const info = result.info === undefined ? {} : checkMetrics(result.info, "info");
  if (rt.stopStep !== undefined && !stopCheckpoint) {
    throw new Error(`stopStep ${rt.stopStep}: the experiment made no checkpoint at report ${rt.stopStep} (it reported ${reports.length}); population-based training resumes the next generation from it (call ctx.checkpoint when ctx.checkpointDue says so)`);
  }
  // A member's kept state is its stopStep checkpoint (resumable); its hash stays that of what run returned.
  const returnedState = result.state === undefined || result.state === null ? undefined : stateBytesOf(result.state, "run's state").bytes;
  // A copy: the bytes may live in a wasm memory the next trial reuses.
  const keep = typeof rt.keepState === "function" ? rt.keepState(metrics, reports) : rt.keepState === true;
  const state = keep ? (stopCheckpoint?.slice() ?? returnedState?.slice()) : undefined;
  return { resultSha256: stateSha256(returnedState, metrics), metrics, reports, info, runMs, ...(state && { state }) };
}

/** A report without the metrics that measure time: what a pruned trial's hash covers. */
function withoutTiming(report: Metrics, timing: readonly string[] | undefined): Metrics {
  if (!timing?.length) return report;
  const out: Metrics = {};
  for (const key of Object.keys(report)) if (!timing.includes(key)) out[key] = report[key]!;
  return out;
}

/**
 * A state's bytes: a view of bytes as given (no copy), or the .npz of named arrays (`npz`);
 * a TypeError naming the caller otherwise.
 */
function stateBytesOf(state: unknown, what: string): { bytes: Uint8Array; npz: boolean } {
  if (state instanceof ArrayBuffer || state instanceof SharedArrayBuffer) return { bytes: new Uint8Array(state), npz: false };
  if (ArrayBuffer.isView(state)) return { bytes: new Uint8Array(state.buffer, state.byteOffset, state.byteLength), npz: false };
  if (isPlainObject(state)) return { bytes: encodeNpz(state as NamedArrays), npz: true };
  throw new TypeError(`${what}: the state must be an ArrayBuffer, a typed array or named arrays { name: { shape, data } }, got ${state === null ? "null" : typeof state}`);
}

/** SHA-256 of the state's bytes; without a state, of the final metrics as canonical JSON. */
export function stateSha256(state: Uint8Array | undefined, metrics: Metrics): string {
  const hash = createHash("sha256");
  return state === undefined ? hash.update(canonicalJson(metrics)).digest("hex") : hash.update(state).digest("hex");
}
