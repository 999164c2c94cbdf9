// The one trial-thread entry: production threads (loaded from the node bundle) and tests
// (from source) both run this. Each trial gets an instance of the core's kernels in its
// just-instantiated state (one reset after the thread's previous trial: instance-pool.ts),
// from the WebAssembly.Module the agent compiled once, and runs the experiment its lease names.
import { parentPort, workerData } from "node:worker_threads";
import type { TrialLease, TrialOutcome } from "../../protocol/messages.ts";
import { builtinExperiment } from "../experiments/registry.ts";
import { ExperimentCache } from "../experiments/load-experiment.ts";
import { runTrial, type EarlyStopKind } from "../experiments/run-trial.ts";
import { KernelPool } from "../../kernels/instance-pool.ts";
import type { ExperimentEntry } from "../experiments/experiment-entry.ts";
import { isDecisionStep } from "../../protocol/early-stopping.ts";
import { maxReportsOf } from "../experiments/report-bounds.ts";

export interface ThreadData {
  module: WebAssembly.Module;
  /** Int32Array(1): non-zero asks the running trial to stop (ctx.shouldStop() turns true). */
  stopFlag: SharedArrayBuffer;
  /** Int32Array(1): the agent's answer to a trial waiting at a rung (RUNG_* below). */
  decisionFlag: SharedArrayBuffer;
}

/** The values of the decision flag: unanswered, then the answer. */
export const RUNG_WAITING = 0, RUNG_CONTINUE = 1, RUNG_PRUNE = 2, RUNG_RELEASE = 3;

export type ThreadRequest =
  | { type: "blob"; sha: string; bytes: Uint8Array }
  | { type: "run"; lease: TrialLease };

export type ThreadReply =
  | { type: "report"; trialId: number; attempt: number; step: number; values: Record<string, number> }
  /** Waiting at a rung: the reports since the last decision, ending with this step's. */
  | { type: "rung"; trialId: number; attempt: number; step: number; reports: Array<Record<string, number>> }
  | { type: "done"; trialId: number; attempt: number; outcome: TrialOutcome; stopped: boolean; earlyStop?: EarlyStopKind }
  | { type: "failed"; trialId: number; attempt: number; error: string };

export function runThread(): void {
  const { module, stopFlag, decisionFlag } = workerData as ThreadData;
  const stop = new Int32Array(stopFlag);
  const decision = new Int32Array(decisionFlag);
  const blobs = new Map<string, Uint8Array>();
  const experiments = new ExperimentCache();
  const kernelPool = new KernelPool(module);
  const post = (m: ThreadReply) => parentPort!.postMessage(m);
  parentPort!.on("message", (m: ThreadRequest) => {
    if (m.type === "blob") {
      blobs.set(m.sha, m.bytes);
      return;
    }
    void run(m.lease);
  });

  async function run(lease: TrialLease): Promise<void> {
    const { trialId, attempt } = lease;
    try {
      let entry: ExperimentEntry;
      let wasm: WebAssembly.Module | null = null;
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
      const rule = lease.earlyStopping;
      const lastStep = maxReportsOf(lease.experiment, lease.config);
      let sinceDecision: Array<Record<string, number>> = [];
      const outcome = await runTrial(
        { trialId, params: lease.params, seed: lease.seed, config: lease.config },
        {
          entry, kernelsModule: module, kernelPool, experimentWasm: wasm, blobs: datasets,
          onReport: (step, values) => {
            post({ type: "report", trialId, attempt, step, values });
            if (rule) sinceDecision.push(values);
          },
          shouldStop: () => Atomics.load(stop, 0) !== 0,
          decide: rule && ((step) => {
            if (!isDecisionStep(rule, step, lastStep)) return "continue";
            Atomics.store(decision, 0, RUNG_WAITING);
            post({ type: "rung", trialId, attempt, step, reports: sinceDecision });
            sinceDecision = [];
            // The experiment's code is synchronous here: block this thread (only) until the agent answers.
            while (Atomics.load(decision, 0) === RUNG_WAITING && Atomics.load(stop, 0) === 0) Atomics.wait(decision, 0, RUNG_WAITING, 1000);
            const answer = Atomics.load(decision, 0);
            return answer === RUNG_CONTINUE ? "continue" : answer === RUNG_PRUNE ? "prune" : "release";
          }),
        },
      );
      const { earlyStop, ...data } = outcome;
      post({ type: "done", trialId, attempt, outcome: data, stopped: Atomics.load(stop, 0) !== 0, earlyStop: earlyStop?.kind });
    } catch (err) {
      post({ type: "failed", trialId, attempt, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
