// The built-in experiment: the SIMD MLP trainer on a built-in dataset or the researcher's file.
// Reports per epoch: epoch, trainLoss, testLoss, testAccuracy (classification) or testRmse
// (regression), lr, wallMs; its state is the weights, so resultSha256 is the weight hash.
import { formatIssues } from "../../../kernels/config-errors.ts";
import { trainMlp, type EpochMetrics } from "../../../kernels/mlp.ts";
import type { ExperimentEntry, Resolved } from "../experiment-entry.ts";
import { NetworkConfigSchema, networkKnowsPath, type NetworkConfig } from "./network-config.ts";

export const networkExperiment: ExperimentEntry = {
  name: "network",
  seedPath: "train.seed",
  resolve(input: unknown): Resolved {
    const parsed = NetworkConfigSchema.safeParse(input);
    if (parsed.success) return { ok: true, config: parsed.data as unknown as Record<string, unknown> };
    const lines = formatIssues(parsed.error.issues);
    return { ok: false, issues: parsed.error.issues.map((issue, i) => ({ path: issue.path.map(String).join("."), line: lines[i]! })) };
  },
  knowsPath: networkKnowsPath,
  defaultMetric(config) {
    const dataset = (config as unknown as NetworkConfig).dataset;
    return "file" in dataset && dataset.task === "regression" ? { name: "testLoss", goal: "minimize" } : { name: "testAccuracy", goal: "maximize" };
  },
  run(raw, ctx) {
    const config = raw as unknown as NetworkConfig;
    const fileData = "file" in config.dataset ? ctx.dataset(config.dataset) : undefined;
    const blobs: Record<string, Uint8Array> = {};
    if (!("file" in config.dataset)) {
      const bytes = ctx.datasetBlob(config.dataset.name);
      if (bytes) blobs[config.dataset.name] = bytes;
    }
    const result = trainMlp(ctx.kernels.instance, { dataset: "file" in config.dataset ? undefined : config.dataset, model: config.model, train: config.train }, {
      blobs, data: fileData,
      onEpoch: (m) => ctx.report(finiteOnly(m)),
      shouldStop: ctx.shouldStop,
    });
    return {
      metrics: result.final ? finiteOnly(result.final) : {},
      state: result.weights,
      info: {
        paramCount: result.paramCount, trainMs: result.trainMs, samplesPerSec: result.samplesPerSec,
        gemmGflops: result.gemmGflops, diverged: result.diverged ? 1 : 0,
      },
    };
  },
};

/** A diverged epoch's NaN loss is left out of the report (reports carry finite numbers only). */
function finiteOnly(m: EpochMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === "number" && Number.isFinite(v)));
}
