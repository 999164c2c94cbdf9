// Everything that happens to a sweep config before the controller stores it: the experiment
// is found (built-in by name, or a folder built into a blob and loaded), the config is checked
// against it, and every data file it names is packed into a blob. Any problem stops here, with
// exit 2 and one line each: nothing is stored for a refused sweep.
import { dirname, resolve } from "node:path";
import { createHash } from "node:crypto";
import { ConfigError, formatIssues } from "../../../kernels/config-errors.ts";
import { readConfigFile } from "../../config-file.ts";
import { buildExperiment } from "../../experiments/build-experiment.ts";
import { loadExperimentBlob } from "../../experiments/load-experiment.ts";
import { builtinExperiment, DEFAULT_EXPERIMENT } from "../../experiments/registry.ts";
import { findDatasetSpecs, isFileSpec } from "../../experiments/dataset-specs.ts";
import { FileDatasetSpec, datasetBlobKey } from "../../datasets/file-spec.ts";
import { DatasetFileError } from "../../datasets/dataset-file-error.ts";
import { isPlainObject } from "../../experiments/plain-data.ts";
import type { ExperimentEntry } from "../../experiments/experiment-entry.ts";
import { parseSweepConfig, type SweepConfig, type SweepExperiment, type TrainConfig } from "./sweep-config.ts";
import { expandSweep } from "./expand-sweep.ts";

export interface SweepBlob {
  sha: string;
  bytes: Uint8Array;
  kind: "experiment" | "dataset";
  name: string;
}

export interface PreparedSweep<C extends TrainConfig = SweepConfig> {
  config: C;
  entry: ExperimentEntry;
  /** The experiment's blob and the packed data files, for the blob store. */
  blobs: SweepBlob[];
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A sweep from its file: paths inside it are relative to the file's folder. */
export async function prepareSweepFile(path: string): Promise<PreparedSweep> {
  return prepareSweep(readConfigFile(path), dirname(resolve(path)));
}

/** Whether an experiment value names a folder rather than a registered experiment. */
export const isExperimentPath = (v: string) => v.startsWith(".") || v.startsWith("/") || v.includes("/");

/** With requireMetric false (discalc train: one trial ranks nothing), a config may name no metric. */
export async function prepareSweep(input: unknown, baseDir: string, options?: { requireMetric?: true }): Promise<PreparedSweep>;
export async function prepareSweep(input: unknown, baseDir: string, options: { requireMetric: false }): Promise<PreparedSweep<TrainConfig>>;
export async function prepareSweep(input: unknown, baseDir: string, { requireMetric = true } = {}): Promise<PreparedSweep<TrainConfig>> {
  const blobs: SweepBlob[] = [];
  const experiment = await findExperiment(input, baseDir, blobs);
  const config = requireMetric ? parseSweepConfig(input, experiment) : parseSweepConfig(input, experiment, { requireMetric: false });
  const problems: string[] = [];
  const packed = new Map<string, string>();
  for (const { field, spec } of datasetSpecsOf(config, experiment.entry)) {
    if (!isFileSpec(spec)) continue;
    const parsed = FileDatasetSpec.safeParse(spec);
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error.issues, field.split(".")));
      continue;
    }
    const key = datasetBlobKey(parsed.data);
    if (packed.has(key)) continue;
    // Loaded only for a sweep that names data files: loading the readers (csv-parse, npy, idx)
    // would lengthen every `discalc run`'s start-up, data files or not.
    const { packFileDataset } = await import("../../datasets/pack-file-dataset.ts");
    try {
      const { bytes } = packFileDataset(parsed.data, baseDir, { field: `${field}.` });
      const sha = sha256(bytes);
      packed.set(key, sha);
      blobs.push({ sha, bytes, kind: "dataset", name: parsed.data.file });
    } catch (err) {
      if (!(err instanceof DatasetFileError)) throw err;
      packed.set(key, "");
      problems.push(err.message);
    }
  }
  if (problems.length) throw new ConfigError(problems, "sweep config");
  config.build.datasets = Object.fromEntries([...packed].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { config, entry: experiment.entry, blobs };
}

async function findExperiment(input: unknown, baseDir: string, blobs: SweepBlob[]): Promise<SweepExperiment> {
  const named = isPlainObject(input) ? input.experiment : undefined;
  if (named === undefined) return { entry: builtinExperiment(DEFAULT_EXPERIMENT), ref: { name: DEFAULT_EXPERIMENT, sha: null } };
  if (typeof named !== "string" || named === "") throw new ConfigError(["experiment: must be a built-in name or a folder path such as ./my-experiment"], "sweep config");
  if (!isExperimentPath(named)) {
    try {
      return { entry: builtinExperiment(named), ref: { name: named, sha: null } };
    } catch (err) {
      throw new ConfigError([`experiment: ${(err as Error).message}`], "sweep config");
    }
  }
  const built = await buildExperiment(resolve(baseDir, named), `experiment ${named}`);
  const sha = sha256(built.bytes);
  blobs.push({ sha, bytes: built.bytes, kind: "experiment", name: built.name });
  let loaded;
  try {
    loaded = await loadExperimentBlob(built.bytes);
  } catch (err) {
    throw new ConfigError([`experiment ${named}: ${(err as Error).message}`], "sweep config");
  }
  return { entry: loaded.entry, ref: { name: built.name, sha } };
}

/** Dataset specs of the sweep's trials: the base's, or every trial's when a dataset field is swept. */
function datasetSpecsOf(config: TrainConfig, entry: ExperimentEntry) {
  const swept = Object.keys(config.search?.parameters ?? {});
  const trials = swept.some((p) => p === "dataset" || p === "datasets" || p.startsWith("dataset.") || p.startsWith("datasets."))
    ? expandSweep(config, entry).filter((t) => t.repeat === 0).map((t) => t.config)
    : [config];
  return trials.flatMap((c) => findDatasetSpecs(c));
}
