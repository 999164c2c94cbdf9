// Splitting and normalising a blob on a worker: sizes, the seeded order, fits on train only, bit-determinism.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { prepareDataset } from "./prepare-dataset.ts";
import { encodeDatasetBlob } from "./dataset-blob.ts";
import type { FileDatasetSpec } from "./file-spec.ts";
import type { PreparedDataset } from "./prepared-dataset.ts";
import type { RawTable } from "./raw-table.ts";

const spec = (fields: Partial<FileDatasetSpec> = {}): FileDatasetSpec =>
  ({ file: "x.npy", labels: "y.npy", task: "regression", normalize: "none", seed: 0, validation: 0, ...fields });

/** count rows of 3 features; the target is the row number, so a split shows which rows it took. */
function rowsTable(count: number): RawTable {
  const x = new Float32Array(count * 3);
  for (let r = 0; r < count; r++) x.set([r, (r * 37) % 11 - 4.5, 2.5], r * 3); // the last feature is constant
  return { x, shape: [count, 3], y: Float32Array.from({ length: count }, (_, r) => r), classes: null };
}

function digest(p: PreparedDataset): string {
  const h = createHash("sha256");
  for (const a of [p.train.x, p.train.y, p.test.x, p.test.y]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}

test("a random split takes round(count × test) rows, at least 1 and at most count − 1", () => {
  const blob = encodeDatasetBlob(rowsTable(10), { testStart: null });
  for (const [test, trainCount, testCount] of [[undefined, 8, 2], [0.25, 7, 3], [0.01, 9, 1], [0.99, 1, 9]] as const) {
    const p = prepareDataset(blob, spec(test === undefined ? {} : { test }));
    assert.deepEqual([p.train.count, p.test.count], [trainCount, testCount], `test ${test}`);
    assert.deepEqual([...p.train.y, ...p.test.y].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
});

test("the shuffle is mulberry32 Fisher–Yates: a fixed order for seed 0, another for seed 1", () => {
  const blob = encodeDatasetBlob(rowsTable(10), { testStart: null });
  const seed0 = prepareDataset(blob, spec());
  assert.deepEqual(Array.from(seed0.train.y), [3, 8, 6, 4, 5, 9, 7, 1]);
  assert.deepEqual(Array.from(seed0.test.y), [0, 2]);
  assert.deepEqual(Array.from(seed0.train.x.subarray(0, 3)), [3, Math.fround((3 * 37) % 11 - 4.5), 2.5]);
  const seed1 = prepareDataset(blob, spec({ seed: 1 }));
  assert.deepEqual(Array.from(seed1.train.y), [7, 8, 3, 2, 1, 5, 9, 4]);
});

test("bit-deterministic: the same blob and spec give the same bytes; another seed does not", () => {
  const blob = encodeDatasetBlob(rowsTable(1000), { testStart: null });
  const s = spec({ normalize: "standard", seed: 42 });
  assert.equal(digest(prepareDataset(blob, s)), digest(prepareDataset(blob.slice(), { ...s })));
  assert.notEqual(digest(prepareDataset(blob, spec({ normalize: "standard", seed: 43 }))), digest(prepareDataset(blob, s)));
});

/** Per feature, the f64 mean and population std of a split, in row order. */
function stats(x: Float32Array, features: number): { mean: number[]; std: number[]; min: number[]; max: number[] } {
  const n = x.length / features;
  const col = (f: number) => Array.from({ length: n }, (_, r) => x[r * features + f]!);
  const mean = Array.from({ length: features }, (_, f) => col(f).reduce((a, b) => a + b, 0) / n);
  const std = mean.map((m, f) => Math.sqrt(col(f).reduce((a, v) => a + (v - m) ** 2, 0) / n));
  return { mean, std, min: mean.map((_, f) => Math.min(...col(f))), max: mean.map((_, f) => Math.max(...col(f))) };
}

test("standard: fitted on train only (mean 0, std 1 there), the test split scaled by train's numbers", () => {
  const table = rowsTable(50);
  const p = prepareDataset(encodeDatasetBlob(table, { testStart: null }), spec({ normalize: "standard", test: 0.3 }));
  const { mean, std } = stats(p.train.x, 3);
  for (let f = 0; f < 2; f++) {
    assert.ok(Math.abs(mean[f]!) < 1e-6, `feature ${f} mean ${mean[f]}`);
    assert.ok(Math.abs(std[f]! - 1) < 1e-6, `feature ${f} std ${std[f]}`);
  }
  assert.deepEqual([mean[2], std[2]], [0, 0], "a constant feature maps to exactly 0");
  // The test split uses the train rows' mean and std, recomputed here in float64.
  const trainRows = Array.from(p.train.y);
  const raw = (r: number, f: number) => table.x[r * 3 + f]!;
  const m = trainRows.reduce((a, r) => a + raw(r, 1), 0) / trainRows.length;
  const sd = Math.sqrt(trainRows.reduce((a, r) => a + (raw(r, 1) - m) ** 2, 0) / trainRows.length);
  assert.deepEqual(Array.from(p.test.y, (_, i) => p.test.x[i * 3 + 1]), Array.from(p.test.y, (r) => Math.fround((raw(r, 1) - m) / sd)));
});

test("minmax: train spans exactly [0, 1] per feature; test may fall outside", () => {
  const p = prepareDataset(encodeDatasetBlob(rowsTable(40), { testStart: null }), spec({ normalize: "minmax", seed: 3 }));
  const { min, max } = stats(p.train.x, 3);
  assert.deepEqual(min, [0, 0, 0]);
  assert.deepEqual(max, [1, 1, 0]);
  const trainMax = Math.max(...p.train.y);
  for (let i = 0; i < p.test.count; i++) assert.equal(p.test.x[i * 3], Math.fround((p.test.y[i]! - Math.min(...p.train.y)) / (trainMax - Math.min(...p.train.y))));
});

test("u8 data reads as value / 255 before normalising; a test file's rows stay in file order", () => {
  const table: RawTable = {
    x: Uint8Array.from([0, 51, 255, 128, 1, 2, 3, 4]),
    shape: [4, 2, 1, 1],
    y: Int32Array.from([1, 0, 1, 0]),
    classes: ["0", "7"],
  };
  const p = prepareDataset(encodeDatasetBlob(table, { testStart: 3 }), spec({ task: "classification", testFile: "t.npy", testLabels: "ty.npy" }));
  assert.deepEqual(p.shape, [2, 1, 1]);
  assert.equal(p.features, 2);
  assert.equal(p.task, "classification");
  assert.deepEqual(p.classes, ["0", "7"]);
  assert.deepEqual(Array.from(p.train.x), [0, 51, 255, 128, 1, 2].map((v) => Math.fround(v / 255)));
  assert.deepEqual(Array.from(p.train.y), [1, 0, 1]);
  assert.ok(p.train.y instanceof Int32Array);
  assert.deepEqual(Array.from(p.test.x), [3, 4].map((v) => Math.fround(v / 255)));
  assert.deepEqual(p.test.count, 1);

  const minmax = prepareDataset(encodeDatasetBlob(table, { testStart: 3 }), spec({ task: "classification", normalize: "minmax", testFile: "t.npy", testLabels: "ty.npy" }));
  // Rows [0, 51], [255, 128], [1, 2] over 255: feature 0 spans 0..1, feature 1 spans 2/255..128/255.
  const f1 = (v: number) => Math.fround((v / 255 - 2 / 255) / (128 / 255 - 2 / 255));
  assert.deepEqual(Array.from(minmax.train.x), [0, f1(51), 1, 1, Math.fround(1 / 255), 0]);
});

test("a blob that does not match the spec is refused", () => {
  const blob = encodeDatasetBlob(rowsTable(5), { testStart: null });
  assert.throws(() => prepareDataset(blob, spec({ task: "classification" })), {
    message: "dataset blob: holds a regression dataset, the spec says task classification",
  });
  assert.throws(() => prepareDataset(blob, spec({ testFile: "t.npy", testLabels: "ty.npy" })), {
    message: "dataset blob: has no test-file rows, but the spec names testFile",
  });
});

test("a validation split holds out round(train × validation) of the train rows; the normalisation sees only the rest", () => {
  const blob = encodeDatasetBlob(rowsTable(100), { testStart: null });
  const p = prepareDataset(blob, spec({ validation: 0.25, normalize: "standard" }));
  assert.deepEqual([p.train.count, p.validation.count, p.test.count], [60, 20, 20]);
  const all = [...p.train.y, ...p.validation.y, ...p.test.y].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, r) => r), "train, validation and test are disjoint and cover every row");
  // The test split is the same as without validation: validation comes out of the train rows.
  const none = prepareDataset(blob, spec({ normalize: "standard" }));
  assert.deepEqual(Array.from(p.test.y), Array.from(none.test.y));
  assert.deepEqual(new Set([...p.train.y, ...p.validation.y]), new Set(none.train.y));
  // Fitted on the 60 train rows: their mean is 0 and std 1, the validation rows' are not.
  const s = stats(p.train.x, 3);
  assert.ok(Math.abs(s.mean[0]!) < 1e-5 && Math.abs(s.std[0]! - 1) < 1e-5, `train mean ${s.mean[0]}, std ${s.std[0]}`);
  assert.ok(Math.abs(stats(p.validation.x, 3).mean[0]!) > 1e-3);
  // The same spec holds out the same rows; another seed others.
  assert.deepEqual(Array.from(prepareDataset(blob, spec({ validation: 0.25 })).validation.y), Array.from(p.validation.y));
  assert.notDeepEqual(Array.from(prepareDataset(blob, spec({ validation: 0.25, seed: 1 })).validation.y), Array.from(p.validation.y));
});

