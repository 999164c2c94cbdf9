// The dataset blobs a trial may ask for, by dataset key, as a lease names them: the sweep's
// packed files by their SHA-256, and the built-in blobs (mnist) from this machine. `discalc
// train` (a config here, or a stored trial) assembles them this way.
import { findDatasetSpecs, datasetKey } from "./dataset-specs.ts";
import { readLocalDatasetBlob } from "../../kernels/datasets/local-blobs.ts";

export async function trialDatasetBlobs(
  config: Record<string, unknown>, packed: Record<string, string>, bytesOf: (sha: string) => Uint8Array | Promise<Uint8Array>,
): Promise<Map<string, Uint8Array>> {
  const blobs = new Map<string, Uint8Array>();
  for (const { spec } of findDatasetSpecs(config)) {
    const key = datasetKey(spec);
    if (key === null || blobs.has(key)) continue;
    const sha = packed[key];
    blobs.set(key, sha ? await bytesOf(sha) : readLocalDatasetBlob(key as "mnist"));
  }
  return blobs;
}
