// The one trial-thread entry: production threads (loaded from the node bundle) and tests
// (from source) both run this. Each trial gets an instance of the core's kernels in its
// just-instantiated state (one reset after the thread's previous trial: instance-pool.ts),
// from the WebAssembly.Module the agent compiled once, and runs the experiment its lease names.
import { parentPort, workerData } from "node:worker_threads";
import type { UnsignedLease, TrialOutcome, FailureKind } from "../../protocol/messages.ts";
import { builtinExperiment } from "../experiments/registry.ts";
import { ExperimentCache } from "../experiments/load-experiment.ts";
import { runTrial, stateSha256, type EarlyStopKind } from "../experiments/run-trial.ts";
import { TrialDiverged } from "../experiments/trial-diverged.ts";
import { trialErrorText } from "../experiments/trial-error.ts";
import { KernelPool } from "../../kernels/instance-pool.ts";
import type { ExperimentEntry } from "../experiments/experiment-entry.ts";
import { isDecisionStep } from "../stopping/registry.ts";
import { maxReportsOf } from "../experiments/report-bounds.ts";
import { outcomeBytes } from "../../protocol/batch-bytes.ts";
import { CHUNK_RETURN_MS, chunkRunsLong } from "../flow/chunk-size.ts";
import { createHash } from "node:crypto";
import { deflateState } from "../../protocol/client.ts";
import { decodeCheckpoint } from "../experiments/checkpoint-envelope.ts";
import type { StateKind } from "../../protocol/messages.ts";
import { trialKey } from "../../protocol/routes.ts";
import { mayBeKept, objectiveOf } from "../experiments/objective-of.ts";

export interface ThreadData {
  module: WebAssembly.Module;
  /**
   * Int32Array(MAX_CHUNK): entry i non-zero asks the chunk's i-th trial to stop (ctx.shouldStop()
   * turns true), or not to start.
   */
  stopFlags: SharedArrayBuffer;
  /** Int32Array(1): the chunk position of the trial the thread runs (a crash is blamed on it alone). */
  positionFlag: SharedArrayBuffer;
  /** Int32Array(1): the agent's answer to a trial waiting at a rung (RUNG_* below). */
  decisionFlag: SharedArrayBuffer;
  /**
   * Int32Array(2): [CHECKPOINT_ASKED] non-zero asks the running trial for a checkpoint now (the
   * agent is stopping); [CHECKPOINT_USED] the thread sets it once its running trial asks
   * `checkpointDue` or checkpoints (the agent then waits for its checkpoint before handing it back).
   */
  checkpointFlags: SharedArrayBuffer;
  /** The controller's --max-state-bytes, from the join. */
  maxStateBytes?: number;
  /** Without `checkpoint.every`, compute time between checkpoints (DEFAULT_CHECKPOINT_MS unless a test says). */
  checkpointIntervalMs?: number;
  /** How often a running trial's reports are posted (REPORT_POST_MS unless a test says). */
  reportEveryMs?: number;
  /** After how long a chunk gives back what it has not started (CHUNK_RETURN_MS unless a test says). */
  chunkReturnMs?: number;
}

/**
 * A running trial's reports go to the agent at most this often. A shorter trial sends none: its
 * result carries every report, so a message per report (most of a tiny trial's cost at the
 * agent) bought nothing.
 */
export const REPORT_POST_MS = 100;

/** Positions in ThreadData.checkpointFlags. */
export const CHECKPOINT_ASKED = 0, CHECKPOINT_USED = 1;

/** The values of the decision flag: unanswered, then the answer. */
export const RUNG_WAITING = 0, RUNG_CONTINUE = 1, RUNG_PRUNE = 2, RUNG_RELEASE = 3;


/**
 * A chunk of trials the thread runs one after another. Tiny trials come many to a message and
 * their ends go back many to a message (RESULT_POST_MS): a message each way per trial was most
 * of a tiny trial's cost at the agent. Trials of a few milliseconds or more come one at a time.
 */
export type ThreadRequest =
  | { type: "blob"; sha: string; bytes: Uint8Array }
  /** `restores`: the checkpoint each resuming trial of the chunk starts from (by trialKey), its SHA-256 checked. */
  | { type: "run"; leases: UnsignedLease[]; restores?: Record<string, Uint8Array> };

/** Ended trials of a chunk wait at most this long in the thread before they are posted. */
const RESULT_POST_MS = 2;

