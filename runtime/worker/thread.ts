// A worker thread: one instance of the kernels per trial, from the WebAssembly.Module the
// agent compiled once. Streams each epoch's metrics, then the outcome or the error.
import { parentPort, workerData } from "node:worker_threads";
import { instantiateKernels } from "../../kernels/load.ts";
import { trainMlp } from "../../kernels/mlp.ts";
import type { TrialLease } from "../../protocol/messages.ts";
import type { EpochMetrics, TrainResult } from "../../kernels/mlp.ts";

export interface ThreadData {
  module: WebAssembly.Module;
  /** Int32Array(1): non-zero asks the running trial to stop after its current step. */
  stopFlag: SharedArrayBuffer;
}

export type ThreadRequest =
  | { type: "dataset"; sha: string; name: string; bytes: Uint8Array }
  | { type: "run"; lease: TrialLease };

export type ThreadReply =
  | { type: "epoch"; trialId: number; attempt: number; metrics: EpochMetrics }
  | { type: "done"; trialId: number; attempt: number; outcome: TrainResult; stopped: boolean }
  | { type: "failed"; trialId: number; attempt: number; error: string };

export function runThread(): void {
  const { module, stopFlag } = workerData as ThreadData;
  const stop = new Int32Array(stopFlag);
  const datasets = new Map<string, Uint8Array>();
  const post = (m: ThreadReply) => parentPort!.postMessage(m);
  parentPort!.on("message", (m: ThreadRequest) => {
    if (m.type === "dataset") {
      datasets.set(m.sha, m.bytes);
      return;
    }
    const { trialId, attempt, config } = m.lease;
    try {
      const blobs: Record<string, Uint8Array> = {};
      for (const [name, sha] of Object.entries(m.lease.datasets)) {
        const bytes = datasets.get(sha);
        if (!bytes) throw new Error(`dataset ${name} (${sha}) was not sent to the thread`);
        blobs[name] = bytes;
      }
      const outcome = trainMlp(instantiateKernels(module), config, {
        blobs,
        onEpoch: (metrics) => post({ type: "epoch", trialId, attempt, metrics }),
        shouldStop: () => Atomics.load(stop, 0) !== 0,
      });
      post({ type: "done", trialId, attempt, outcome, stopped: Atomics.load(stop, 0) !== 0 });
    } catch (err) {
      post({ type: "failed", trialId, attempt, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
