// Worker-thread entry: instantiates the posted WebAssembly.Module, trains one trial and
// posts each epoch's metrics, then the result (or the error).
import { parentPort, workerData } from "node:worker_threads";
import { instantiateKernels } from "./load.ts";
import { trainMlp } from "./mlp.ts";
import { parseTrialConfig } from "../protocol/trial-config.ts";
import type { TrainThreadData, TrainThreadMessage } from "./train-in-thread.ts";

const { module, config, blobs, stopFlag } = workerData as TrainThreadData;
const post = (m: TrainThreadMessage) => parentPort!.postMessage(m);
try {
  const stop = stopFlag ? new Int32Array(stopFlag) : undefined;
  const result = trainMlp(instantiateKernels(module), parseTrialConfig(config), {
    blobs,
    onEpoch: (metrics) => post({ type: "epoch", metrics }),
    shouldStop: stop ? () => Atomics.load(stop, 0) !== 0 : undefined,
  });
  post({ type: "result", result });
} catch (err) {
  post({ type: "error", message: err instanceof Error ? err.message : String(err) });
}
