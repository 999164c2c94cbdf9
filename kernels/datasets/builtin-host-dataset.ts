// A built-in dataset (mnist, or one generated from its seed) as host arrays, for experiments
// that ask for it through ctx.dataset: placed in a scratch instance, then copied out as f32.
import type { BuiltinDatasetSpec } from "../mlp-config.ts";
import type { KernelInstance } from "../instance.ts";
import type { HostDataset, HostSplit } from "./host-dataset.ts";
import { placeDataset, type DatasetBlobs, type RowSet } from "./resident-dataset.ts";

export function builtinHostDataset(scratch: KernelInstance, spec: BuiltinDatasetSpec, blobs: DatasetBlobs): HostDataset {
  const d = placeDataset(scratch, spec, blobs);
  const rows = ({ rows, count }: RowSet): HostSplit => {
    const x = new Float32Array(count * d.features);
    const y = new Int32Array(count);
    const labels = scratch.i32(d.labelsPtr, d.train.count + d.validation.count + d.test.count);
    const index = scratch.i32(rows, count);
    for (let i = 0; i < count; i++) {
      const row = index[i]!;
      if (d.x.kind === "u8") {
        const src = scratch.u8(d.x.ptr + row * d.features, d.features);
        for (let f = 0; f < d.features; f++) x[i * d.features + f] = src[f]! * d.x.scale;
      } else {
        x.set(scratch.f32(d.x.ptr + row * d.features * 4, d.features), i * d.features);
      }
      y[i] = labels[row]!;
    }
    return { x, y, count };
  };
  return {
    shape: spec.name === "mnist" ? [28, 28, 1] : [d.features], features: d.features, task: "classification",
    classes: Array.from({ length: d.classes }, (_, i) => String(i)),
    train: rows(d.train), validation: rows(d.validation), test: rows(d.test),
  };
}
