// The built-in trainer learns from the researcher's files: CSV, NPY, NPZ and gzipped IDX, all
// through the path a sweep takes (prepareSweep packs the file, runTrial splits and trains).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { tempDataDir, npy, idx } from "../../datasets/test-files.ts";
import { reproducer } from "../../e2e/reproduce.ts";
import { prepareSweep } from "../../controller/sweeps/prepare-sweep.ts";
import { decodePackedDataset } from "../../../kernels/datasets/packed-dataset.ts";
import { readLocalDatasetBlob } from "../../../kernels/datasets/local-blobs.ts";

const tmp = tempDataDir();
after(() => tmp.remove());

// The digits CSV of the example: 3,000 rows, 49 features, a `digit` column.
const CSV = fileURLToPath(new URL("../../../examples/digits-csv/digits.csv", import.meta.url));
const rows = readFileSync(CSV, "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
const x = Float32Array.from(rows.flatMap((r) => r.slice(0, 49)));
const y = BigInt64Array.from(rows.map((r) => BigInt(r[49]!)));

const sweep = (dataset: object, extra: object = {}) => ({
  name: "files", dataset, model: { hidden: [64] }, train: { epochs: 10, batch: 32, optimizer: "adam", lr: 0.003, seed: 1 }, ...extra,
});

async function trainOn(dataset: object) {
  const r = await reproducer(sweep(dataset), tmp.dir);
  return r.run(0);
}

test("CSV: the digits reach at least 80% test accuracy", { timeout: 60_000 }, async () => {
  const out = await trainOn({ file: CSV, label: "digit", normalize: "minmax" });
  assert.ok(out.metrics.testAccuracy! >= 0.8, `accuracy ${out.metrics.testAccuracy}`);
  assert.equal(out.reports.length, 10);
});

test("NPY (f32 features, i64 labels) and NPZ give the same trial as each other", { timeout: 60_000 }, async () => {
  tmp.write("x.npy", npy(x, [rows.length, 49]));
  tmp.write("y.npy", npy(y, [rows.length]));
  tmp.write("d.npz", zipSync({ "x.npy": npy(x, [rows.length, 49]), "y.npy": npy(y, [rows.length]) }));
  const fromNpy = await trainOn({ file: "./x.npy", labels: "./y.npy", normalize: "standard" });
  const fromNpz = await trainOn({ file: "./d.npz", normalize: "standard" });
  assert.ok(fromNpy.metrics.testAccuracy! >= 0.8, `accuracy ${fromNpy.metrics.testAccuracy}`);
  assert.equal(fromNpz.resultSha256, fromNpy.resultSha256, "same arrays, same split, same weights");
});

test("IDX (gzipped MNIST-format images and labels, with a separate test file) reaches 85%", { timeout: 60_000 }, async () => {
  const mnist = decodePackedDataset(readLocalDatasetBlob("mnist"));
  const write = (name: string, from: number, n: number) => {
    tmp.write(`${name}-images-idx3-ubyte.gz`, gzipSync(idx(0x08, [n, 28, 28], mnist.features8.subarray(from * 784, (from + n) * 784))));
    tmp.write(`${name}-labels-idx1-ubyte.gz`, gzipSync(idx(0x08, [n], mnist.labels.subarray(from, from + n))));
  };
  write("train", 0, 3000);
  write("t10k", 3000, 1000);
  const out = await trainOn({
    file: "./train-images-idx3-ubyte.gz", labels: "./train-labels-idx1-ubyte.gz",
    testFile: "./t10k-images-idx3-ubyte.gz", testLabels: "./t10k-labels-idx1-ubyte.gz",
  });
  assert.ok(out.metrics.testAccuracy! >= 0.85, `accuracy ${out.metrics.testAccuracy}`);
  assert.equal(out.info.paramCount, 784 * 64 + 64 + 64 * 10 + 10, "28×28×1 images flatten to 784 inputs");
});

test("a CNN trains from an IDX image file (its [n, 28, 28, 1] shape kept)", { timeout: 60_000 }, async () => {
  const out = await (await reproducer({
    name: "files", dataset: { file: "./train-images-idx3-ubyte.gz", labels: "./train-labels-idx1-ubyte.gz", testFile: "./t10k-images-idx3-ubyte.gz", testLabels: "./t10k-labels-idx1-ubyte.gz" },
    model: { layers: [
      { type: "conv2d", filters: 8, kernel: 5, padding: "same", activation: "relu" }, { type: "maxpool2d", size: 2 },
      { type: "flatten" }, { type: "dense", units: 10 },
    ] },
    train: { epochs: 3, batch: 32, optimizer: "adam", lr: 0.002, seed: 1 },
  }, tmp.dir)).run(0);
  assert.ok(out.metrics.testAccuracy! >= 0.85, `accuracy ${out.metrics.testAccuracy}`);
  assert.equal(out.info.paramCount, 5 * 5 * 1 * 8 + 8 + 14 * 14 * 8 * 10 + 10);
});

test("regression from a CSV: the validation RMSE falls, the default objective is valLoss (testLoss without a validation split), test RMSE comes at the end", { timeout: 60_000 }, async () => {
  const lines = ["a,b,target"];
  for (let i = 0; i < 600; i++) {
    const a = ((i * 37) % 101) / 50 - 1, b = ((i * 61) % 97) / 48 - 1;
    lines.push(`${a},${b},${(3 * a - 2 * b + 1).toFixed(6)}`);
  }
  tmp.write("reg.csv", `${lines.join("\n")}\n`);
  const input = sweep({ file: "./reg.csv", label: "target", task: "regression" }, { train: { epochs: 30, batch: 16, optimizer: "adam", lr: 0.01 } });
  assert.deepEqual((await prepareSweep(input, tmp.dir)).config.metric, { name: "valLoss", goal: "minimize" });
  const noValidation = sweep({ file: "./reg.csv", label: "target", task: "regression", validation: 0 }, { train: { epochs: 30, batch: 16, optimizer: "adam", lr: 0.01 } });
  assert.deepEqual((await prepareSweep(noValidation, tmp.dir)).config.metric, { name: "testLoss", goal: "minimize" });
  const r = await reproducer(input, tmp.dir);
  const out = await r.run(0);
  assert.ok(out.reports.at(-1)!.valRmse! < out.reports[0]!.valRmse! / 3, `RMSE ${out.reports[0]!.valRmse} → ${out.reports.at(-1)!.valRmse}`);
  assert.equal(out.reports[0]!.testRmse, undefined, "the test set is measured once, at the end");
  assert.ok(out.metrics.testRmse! < out.reports[0]!.valRmse! / 3);
  assert.equal(out.metrics.testAccuracy, undefined);
  assert.equal(out.metrics.valAccuracy, undefined);
});

test("a validation file is what the sweep ranks by: valAccuracy every epoch, measured on its rows", { timeout: 60_000 }, async () => {
  const lines = readFileSync(CSV, "utf8").trim().split("\n");
  tmp.write("v-train.csv", [lines[0], ...lines.slice(1, 2001)].join("\n"));
  tmp.write("v-val.csv", [lines[0], ...lines.slice(2001, 2501)].join("\n"));
  tmp.write("v-test.csv", [lines[0], ...lines.slice(2501)].join("\n"));
  const spec = { file: "./v-train.csv", label: "digit", normalize: "minmax", validationFile: "./v-val.csv", testFile: "./v-test.csv" };
  const prepared = await prepareSweep(sweep(spec), tmp.dir);
  assert.deepEqual(prepared.config.metric, { name: "valAccuracy", goal: "maximize" });
  const out = await (await reproducer(sweep(spec), tmp.dir)).run(0);
  assert.equal(out.reports.length, 10);
  assert.ok(out.reports.every((m) => m.valAccuracy !== undefined), "every epoch");
  assert.ok(out.metrics.valAccuracy! >= 0.75 && out.metrics.testAccuracy! >= 0.75, `val ${out.metrics.valAccuracy}, test ${out.metrics.testAccuracy}`);
  // Its 500 rows, not 10% of the 2,000 train rows: the accuracy is a multiple of 1/500.
  const correct = out.metrics.valAccuracy! * 500;
  assert.ok(Math.abs(correct - Math.round(correct)) < 1e-6, `valAccuracy ${out.metrics.valAccuracy} is not k/500`);
});
