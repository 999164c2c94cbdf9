// A dataset placed inside one kernel instance's memory, with the rows of each split as index
// arrays (train, validation, test). Real datasets are copied in from their blob or from the
// host's arrays; synthetic ones are generated in the module from the dataset seed. A built-in
// dataset's validation rows are drawn from its train rows by a shuffle seeded by the dataset
// seed, so every trial of a sweep holds out the same rows.
import type { BuiltinDatasetSpec } from "../mlp-config.ts";
import type { HostDataset } from "./host-dataset.ts";
import { RNG_STATE_BYTES } from "../exports.ts";
import type { KernelInstance } from "../instance.ts";
import { decodePackedDataset } from "./packed-dataset.ts";
import { isBlobDataset } from "./local-blobs.ts";
import { validationCount } from "./validation-split.ts";

/** The rows of one split: `count` i32 row indices at `rows`. */
export interface RowSet {
  rows: number;
  count: number;
}

export interface ResidentDataset {
  /** One sample's shape (NHWC for images: mnist is [28, 28, 1]). */
  shape: number[];
  features: number;
  task: "classification" | "regression";
  /** Classes (classification); 1 output for regression. */
  classes: number;
  train: RowSet;
  validation: RowSet;
  test: RowSet;
  /** Feature rows: u8 (scaled by `scale` when gathered) or f32. */
  x: { kind: "u8"; ptr: number; scale: number } | { kind: "f32"; ptr: number };
  /** i32 labels, or f32 targets (regression), one per row: 4 bytes either way. */
  labelsPtr: number;
}

/** Bytes of the datasets that ship as blobs, by name. */
export type DatasetBlobs = Partial<Record<string, Uint8Array>>;

/** Stream id of the data generator's PRNG (init and shuffle use others). */
const DATA_STREAM = 0x00da7a;
/** Stream id of the shuffle that picks a built-in dataset's validation rows. */
const VALIDATION_STREAM = 0x00da7b;

/** Row indices start, start + 1, …: a split stored as consecutive rows. */
function consecutiveRows(inst: KernelInstance, start: number, count: number): RowSet {
  const rows = inst.allocI32(Math.max(1, count));
  if (start === 0) {
    inst.k.iotaI32(rows, count);
  } else {
    const view = inst.i32(rows, count);
    for (let i = 0; i < count; i++) view[i] = start + i;
  }
  return { rows, count };
}

/** Copies a host dataset in: train rows, then validation rows, then test rows. */
export function placeHostDataset(inst: KernelInstance, data: HostDataset): ResidentDataset {
  const { features } = data;
  const splits = [data.train, data.validation, data.test];
  const total = splits.reduce((n, s) => n + s.count, 0);
  const xPtr = inst.allocF32(total * features);
  const labelsPtr = inst.allocI32(total);
  let start = 0;
  const [train, validation, test] = splits.map((split) => {
    const set = consecutiveRows(inst, start, split.count);
    // Views made after the allocation: growing the memory detaches the older ones.
    inst.f32(xPtr + start * features * 4, split.count * features).set(split.x.subarray(0, split.count * features));
    const labels = data.task === "regression" ? inst.f32(labelsPtr + start * 4, split.count) : inst.i32(labelsPtr + start * 4, split.count);
    labels.set(split.y.subarray(0, split.count) as never);
    start += split.count;
    return set;
  }) as [RowSet, RowSet, RowSet];
  return {
    shape: [...data.shape], features, task: data.task, classes: data.task === "regression" ? 1 : data.classes?.length ?? 0,
    train, validation, test, x: { kind: "f32", ptr: xPtr }, labelsPtr,
  };
}

/**
 * Rows [0, train) split into train and validation: without validation the train rows in order
 * (as before there was a split, so `validation: 0` trains on exactly what it did then); with it
 * a shuffle seeded by the dataset seed, its last rows held out.
 */
function splitTrainRows(inst: KernelInstance, spec: BuiltinDatasetSpec): { train: RowSet; validation: RowSet } {
  const held = validationCount(spec.train, spec.validation);
  if (held === 0) return { train: consecutiveRows(inst, 0, spec.train), validation: { rows: 0, count: 0 } };
  const rows = inst.allocI32(spec.train);
  inst.k.iotaI32(rows, spec.train);
  const rng = inst.allocBytes(RNG_STATE_BYTES);
  inst.k.rngSeed(rng, spec.seed, VALIDATION_STREAM);
  inst.k.shuffleI32(rows, spec.train, rng);
  return { train: { rows, count: spec.train - held }, validation: { rows: rows + (spec.train - held) * 4, count: held } };
}

export function placeDataset(inst: KernelInstance, spec: BuiltinDatasetSpec, blobs: DatasetBlobs): ResidentDataset {
  const total = spec.train + spec.test;
  if (isBlobDataset(spec.name)) {
    const bytes = blobs[spec.name];
    if (!bytes) throw new Error(`dataset ${spec.name}: no blob was provided`);
    const packed = decodePackedDataset(bytes);
    if (total > packed.samples) {
      throw new Error(`dataset ${spec.name} has ${packed.samples} samples; train + test asks for ${total}`);
    }
    const xPtr = inst.copyIn(packed.features8.subarray(0, total * packed.features));
    const labelsPtr = inst.allocI32(total);
    const labels = inst.i32(labelsPtr, total);
    for (let i = 0; i < total; i++) labels[i] = packed.labels[i]!;
    return {
      shape: packed.features === 784 ? [28, 28, 1] : [packed.features], features: packed.features, task: "classification", classes: packed.classes,
      ...splitTrainRows(inst, spec), test: consecutiveRows(inst, spec.train, spec.test),
      x: { kind: "u8", ptr: xPtr, scale: 1 / 255 }, labelsPtr,
    };
  }
  const k = inst.k;
  const rng = inst.allocBytes(RNG_STATE_BYTES);
  k.rngSeed(rng, spec.seed, DATA_STREAM);
  const xPtr = inst.allocF32(total * 2);
  const labelsPtr = inst.allocI32(total);
  let classes = 2;
  switch (spec.name) {
    case "spirals":
      classes = spec.classes ?? 3;
      k.genSpirals(xPtr, labelsPtr, total, classes, spec.noise ?? 0.05, rng);
      break;
    case "moons":
      k.genMoons(xPtr, labelsPtr, total, spec.noise ?? 0.1, rng);
      break;
    case "xor":
      k.genXor(xPtr, labelsPtr, total, spec.noise ?? 0.05, rng);
      break;
  }
  return {
    shape: [2], features: 2, task: "classification", classes,
    ...splitTrainRows(inst, spec), test: consecutiveRows(inst, spec.train, spec.test),
    x: { kind: "f32", ptr: xPtr }, labelsPtr,
  };
}
