// The worker's side of a file dataset: a DSC2 blob and the spec become train and test splits,
// normalised, in float32. Bit-deterministic, so every worker trains on the same bytes.
import { DatasetBlobError, decodeDatasetBlob } from "./dataset-blob.ts";
import { DEFAULT_TEST_FRACTION, type FileDatasetSpec } from "./file-spec.ts";
import { applyFeatureScaler, fitFeatureScaler, type FeatureValue } from "./feature-scaler.ts";
import { shuffledOrder } from "./seeded-shuffle.ts";
import { validationCount } from "../../kernels/datasets/validation-split.ts";
import { valuesPerSample } from "./raw-table.ts";
import type { DatasetSplit, PreparedDataset } from "./prepared-dataset.ts";

export function prepareDataset(blob: Uint8Array, spec: FileDatasetSpec): PreparedDataset {
  const { table, testStart, validationStart } = decodeDatasetBlob(blob);
  const task = table.classes === null ? "regression" : "classification";
  if (task !== spec.task) throw new DatasetBlobError(`holds a ${task} dataset, the spec says task ${spec.task}`);
  if ((testStart !== null) !== (spec.testFile !== undefined)) {
    throw new DatasetBlobError(testStart === null ? "has no test-file rows, but the spec names testFile" : "has test-file rows, but the spec names no testFile");
  }
  if ((validationStart !== null) !== (spec.validationFile !== undefined)) {
    throw new DatasetBlobError(validationStart === null ? "has no validation-file rows, but the spec names validationFile" : "has validation-file rows, but the spec names no validationFile");
  }
  const count = table.shape[0]!;
  const features = valuesPerSample(table.shape);
  // The train file's rows: before the validation file's (or the test file's) rows.
  const trainEnd = validationStart ?? testStart ?? count;
  const { train: trainRows, test } = testStart === null ? randomSplit(trainEnd, spec) : fileSplit(trainEnd, testStart, count);
  const { train, validation } = validationStart === null
    ? validationSplit(trainRows, testStart === null, spec)
    : { train: trainRows, validation: rowRange(validationStart, testStart ?? count) };

  // u8 data (IDX images, u1 NPY) reads as value / 255, before any normalisation.
  const x = table.x;
  const value: FeatureValue = x instanceof Uint8Array
    ? (row, f) => x[row * features + f]! / 255
    : (row, f) => x[row * features + f]!;
  // Fitted on the rows trained on: the validation and test rows stay unseen.
  const scaler = fitFeatureScaler(spec.normalize, value, train, features);
  const split = (rows: Uint32Array): DatasetSplit => ({
    x: applyFeatureScaler(scaler, value, rows, features),
    y: table.y instanceof Int32Array ? Int32Array.from(rows, (r) => table.y[r]!) : Float32Array.from(rows, (r) => table.y[r]!),
    count: rows.length,
  });
  return { shape: table.shape.slice(1), features, task, classes: table.classes, train: split(train), validation: split(validation), test: split(test) };
}

/**
 * The train rows' last validationCount rows held out. A random split's train rows are already
 * in a seeded random order; a test file's keep file order, so they are shuffled first (seeded
 * by `seed` too). Without validation the train rows stay as they were.
 */
function validationSplit(rows: Uint32Array, shuffled: boolean, spec: FileDatasetSpec): { train: Uint32Array; validation: Uint32Array } {
  const held = validationCount(rows.length, spec.validation);
  if (held === 0) return { train: rows, validation: new Uint32Array(0) };
  const order = shuffled ? rows : shuffledOrder(rows.length, spec.seed).map((i) => rows[i]!);
  return { train: order.subarray(0, rows.length - held), validation: order.subarray(rows.length - held) };
}

/** Rows before trainEnd train, the separate test file's rows (from testStart) test; both keep file order. */
function fileSplit(trainEnd: number, testStart: number, count: number): { train: Uint32Array; test: Uint32Array } {
  return { train: rowRange(0, trainEnd), test: rowRange(testStart, count) };
}

/** Row indices start..end−1. */
function rowRange(start: number, end: number): Uint32Array {
  return Uint32Array.from({ length: end - start }, (_, i) => start + i);
}

/** A seeded shuffle; its last round(count × test) rows (1..count−1) are the test split. */
function randomSplit(count: number, spec: FileDatasetSpec): { train: Uint32Array; test: Uint32Array } {
  if (count < 2) throw new DatasetBlobError(`has ${count} sample; a train/test split needs at least 2`);
  const fraction = spec.test ?? DEFAULT_TEST_FRACTION;
  const testCount = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  const order = shuffledOrder(count, spec.seed);
  return { train: order.subarray(0, count - testCount), test: order.subarray(count - testCount) };
}
