// The one trial-thread entry: production threads (loaded from the node bundle) and tests
// (from source) both run this. Each trial gets a fresh instance of the core's kernels, from
// the WebAssembly.Module the agent compiled once, and runs the experiment its lease names.
import { parentPort, workerData } from "node:worker_threads";
import type { TrialLease, TrialOutcome } from "../../protocol/messages.ts";
import { builtinExperiment } from "../experiments/registry.ts";
import { ExperimentCache } from "../experiments/load-experiment.ts";
import { runTrial } from "../experiments/run-trial.ts";
import type { ExperimentEntry } from "../experiments/experiment-entry.ts";

export interface ThreadData {
  module: WebAssembly.Module;
  /** Int32Array(1): non-zero asks the running trial to stop (ctx.shouldStop() turns true). */
  stopFlag: SharedArrayBuffer;
}

export type ThreadRequest =
  | { type: "blob"; sha: string; bytes: Uint8Array }
  | { type: "run"; lease: TrialLease };

export type ThreadReply =
  | { type: "report"; trialId: number; attempt: number; step: number; values: Record<string, number> }
  | { type: "done"; trialId: number; attempt: number; outcome: TrialOutcome; stopped: boolean }
  | { type: "failed"; trialId: number; attempt: number; error: string };

export function runThread(): void {
  const { module, stopFlag } = workerData as ThreadData;
  const stop = new Int32Array(stopFlag);
  const blobs = new Map<string, Uint8Array>();
  const experiments = new ExperimentCache();
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
      const outcome = await runTrial(
        { trialId, params: lease.params, seed: lease.seed, config: lease.config },
        {
          entry, kernelsModule: module, experimentWasm: wasm, blobs: datasets,
          onReport: (step, values) => post({ type: "report", trialId, attempt, step, values }),
          shouldStop: () => Atomics.load(stop, 0) !== 0,
        },
      );
      post({ type: "done", trialId, attempt, outcome, stopped: Atomics.load(stop, 0) !== 0 });
    } catch (err) {
      post({ type: "failed", trialId, attempt, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
