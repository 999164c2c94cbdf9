// Runs one trial in a fresh worker thread with a module compiled once in this process.
import { startWorker } from "./ts-worker.ts";
import type { TrialConfig } from "../protocol/trial-config.ts";
import type { DatasetBlobs } from "./datasets/resident-dataset.ts";
import type { EpochMetrics, TrainResult } from "./mlp.ts";

export interface TrainThreadData {
  module: WebAssembly.Module;
  config: TrialConfig;
  blobs: DatasetBlobs;
  /** Int32Array(1) over this buffer: set element 0 to stop the trial after its current step. */
  stopFlag?: SharedArrayBuffer;
}

export type TrainThreadMessage =
  | { type: "epoch"; metrics: EpochMetrics }
  | { type: "result"; result: TrainResult }
  | { type: "error"; message: string };

export function trainInThread(
  data: TrainThreadData,
  onEpoch?: (metrics: EpochMetrics) => void,
): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL("./train-thread.ts", import.meta.url), { workerData: data });
    let settled = false;
    worker.on("message", (m: TrainThreadMessage) => {
      if (m.type === "epoch") onEpoch?.(m.metrics);
      else if (m.type === "result") (settled = true), resolve(m.result);
      else (settled = true), reject(new Error(m.message));
    });
    worker.on("error", (err) => (settled = true, reject(err)));
    worker.on("exit", (code) => {
      if (!settled) reject(new Error(`training thread exited with code ${code} before reporting`));
    });
  });
}
