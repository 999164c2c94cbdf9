// Dataset blobs on this machine (built by `npm run datasets:build`). Workers get the same
// bytes from their relay instead; the trainer only ever sees bytes.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DatasetName } from "../mlp-config.ts";

/** Datasets that ship as blobs; the others are generated from a seed inside the module. */
export const BLOB_DATASETS = ["mnist"] as const;
export type BlobDatasetName = (typeof BLOB_DATASETS)[number];

export function isBlobDataset(name: DatasetName): name is BlobDatasetName {
  return (BLOB_DATASETS as readonly string[]).includes(name);
}

export function datasetBlobPath(name: BlobDatasetName): string {
  return fileURLToPath(new URL(`../../build/datasets/${name}.bin`, import.meta.url));
}

export function readLocalDatasetBlob(name: BlobDatasetName): Uint8Array {
  const path = datasetBlobPath(name);
  if (!existsSync(path)) throw new Error(`dataset ${name} not built: ${path} is missing; run \`npm run datasets:build\``);
  return readFileSync(path);
}
