// Built-in dataset blobs are packed when first needed: `npm run kernels:build` alone is enough
// for a controller or `discalc train` on mnist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { packMnist } from "./mnist-pack.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("discalc train on mnist with no dataset built packs it, keeps it, and trains", () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-datasets-"));
  const datasets = join(dir, "datasets");
  const config = join(dir, "one.json");
  writeFileSync(config, JSON.stringify({
    name: "one", dataset: { name: "mnist", train: 200, test: 100 }, model: { hidden: [8] }, train: { epochs: 1, batch: 32, lr: 0.1 },
  }));
  const run = spawnSync(process.execPath, [CLI, "train", config], { env: { ...process.env, DISCALC_DATASETS_DIR: datasets }, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /result sha256 [0-9a-f]{64}/);
  assert.doesNotMatch(run.stderr, /not built/);
  const kept = join(datasets, "mnist.bin");
  assert.ok(existsSync(kept), "the packed blob is kept for next time");
  assert.equal(sha(readFileSync(kept)), sha(packMnist()), "the same bytes as npm run datasets:build");
});
