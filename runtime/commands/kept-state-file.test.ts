// What `artifact get` writes for a kept state: a built-in trial's weights as .npz (layer names
// and shapes from its config, or from its file dataset's blob), an .npz state as it is, other bytes raw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../../kernels/load.ts";
import { trainNetwork } from "../../kernels/network.ts";
import type { BuiltinDatasetSpec } from "../../kernels/mlp-config.ts";
import { createNN } from "../../kernels/nn/index.ts";
import { encodeDatasetBlob } from "../datasets/dataset-blob.ts";
import { FileDatasetSpec, datasetBlobKey } from "../datasets/file-spec.ts";
import { encodeNpz, decodeNpz } from "../experiments/npz.ts";
import { NetworkConfigSchema } from "../experiments/network/network-config.ts";
import { keptStateFile } from "./kept-state-file.ts";
import { encodeCheckpoint } from "../experiments/checkpoint-envelope.ts";

const module = await compileKernels();
const builtin = { name: "network", sha: null };
const own = { name: "mine", sha: "a".repeat(64) };

test("a built-in trial's weights: an .npz of its layers, the arrays those bytes in order", () => {
  const config = NetworkConfigSchema.parse({ dataset: { name: "spirals", train: 200, test: 50, classes: 4 }, model: { hidden: [8] }, train: { epochs: 1, batch: 16, lr: 0.1 } });
  const { weights } = trainNetwork(instantiateKernels(module), { ...config, dataset: config.dataset as BuiltinDatasetSpec });
  const file = keptStateFile({ experiment: builtin, config: config as unknown as Record<string, unknown> }, weights, new Map());
  assert.equal(file.format, "npz");
  assert.deepEqual(file.arrays, [
    { name: "layers.0.weight", shape: [2, 8] }, { name: "layers.0.bias", shape: [8] },
    { name: "layers.1.weight", shape: [8, 4] }, { name: "layers.1.bias", shape: [4] },
  ]);
  const arrays = decodeNpz(file.bytes);
  const joined = Buffer.concat(Object.values(arrays).map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)));
  assert.deepEqual(new Uint8Array(joined), weights);
});

test("a population-based training member's kept checkpoint: the .npz of the weights it holds", () => {
  const config = NetworkConfigSchema.parse({ dataset: { name: "moons", train: 100, test: 20 }, model: { hidden: [4] }, train: { epochs: 2, batch: 16, optimizer: "adam", lr: 0.01 } });
  let kept: Uint8Array | undefined;
  const { weights } = trainNetwork(instantiateKernels(module), { ...config, dataset: config.dataset as BuiltinDatasetSpec }, {
    checkpointDue: (at) => at.epochDone && at.epoch === 2, onCheckpoint: (at, bytes) => void (kept = encodeCheckpoint({ step: at.epoch, reports: [], state: bytes })),
  });
  const asWeights = keptStateFile({ experiment: builtin, config: config as unknown as Record<string, unknown> }, weights, new Map());
  const asMember = keptStateFile({ experiment: builtin, config: config as unknown as Record<string, unknown> }, kept!, new Map());
  assert.deepEqual(asMember, asWeights);
});

test("a built-in trial on a file dataset: the input width and classes come from the dataset's blob", () => {
  const dataset = { file: "./iris.csv", label: "species" };
  const config = { dataset, model: { hidden: [5] }, train: { epochs: 1, batch: 4, lr: 0.1 } };
  const blob = encodeDatasetBlob({ x: new Float32Array(8 * 4), shape: [8, 4], y: Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]), classes: ["a", "b", "c"] }, { testStart: null });
  const blobs = new Map([[datasetBlobKey(FileDatasetSpec.parse(dataset)), blob]]);
  const file = keptStateFile({ experiment: builtin, config }, new Uint8Array((4 * 5 + 5 + 5 * 3 + 3) * 4), blobs);
  assert.deepEqual(file.arrays!.map((a) => a.shape), [[4, 5], [5], [5, 3], [3]]);
});

test("an experiment's own state: an .npz of named arrays (a ctx.nn stateDict) as it is, anything else raw", () => {
  const nn = createNN(instantiateKernels(module), 1);
  const npz = encodeNpz(nn.stateDict({ fc: new nn.Linear(3, 2) }));
  const kept = keptStateFile({ experiment: own, config: {} }, npz, new Map());
  assert.deepEqual(kept, { bytes: npz, format: "npz", arrays: [{ name: "fc.weight", shape: [2, 3] }, { name: "fc.bias", shape: [2] }] });
  const raw = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
  assert.deepEqual(keptStateFile({ experiment: own, config: {} }, raw, new Map()), { bytes: raw, format: "raw" }, "zip magic, no arrays: raw");
  const bytes = new Uint8Array([9, 8, 7]);
  assert.deepEqual(keptStateFile({ experiment: own, config: {} }, bytes, new Map()), { bytes, format: "raw" });
});
