// A built-in trial's final state (its weights' bytes) as named arrays for a kept model's .npz:
// the layer shapes come from the trial's resolved config, and for a file dataset from its
// packed blob's header (the sample shape and the classes are the data's, not the config's).
import { networkWeightArrays } from "../../../kernels/network-weight-arrays.ts";
import type { NamedArrays } from "../../../kernels/named-arrays.ts";
import { decodeDatasetBlob } from "../../datasets/dataset-blob.ts";
import { builtinShape, NetworkConfigSchema } from "./network-config.ts";

/** `config`: the trial's resolved config; `datasetBlob`: a file dataset's packed blob (unused for built-ins). */
export function networkStateArrays(config: unknown, weights: Uint8Array, datasetBlob?: Uint8Array): NamedArrays {
  const parsed = NetworkConfigSchema.parse(config);
  let sample = builtinShape(parsed.dataset);
  if (!sample) {
    if (!datasetBlob) throw new Error("networkStateArrays: a file dataset's shape comes with its packed blob; none was given");
    const { table } = decodeDatasetBlob(datasetBlob);
    sample = { shape: table.shape.slice(1), classes: table.classes ? table.classes.length : 1 };
  }
  const { model } = parsed;
  const input = model.input ?? (model.layers ? sample.shape : [sample.shape.reduce((a, b) => a * b, 1)]);
  return networkWeightArrays(model, input, sample.classes, weights);
}