export type ThreadReply =
  /** Reports of the running trial since the last such message, for live curves (REPORT_POST_MS). */
  | { type: "reports"; trialId: number; attempt: number; items: Array<{ step: number; values: Record<string, number> }> }
  /**
   * A state to store (a checkpoint, or the final state before the trial's done): deflated, with
   * the SHA-256 of its raw bytes, made here rather than on the agent's one thread.
   */
  | { type: "state"; trialId: number; attempt: number; kind: StateKind; step: number; sha256: string; deflated: Uint8Array; rawBytes: number }
  /** Waiting at a rung: the reports since the last decision, ending with this step's. */
  | { type: "rung"; trialId: number; attempt: number; step: number; reports: Array<Record<string, number>> }
  /** `outcomeBytes`: the outcome's size as JSON (at most; exact past 1 MiB), found here rather than on the agent's one thread. */
  | { type: "done"; trialId: number; attempt: number; outcome: TrialOutcome; outcomeBytes: number; stopped: boolean; earlyStop?: EarlyStopKind }
  /**
   * `failure` says whether it runs again (protocol/messages.ts FAILURE_KINDS); a diverged
   * trial's `outcome` holds its finite reports. The error carries the stack, mapped.
   */
  | { type: "failed"; trialId: number; attempt: number; error: string; failure: FailureKind; outcome?: TrialOutcome; outcomeBytes?: number }
  /** Stopped before it started (its chunk's stop flag was set). */
  | { type: "skipped"; trialId: number; attempt: number }
  /** The chunk ran long: its trials from position `from` on were not started and go back to the agent. */
  | { type: "returned"; from: number }
  /**
   * The chunk ended: its time per trial on this thread. The agent sizes chunks by it; timed at
   * the agent, it included the agent's own delay in reading the ends, and a busy agent then
   * cut tiny trials into ever smaller chunks (8 on average, where 64 fit).
   */
  | { type: "chunk"; sweepId: number; trialMs: number };

/** What the thread posts: replies in the order they happened. */
export type ThreadMessage = ThreadReply[];

/** A lease's keepIfBetter as runTrial's keepState: whether the trial's final state may enter the sweep's kept ones. */
function keepIfBetter(lease: UnsignedLease): false | ((metrics: Record<string, number>, reports: ReadonlyArray<Record<string, number>>) => boolean) {
  const k = lease.keepIfBetter;
  return k !== undefined && ((metrics, reports) => mayBeKept(k, lease.trialId, objectiveOf(k.metric, metrics, reports)));
}

