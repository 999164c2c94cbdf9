// The built-in experiment: the SIMD MLP trainer on a built-in dataset or the researcher's file.
// Reports per epoch: epoch, trainLoss, valLoss and valAccuracy (classification) or valRmse
// (regression), lr, wallMs, and with the last epoch testLoss and testAccuracy or testRmse (every
// epoch when `dataset.validation` is 0). Ranks by validation, never by the test set, unless
// the sweep names a test metric. Its state is the weights, so resultSha256 is the weight hash.
import { ENGINE_VERSION } from "../../../kernels/engine-version.ts";
import { trainNetwork, modelLayers, type EpochMetrics } from "../../../kernels/network.ts";
import { planLayers, ModelShapeError } from "../../../kernels/layers/plan.ts";
import type { ExperimentEntry, Resolved } from "../experiment-entry.ts";
import { SWEEP_KEYS } from "../config-keys.ts";
import { validationCount } from "../../../kernels/datasets/validation-split.ts";
import { schemaIssues } from "../schema-issues.ts";
import { NetworkConfigSchema, builtinShape, networkKnowsPath, networkNearestPath, type NetworkConfig } from "./network-config.ts";

export const networkExperiment: ExperimentEntry = {
  name: "network",
  seedPath: "train.seed",
  timingMetrics: ["wallMs"],
  engineVersion: ENGINE_VERSION,
  resolve(input: unknown): Resolved {
    const parsed = NetworkConfigSchema.safeParse(input);
    if (parsed.success) {
      const shapeProblems = checkShapes(parsed.data);
      if (shapeProblems.length) return { ok: false, issues: shapeProblems.map((line) => ({ path: line.split(" ")[0]!.replace(/:$/, ""), line })) };
      return { ok: true, config: parsed.data as unknown as Record<string, unknown> };
    }
    return { ok: false, issues: schemaIssues(NetworkConfigSchema, parsed.error.issues, SWEEP_KEYS) };
  },
  knowsPath: networkKnowsPath,
  nearestPath: networkNearestPath,
  defaultMetric(config) {
    const dataset = (config as unknown as NetworkConfig).dataset;
    // Without a validation split the test set is all there is to rank by: the sweep said so
    // (or its one train row left nothing to hold out).
    const held = "file" in dataset ? dataset.validation > 0 || dataset.validationFile !== undefined : validationCount(dataset.train, dataset.validation) > 0;
    const split = held ? "val" : "test";
    return "file" in dataset && dataset.task === "regression" ? { name: `${split}Loss`, goal: "minimize" } : { name: `${split}Accuracy`, goal: "maximize" };
  },
  run(raw, ctx) {
    const config = raw as unknown as NetworkConfig;
    const fileData = "file" in config.dataset ? ctx.dataset(config.dataset) : undefined;
    const blobs: Record<string, Uint8Array> = {};
    if (!("file" in config.dataset)) {
      const bytes = ctx.datasetBlob(config.dataset.name);
      if (bytes) blobs[config.dataset.name] = bytes;
    }
    const result = trainNetwork(ctx.kernels.instance, { dataset: "file" in config.dataset ? undefined : config.dataset, model: config.model, train: config.train }, {
      blobs, data: fileData,
      // A NaN loss goes in the report as it is: the trial ends there as diverged (run-trial.ts).
      onEpoch: (m) => ctx.report(numbersOf(m)),
      shouldStop: ctx.shouldStop,
      // Exact resume: the trainer's own checkpoint (weights, moments, sample order, random
      // streams, reports) at the epochs completed, when the runtime says one is due (every
      // `checkpoint.every` epochs, ~30 s of compute, or now for a SIGTERM hand-back).
      resumeFrom: ctx.restore()?.state,
      checkpointDue: (at) => ctx.checkpointDue(at.epoch),
      onCheckpoint: (at, bytes) => ctx.checkpoint(at.epoch, bytes),
    });
    return {
      metrics: result.final ? numbersOf(result.final) : {},
      state: result.weights,
      info: {
        paramCount: result.paramCount, trainMs: result.trainMs, samplesPerSec: result.samplesPerSec,
        gemmGflops: result.gemmGflops,
      },
    };
  },
};

/** An epoch's numbers, NaN or not. */
function numbersOf(m: EpochMetrics): Record<string, number> {
  // A loop, not entries → filter → fromEntries: this runs per epoch, and tiny trials felt the arrays.
  const out: Record<string, number> = {};
  for (const key of Object.keys(m)) {
    const v = (m as unknown as Record<string, unknown>)[key];
    if (typeof v === "number") out[key] = v;
  }
  return out;
}

/** Layer shapes checked at the controller for built-in datasets, so a model that does not fit stops the sweep (exit 2). */
function checkShapes(config: NetworkConfig): string[] {
  const known = builtinShape(config.dataset);
  if (!known || !config.model.layers) return [];
  const input = config.model.input ?? known.shape;
  const size = input.reduce((a, b) => a * b, 1);
  if (size !== known.shape.reduce((a, b) => a * b, 1)) {
    return [`model.input: ${JSON.stringify(input)} holds ${size} values; ${(config.dataset as { name: string }).name} samples are ${JSON.stringify(known.shape)}`];
  }
  try {
    planLayers(input, modelLayers(config.model, known.classes), known.classes);
    return [];
  } catch (err) {
    if (err instanceof ModelShapeError) return err.problems;
    throw err;
  }
}
