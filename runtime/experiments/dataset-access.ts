// ctx.dataset(spec) inside a trial: a file dataset from its packed blob (split and normalised
// here, deterministically), or a built-in one. The lease names every blob the trial may ask for.
import { BuiltinDatasetSpec } from "../../kernels/mlp-config.ts";
import { builtinHostDataset } from "../../kernels/datasets/builtin-host-dataset.ts";
import type { HostDataset } from "../../kernels/datasets/host-dataset.ts";
import type { KernelInstance } from "../../kernels/instance.ts";
import { FileDatasetSpec, datasetBlobKey } from "../datasets/file-spec.ts";
import { prepareDataset } from "../datasets/prepare-dataset.ts";
import { formatIssues } from "../../kernels/config-errors.ts";
import { isFileSpec } from "./dataset-specs.ts";
import { canonicalJson } from "./plain-data.ts";

export function datasetAccess(scratch: () => KernelInstance, blobs: ReadonlyMap<string, Uint8Array>): (spec: unknown) => HostDataset {
  const cache = new Map<string, HostDataset>();
  return (spec) => {
    const id = canonicalJson(spec);
    const hit = cache.get(id);
    if (hit) return hit;
    let data: HostDataset;
    if (isFileSpec(spec)) {
      const parsed = FileDatasetSpec.safeParse(spec);
      if (!parsed.success) throw new Error(`ctx.dataset: ${formatIssues(parsed.error.issues).join("; ")}`);
      const bytes = blobs.get(datasetBlobKey(parsed.data));
      if (!bytes) throw new Error(`ctx.dataset: ${parsed.data.file} was not packed for this trial (name file datasets in the config under "dataset" or "datasets.<name>", so the controller packs them)`);
      data = prepareDataset(bytes, parsed.data);
    } else {
      const parsed = BuiltinDatasetSpec.safeParse(spec);
      if (!parsed.success) throw new Error(`ctx.dataset: ${formatIssues(parsed.error.issues).join("; ")}`);
      const blob = blobs.get(parsed.data.name);
      data = builtinHostDataset(scratch(), parsed.data, blob ? { [parsed.data.name]: blob } : {});
    }
    cache.set(id, data);
    return data;
  };
}
