// What `discalc artifact get` writes for a trial's kept final state: a built-in (network) trial's
// weights as .npz with its layers' names and shapes (docs/kept-models.md), a state already held
// as .npz (named arrays) as it is, and any other state as its raw bytes. No I/O: the command
// fetches, this decides.
import { encodeNpz, decodeNpz } from "../experiments/npz.ts";
import { networkStateArrays } from "../experiments/network/network-state-arrays.ts";
import { FileDatasetSpec, datasetBlobKey } from "../datasets/file-spec.ts";
import { isPlainObject } from "../experiments/plain-data.ts";
import type { NamedArrays } from "../../kernels/named-arrays.ts";
import type { StoredTrial } from "./trial-source.ts";
import { decodeCheckpoint, isCheckpointEnvelope } from "../experiments/checkpoint-envelope.ts";
import { checkpointParams } from "../../kernels/network-checkpoint.ts";

export interface KeptStateFile {
  bytes: Uint8Array;
  format: "npz" | "raw";
  /** The arrays' names and shapes (npz). */
  arrays?: Array<{ name: string; shape: number[] }>;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** `blobs`: the trial's dataset blobs by key (trialDatasetBlobs), for a file dataset's shapes. */
export function keptStateFile(trial: Pick<StoredTrial, "experiment" | "config">, state: Uint8Array, blobs: ReadonlyMap<string, Uint8Array>): KeptStateFile {
  const listed = (arrays: NamedArrays) => Object.entries(arrays).map(([name, a]) => ({ name, shape: a.shape }));
  if (trial.experiment.sha === null && trial.experiment.name === "network") {
    const dataset = trial.config.dataset;
    const file = isPlainObject(dataset) && "file" in dataset ? blobs.get(datasetBlobKey(FileDatasetSpec.parse(dataset))) : undefined;
    // A population-based training member keeps its stopStep checkpoint (its children resume
    // from it): its weights are the checkpoint's parameters.
    const weights = isCheckpointEnvelope(state) ? checkpointParams(decodeCheckpoint(state).state) : state;
    const arrays = networkStateArrays(trial.config, weights, file);
    return { bytes: encodeNpz(arrays), format: "npz", arrays: listed(arrays) };
  }
  if (ZIP_MAGIC.every((b, i) => state[i] === b)) {
    try {
      const arrays = decodeNpz(state);
      if (Object.keys(arrays).length) return { bytes: state, format: "npz", arrays: listed(arrays) };
    } catch {
      // A zip that holds no readable arrays is someone's own format: written as it is, raw.
    }
  }
  return { bytes: state, format: "raw" };
}
