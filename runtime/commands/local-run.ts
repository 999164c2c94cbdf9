// A prepared sweep's trials run on this machine, through the same runTrial a worker thread
// uses, with the blobs a lease would name: what `discalc train` runs, and the reference every
// fleet result is checked against in the tests.
import type { PreparedSweep } from "../controller/sweeps/prepare-sweep.ts";
import type { TrainConfig } from "../controller/sweeps/sweep-config.ts";
import { expandSweep, type ExpandedTrial } from "../controller/sweeps/expand-sweep.ts";
import { runTrial, type TrialOutcomeData, type TrialRuntime } from "../experiments/run-trial.ts";
import { loadExperimentBlob } from "../experiments/load-experiment.ts";
import { trialDatasetBlobs } from "../experiments/trial-blobs.ts";
import { compileKernels } from "../../kernels/load.ts";

export interface LocalRun {
  trials: ExpandedTrial[];
  /** Hooks as a worker thread passes them (reports, stop, checkpoints, a state to resume from). */
  run(index: number, hooks?: Pick<TrialRuntime, "onReport" | "shouldStop" | "keepState" | "checkpointEvery" | "onCheckpoint" | "restore">): Promise<TrialOutcomeData>;
}

export async function localRun(prepared: PreparedSweep<TrainConfig>): Promise<LocalRun> {
  const trials = expandSweep(prepared.config, prepared.entry);
  const packed = new Map(prepared.blobs.map((b) => [b.sha, b.bytes]));
  const exp = prepared.config.build.experiment;
  const experimentWasm = exp.sha ? (await loadExperimentBlob(packed.get(exp.sha)!)).wasm : null;
  const kernelsModule = await compileKernels();
  return {
    trials,
    async run(index, hooks = {}) {
      const t = trials[index]!;
      const blobs = await trialDatasetBlobs(t.config, prepared.config.build.datasets, (sha) => packed.get(sha)!);
      return runTrial({ trialId: index + 1, params: t.params, seed: t.seed, config: t.config },
        { entry: prepared.entry, kernelsModule, experimentWasm, blobs, ...hooks });
    },
  };
}
