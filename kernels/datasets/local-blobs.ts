// Dataset blobs on this machine (built by `npm run datasets:build`, or here when first needed).
// Workers get the same bytes from their relay instead; the trainer only ever sees bytes.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DatasetName } from "../mlp-config.ts";
import { packMnist } from "./mnist-pack.ts";

/** Datasets that ship as blobs; the others are generated from a seed inside the module. */
export const BLOB_DATASETS = ["mnist"] as const;
export type BlobDatasetName = (typeof BLOB_DATASETS)[number];

export function isBlobDataset(name: DatasetName): name is BlobDatasetName {
  return (BLOB_DATASETS as readonly string[]).includes(name);
}

/** Where a built-in dataset's blob is kept: the package's build/datasets, or DISCALC_DATASETS_DIR (a read-only install). */
export function datasetBlobPath(name: BlobDatasetName): string {
  const dir = process.env.DISCALC_DATASETS_DIR;
  return dir ? join(dir, `${name}.bin`) : fileURLToPath(new URL(`../../build/datasets/${name}.bin`, import.meta.url));
}

/**
 * The blob's bytes: read from build/, or packed now (deterministic: the same bytes as
 * `npm run datasets:build`) and kept there when the folder is writable, so a controller or
 * `discalc train` needs no build step of its own beyond the kernels.
 */
export function readLocalDatasetBlob(name: BlobDatasetName): Uint8Array {
  const path = datasetBlobPath(name);
  if (existsSync(path)) return readFileSync(path);
  const blob = packMnist();
  try {
    mkdirSync(dirname(path), { recursive: true });
    // Written whole, then renamed: a process reading at the same time never sees half a blob.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, blob);
    renameSync(tmp, path);
  } catch {
    // A read-only install: the bytes serve this process, and are packed again next time.
  }
  return blob;
}