export function runThread(): void {
  const {
    module, stopFlags, positionFlag, decisionFlag, checkpointFlags, maxStateBytes, checkpointIntervalMs,
    reportEveryMs = REPORT_POST_MS, chunkReturnMs = CHUNK_RETURN_MS,
  } = workerData as ThreadData;
  const checkpoints = new Int32Array(checkpointFlags);
  const stops = new Int32Array(stopFlags);
  const position = new Int32Array(positionFlag);
  const decision = new Int32Array(decisionFlag);
  const blobs = new Map<string, Uint8Array>();
  const experiments = new ExperimentCache();
  const kernelPool = new KernelPool(module);
  let outbox: ThreadReply[] = [];
  let postedAt = performance.now();
  const flush = () => {
    if (outbox.length) parentPort!.postMessage(outbox satisfies ThreadMessage);
    outbox = [];
    postedAt = performance.now();
  };
  /** Reports and rungs go at once (with any ends before them, in order); ends may wait for company. */
  const post = (m: ThreadReply) => {
    outbox.push(m);
    if (m.type === "reports" || m.type === "rung" || m.type === "state") flush();
  };
  parentPort!.on("message", (m: ThreadRequest) => {
    if (m.type === "blob") {
      blobs.set(m.sha, m.bytes);
      return;
    }
    void runChunk(m.leases, m.restores);
  });

  const postState = (lease: UnsignedLease, kind: StateKind, step: number, raw: Uint8Array) => {
    const sha256 = createHash("sha256").update(raw).digest("hex");
    post({ type: "state", trialId: lease.trialId, attempt: lease.attempt, kind, step, sha256, deflated: deflateState(raw), rawBytes: raw.byteLength });
  };

  async function runChunk(leases: UnsignedLease[], restores: Record<string, Uint8Array> | undefined): Promise<void> {
    const started = performance.now();
    /** The chunk's time per trial over the first `ran` trials. */
    const timing = (ran: number): ThreadReply => ({ type: "chunk", sweepId: leases[0]!.sweepId, trialMs: (performance.now() - started) / ran });
    for (const [i, lease] of leases.entries()) {
      if (chunkRunsLong(i, performance.now() - started, chunkReturnMs)) {
        // Timed too: otherwise a sweep whose trials grew slower kept its old time, and every chunk ran long and came back.
        post(timing(i));
        post({ type: "returned", from: i });
        flush();
        return;
      }
      // What the agent blames if this thread dies now: this trial, not one whose end waits in the outbox.
      Atomics.store(position, 0, i);
      if (Atomics.load(stops, i) !== 0) post({ type: "skipped", trialId: lease.trialId, attempt: lease.attempt });
      else await run(lease, i, restores?.[trialKey(lease)]);
      if (i === leases.length - 1) {
        post(timing(leases.length));
        flush();
      } else if (performance.now() - postedAt >= RESULT_POST_MS) flush();
    }
  }

  async function run(lease: UnsignedLease, index: number, restoreBytes: Uint8Array | undefined): Promise<void> {
    const { trialId, attempt } = lease;
    const stopped = () => Atomics.load(stops, index) !== 0;
    let unposted: Array<{ step: number; values: Record<string, number> }> = [];
    let reportedAt = performance.now();
    const postReports = () => {
      if (unposted.length) post({ type: "reports", trialId, attempt, items: unposted });
      unposted = [];
      reportedAt = performance.now();
    };
    let entry: ExperimentEntry | undefined;
    // Until the trial's code runs, what fails is this machine's (a blob that did not arrive): it may run elsewhere.
    let failure: FailureKind = "infrastructure";
    const started = performance.now();
    try {
      let wasm: WebAssembly.Module | null = null;
      const missing = [lease.experiment.sha, ...Object.values(lease.datasets)].find((sha) => sha && !blobs.has(sha));
      if (missing) throw new Error(`blob ${missing} was not sent to the thread`);
      failure = "experiment";
      if (lease.experiment.sha) {
        ({ entry, wasm } = await experiments.get(lease.experiment.sha, () => blobs.get(lease.experiment.sha!)));
      } else {
        entry = builtinExperiment(lease.experiment.name);
      }
      const datasets = new Map<string, Uint8Array>();
      for (const [key, sha] of Object.entries(lease.datasets)) {
        const bytes = blobs.get(sha);
        if (!bytes) throw new Error(`dataset ${key} (${sha}) was not sent to the thread`);
        datasets.set(key, bytes);
      }
      // Checked against the signed lease's SHA-256 by the agent: a checkpoint this code wrote.
      const restore = restoreBytes && decodeCheckpoint(restoreBytes);
      Atomics.store(checkpoints, CHECKPOINT_USED, 0);
      const rule = lease.earlyStopping;
      const lastStep = maxReportsOf(lease.experiment, lease.config);
      // A resumed attempt's stream starts with the reports its checkpoint carries (live curves, and
      // the stopping rule's view of this attempt: its first rung request carries them too).
      let sinceDecision: Array<Record<string, number>> = rule && restore ? restore.reports.slice() : [];
      if (restore) unposted.push(...restore.reports.map((values, i) => ({ step: i + 1, values })));
      const outcome = await runTrial(
        { trialId, params: lease.params, seed: lease.seed, config: lease.config, handedOver: true },
        {
          entry, kernelsModule: module, kernelPool, experimentWasm: wasm, blobs: datasets,
          onReport: (step, values) => {
            unposted.push({ step, values });
            if (performance.now() - reportedAt >= reportEveryMs) postReports();
            if (rule) sinceDecision.push(values);
          },
          shouldStop: stopped,
          restore, stopStep: lease.stopStep, checkpointEvery: lease.checkpointEvery, maxStateBytes, checkpointIntervalMs, keepState: lease.keepState === true || keepIfBetter(lease),
          checkpointAsked: () => {
            Atomics.store(checkpoints, CHECKPOINT_USED, 1);
            return Atomics.load(checkpoints, CHECKPOINT_ASKED) !== 0;
          },
          onCheckpoint: (bytes, step) => {
            Atomics.store(checkpoints, CHECKPOINT_USED, 1);
            // Asked once: the agent waits for this one, then hands the trial back.
            Atomics.store(checkpoints, CHECKPOINT_ASKED, 0);
            postReports();
            postState(lease, "checkpoint", step, bytes);
          },
          decide: rule && ((step) => {
            if (!isDecisionStep(rule, step, lastStep)) return "continue";
            Atomics.store(decision, 0, RUNG_WAITING);
            post({ type: "rung", trialId, attempt, step, reports: sinceDecision });
            sinceDecision = [];
            // The experiment's code is synchronous here: block this thread (only) until the agent answers.
            while (Atomics.load(decision, 0) === RUNG_WAITING && !stopped()) Atomics.wait(decision, 0, RUNG_WAITING, 1000);
            const answer = Atomics.load(decision, 0);
            return answer === RUNG_CONTINUE ? "continue" : answer === RUNG_PRUNE ? "prune" : "release";
          }),
        },
      );
      const { earlyStop, state, ...data } = outcome;
      // The final state goes up before the result (the lease asked for it: the sweep keeps the
      // best). It is there only when keepState said so.
      if (state && !stopped() && !earlyStop) postState(lease, "final", data.reports.length, state);
      // A stopped trial's result has no outcome: what it reported goes to the metrics stream.
      const wasStopped = stopped();
      if (wasStopped) postReports();
      // Measured only where the agent sends it (a stopped trial's goes nowhere).
      const bytes = wasStopped || earlyStop?.kind === "release" ? 0 : outcomeBytes(data);
      post({ type: "done", trialId, attempt, outcome: data, outcomeBytes: bytes, stopped: wasStopped, earlyStop: earlyStop?.kind });
    } catch (err) {
      // A failed result has no outcome: what it reported goes to the metrics stream.
      postReports();
      if (err instanceof TrialDiverged) {
        const last = err.reports[err.reports.length - 1] ?? {};
        const outcome = { resultSha256: stateSha256(undefined, last), metrics: {}, reports: err.reports, info: {}, runMs: performance.now() - started };
        post({ type: "failed", trialId, attempt, error: err.message, failure: "diverged", outcome, outcomeBytes: outcomeBytes(outcome) });
      } else {
        post({ type: "failed", trialId, attempt, error: trialErrorText(err, entry?.mapStack), failure });
      }
    }
  }
}
