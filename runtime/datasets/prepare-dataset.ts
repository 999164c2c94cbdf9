// The worker's side of a file dataset: a DSC2 blob and the spec become train and test splits,
// normalised, in float32. Bit-deterministic, so every worker trains on the same bytes.
import { DatasetBlobError, decodeDatasetBlob } from "./dataset-blob.ts";
import { DEFAULT_TEST_FRACTION, type FileDatasetSpec } from "./file-spec.ts";
import { applyFeatureScaler, fitFeatureScaler, type FeatureValue } from "./feature-scaler.ts";
import { shuffledOrder } from "./seeded-shuffle.ts";
import { valuesPerSample } from "./raw-table.ts";
import type { DatasetSplit, PreparedDataset } from "./prepared-dataset.ts";

export function prepareDataset(blob: Uint8Array, spec: FileDatasetSpec): PreparedDataset {
  const { table, testStart } = decodeDatasetBlob(blob);
  const task = table.classes === null ? "regression" : "classification";
  if (task !== spec.task) throw new DatasetBlobError(`holds a ${task} dataset, the spec says task ${spec.task}`);
  if ((testStart !== null) !== (spec.testFile !== undefined)) {
    throw new DatasetBlobError(testStart === null ? "has no test-file rows, but the spec names testFile" : "has test-file rows, but the spec names no testFile");
  }
  const count = table.shape[0]!;
  const features = valuesPerSample(table.shape);
  const { train, test } = testStart === null ? randomSplit(count, spec) : fileSplit(count, testStart);

  // u8 data (IDX images, u1 NPY) reads as value / 255, before any normalisation.
  const x = table.x;
  const value: FeatureValue = x instanceof Uint8Array
    ? (row, f) => x[row * features + f]! / 255
    : (row, f) => x[row * features + f]!;
  const scaler = fitFeatureScaler(spec.normalize, value, train, features);
  const split = (rows: Uint32Array): DatasetSplit => ({
    x: applyFeatureScaler(scaler, value, rows, features),
    y: table.y instanceof Int32Array ? Int32Array.from(rows, (r) => table.y[r]!) : Float32Array.from(rows, (r) => table.y[r]!),
    count: rows.length,
  });
  return { shape: table.shape.slice(1), features, task, classes: table.classes, train: split(train), test: split(test) };
}

/** Rows before testStart train, the separate test file's rows test; both keep file order. */
function fileSplit(count: number, testStart: number): { train: Uint32Array; test: Uint32Array } {
  const rows = Uint32Array.from({ length: count }, (_, i) => i);
  return { train: rows.subarray(0, testStart), test: rows.subarray(testStart) };
}

/** A seeded shuffle; its last round(count × test) rows (1..count−1) are the test split. */
function randomSplit(count: number, spec: FileDatasetSpec): { train: Uint32Array; test: Uint32Array } {
  if (count < 2) throw new DatasetBlobError(`has ${count} sample; a train/test split needs at least 2`);
  const fraction = spec.test ?? DEFAULT_TEST_FRACTION;
  const testCount = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  const order = shuffledOrder(count, spec.seed);
  return { train: order.subarray(0, count - testCount), test: order.subarray(count - testCount) };
}