test("with a separate test file the validation rows are a seeded draw from the train file, not its last rows", () => {
  const blob = encodeDatasetBlob(rowsTable(50), { testStart: 40 });
  const p = prepareDataset(blob, spec({ testFile: "t.npy", testLabels: "ty.npy", validation: 0.1 }));
  assert.deepEqual([p.train.count, p.validation.count, p.test.count], [36, 4, 10]);
  assert.deepEqual(Array.from(p.test.y), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  assert.notDeepEqual([...p.validation.y].sort((a, b) => a - b), [36, 37, 38, 39]);
  assert.ok([...p.validation.y].every((r) => r < 40));
});

test("a validation file is the validation split: no train row is held out, the test split is drawn as without it", () => {
  const table = rowsTable(60);
  const blob = encodeDatasetBlob(table, { testStart: null, validationStart: 50 });
  const p = prepareDataset(blob, spec({ validationFile: "vx.npy", validationLabels: "vy.npy", test: 0.2 }));
  assert.deepEqual([p.train.count, p.validation.count, p.test.count], [40, 10, 10]);
  assert.deepEqual(Array.from(p.validation.y), Array.from({ length: 10 }, (_, i) => 50 + i), "the file's rows, in file order");
  const without = prepareDataset(encodeDatasetBlob(rowsTable(50), { testStart: null }), spec({ test: 0.2 }));
  assert.deepEqual(Array.from(p.test.y), Array.from(without.test.y));
  assert.deepEqual(Array.from(p.train.y), Array.from(without.train.y));
  // With a test file too: train, validation and test are the three files' rows.
  const three = prepareDataset(encodeDatasetBlob(rowsTable(60), { testStart: 55, validationStart: 50 }),
    spec({ validationFile: "vx.npy", validationLabels: "vy.npy", testFile: "t.npy", testLabels: "ty.npy" }));
  assert.deepEqual([three.train.count, three.validation.count, three.test.count], [50, 5, 5]);
  assert.deepEqual(Array.from(three.test.y), [55, 56, 57, 58, 59]);
  assert.throws(() => prepareDataset(blob, spec()), /has validation-file rows, but the spec names no validationFile/);
  assert.throws(() => encodeDatasetBlob(rowsTable(10), { testStart: 5, validationStart: 5 }), /validationStart 5 leaves no validation rows before testStart 5/);
});
