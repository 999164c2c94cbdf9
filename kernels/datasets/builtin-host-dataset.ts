// A built-in dataset (mnist, or one generated from its seed) as host arrays, for experiments
// that ask for it through ctx.dataset: placed in a scratch instance, then copied out as f32.
import type { BuiltinDatasetSpec } from "../mlp-config.ts";
import type { KernelInstance } from "../instance.ts";
import type { HostDataset, HostSplit } from "./host-dataset.ts";
import { placeDataset, type DatasetBlobs } from "./resident-dataset.ts";

export function builtinHostDataset(scratch: KernelInstance, spec: BuiltinDatasetSpec, blobs: DatasetBlobs): HostDataset {
  const d = placeDataset(scratch, spec, blobs);
  const rows = (start: number, count: number): HostSplit => {
    const x = new Float32Array(count * d.features);
    if (d.x.kind === "u8") {
      const src = scratch.u8(d.x.ptr + start * d.features, count * d.features);
      for (let i = 0; i < x.length; i++) x[i] = src[i]! * d.x.scale;
    } else {
      x.set(scratch.f32(d.x.ptr + start * d.features * 4, count * d.features));
    }
    return { x, y: scratch.i32(d.labelsPtr + start * 4, count).slice(), count };
  };
  return {
    shape: spec.name === "mnist" ? [28, 28, 1] : [d.features], features: d.features, task: "classification",
    classes: Array.from({ length: d.classes }, (_, i) => String(i)),
    train: rows(0, d.trainCount), test: rows(d.trainCount, d.testCount),
  };
}
