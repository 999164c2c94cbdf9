// Re-runs a sweep's trials alone in this process (as `discalc train` does), through the same
// runTrial worker threads use: the reference every fleet result must equal.
import { prepareSweep } from "../controller/prepare-sweep.ts";
import { expandSweep, type ExpandedTrial } from "../controller/expand-sweep.ts";
import { runTrial, type TrialOutcomeData } from "../experiments/run-trial.ts";
import { loadExperimentBlob } from "../experiments/load-experiment.ts";
import { findDatasetSpecs, datasetKey } from "../experiments/dataset-specs.ts";
import { compileKernels } from "../../kernels/load.ts";
import { readLocalDatasetBlob } from "../../kernels/datasets/local-blobs.ts";

export interface Reproducer {
  trials: ExpandedTrial[];
  run(index: number): Promise<TrialOutcomeData>;
}

export async function reproducer(sweepInput: unknown, baseDir: string): Promise<Reproducer> {
  const prepared = await prepareSweep(sweepInput, baseDir);
  const trials = expandSweep(prepared.config, prepared.entry);
  const packed = new Map(prepared.blobs.map((b) => [b.sha, b.bytes]));
  const exp = prepared.config.build.experiment;
  const wasm = exp.sha ? (await loadExperimentBlob(packed.get(exp.sha)!)).wasm : null;
  const kernelsModule = await compileKernels();
  return {
    trials,
    async run(index) {
      const t = trials[index]!;
      const blobs = new Map<string, Uint8Array>();
      for (const { spec } of findDatasetSpecs(t.config)) {
        const key = datasetKey(spec);
        if (key === null) continue;
        const sha = prepared.config.build.datasets[key];
        blobs.set(key, sha ? packed.get(sha)! : readLocalDatasetBlob(key as "mnist"));
      }
      return runTrial({ trialId: index + 1, params: t.params, seed: t.seed, config: t.config },
        { entry: prepared.entry, kernelsModule, experimentWasm: wasm, blobs });
    },
  };
}
