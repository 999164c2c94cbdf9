// `npm run datasets:build`: packs the built-in dataset blobs into build/datasets (or
// DISCALC_DATASETS_DIR), the bytes that local-blobs.ts would otherwise pack when first needed.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createHash } from "node:crypto";
import { datasetBlobPath } from "./local-blobs.ts";
import { packMnist } from "./mnist-pack.ts";

const blob = packMnist();
const path = datasetBlobPath("mnist");
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, blob);
const sha = createHash("sha256").update(blob).digest("hex");
console.log(`packed mnist: ${blob.byteLength} bytes → ${path} (sha256 ${sha})`);
