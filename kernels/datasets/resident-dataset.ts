// A dataset placed inside one kernel instance's memory: rows [0, train) are the training
// set, rows [train, train + test) the test set. Real datasets are copied in from their
// blob or from the host's arrays; synthetic ones are generated in the module from the
// dataset seed.
import type { BuiltinDatasetSpec } from "../mlp-config.ts";
import type { HostDataset } from "./host-dataset.ts";
import { RNG_STATE_BYTES } from "../exports.ts";
import type { KernelInstance } from "../instance.ts";
import { decodePackedDataset } from "./packed-dataset.ts";
import { isBlobDataset } from "./local-blobs.ts";

export interface ResidentDataset {
  /** One sample's shape (NHWC for images: mnist is [28, 28, 1]). */
  shape: number[];
  features: number;
  task: "classification" | "regression";
  /** Classes (classification); 1 output for regression. */
  classes: number;
  trainCount: number;
  testCount: number;
  /** Feature rows: u8 (scaled by `scale` when gathered) or f32. */
  x: { kind: "u8"; ptr: number; scale: number } | { kind: "f32"; ptr: number };
  /** i32 labels, or f32 targets (regression), one per row: 4 bytes either way. */
  labelsPtr: number;
}

/** Bytes of the datasets that ship as blobs, by name. */
export type DatasetBlobs = Partial<Record<string, Uint8Array>>;

/** Stream id of the data generator's PRNG (init and shuffle use others). */
const DATA_STREAM = 0x00da7a;

/** Copies a host dataset in: train rows, then test rows. */
export function placeHostDataset(inst: KernelInstance, data: HostDataset): ResidentDataset {
  const { train, test, features } = data;
  const total = train.count + test.count;
  const xPtr = inst.allocF32(total * features);
  inst.f32(xPtr, train.count * features).set(train.x.subarray(0, train.count * features));
  inst.f32(xPtr + train.count * features * 4, test.count * features).set(test.x.subarray(0, test.count * features));
  const labelsPtr = inst.allocI32(total);
  const view = data.task === "regression" ? inst.f32(labelsPtr, total) : inst.i32(labelsPtr, total);
  view.set(train.y.subarray(0, train.count) as never);
  view.set(test.y.subarray(0, test.count) as never, train.count);
  return {
    shape: [...data.shape], features, task: data.task, classes: data.task === "regression" ? 1 : data.classes?.length ?? 0,
    trainCount: train.count, testCount: test.count, x: { kind: "f32", ptr: xPtr }, labelsPtr,
  };
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
      shape: packed.features === 784 ? [28, 28, 1] : [packed.features], features: packed.features, task: "classification", classes: packed.classes, trainCount: spec.train, testCount: spec.test,
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
    shape: [2], features: 2, task: "classification", classes, trainCount: spec.train, testCount: spec.test,
    x: { kind: "f32", ptr: xPtr }, labelsPtr,
  };
}
