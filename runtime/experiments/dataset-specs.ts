// Where datasets appear in a trial config (`dataset`, or `datasets.<name>` for experiments
// that use several), and the key by which a lease names each one's blob. The controller packs
// every file found here before the sweep starts; a worker fetches the blobs the lease names.
import { FileDatasetSpec, datasetBlobKey } from "../datasets/file-spec.ts";
import { isBlobDataset } from "../../kernels/datasets/local-blobs.ts";
import type { DatasetName } from "../../kernels/mlp-config.ts";
import { isPlainObject } from "./plain-data.ts";

export interface FoundDataset {
  /** The config field, e.g. "dataset" or "datasets.train". */
  field: string;
  spec: Record<string, unknown>;
}

export function findDatasetSpecs(config: Record<string, unknown>): FoundDataset[] {
  const found: FoundDataset[] = [];
  const consider = (field: string, v: unknown) => {
    if (isPlainObject(v) && (typeof v.file === "string" || typeof v.name === "string")) found.push({ field, spec: v });
  };
  consider("dataset", config.dataset);
  if (isPlainObject(config.datasets)) for (const [k, v] of Object.entries(config.datasets)) consider(`datasets.${k}`, v);
  return found;
}

export const isFileSpec = (spec: unknown): spec is Record<string, unknown> & { file: string } => isPlainObject(spec) && typeof spec.file === "string";

/**
 * The blob key of a dataset spec: the packing key of a file, the name of a built-in that ships
 * as a blob (mnist), or null for generated ones (spirals, moons, xor) and specs that are not datasets.
 */
export function datasetKey(spec: unknown): string | null {
  if (isFileSpec(spec)) {
    const parsed = FileDatasetSpec.safeParse(spec);
    return parsed.success ? datasetBlobKey(parsed.data) : null;
  }
  if (isPlainObject(spec) && typeof spec.name === "string" && isBlobDataset(spec.name as DatasetName)) return spec.name;
  return null;
}
