// A built-in trial's weights as named arrays: the names and shapes docs/kept-models.md lists,
// and (with a python that has numpy) the NumPy forward passes of that page, run as written,
// count as many correct test predictions as the trainer's reported testAccuracy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileKernels, instantiateKernels } from "../../../kernels/load.ts";
import { trainNetwork } from "../../../kernels/network.ts";
import { readLocalDatasetBlob } from "../../../kernels/datasets/local-blobs.ts";
import { builtinHostDataset } from "../../../kernels/datasets/builtin-host-dataset.ts";
import { pythonWith } from "../../../kernels/bench/python-with-torch.ts";
import { tempDataDir } from "../../datasets/test-files.ts";
import { encodeDatasetBlob } from "../../datasets/dataset-blob.ts";
import { encodeNpz } from "../npz.ts";
import { NetworkConfigSchema, type NetworkConfig } from "./network-config.ts";
import { networkStateArrays } from "./network-state-arrays.ts";

const module = await compileKernels();
const blobs = { mnist: readLocalDatasetBlob("mnist") };

const DOC = readFileSync(fileURLToPath(new URL("../../../docs/kept-models.md", import.meta.url)), "utf8");
const [MLP_PASS, LAYERS_PASS] = [...DOC.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);

function trained(input: unknown) {
  const config = NetworkConfigSchema.parse(input);
  const dataset = config.dataset as Exclude<NetworkConfig["dataset"], { file: string }>;
  const result = trainNetwork(instantiateKernels(module), { dataset, model: config.model, train: config.train }, { blobs });
  return { config, dataset, result };
}

const MLP = { dataset: { name: "mnist", train: 3000, test: 1000 }, model: { hidden: [64, 32] }, train: { epochs: 3, batch: 32, optimizer: "adam", lr: 0.002, seed: 1 } };
const CNN_LAYERS = [
  { type: "conv2d", filters: 4, kernel: 4, padding: "same", activation: "relu" },
  { type: "maxpool2d", size: 2 },
  { type: "conv2d", filters: 8, kernel: 3, stride: 2, activation: "tanh" },
  { type: "avgpool2d", size: 2 },
  { type: "flatten" },
  { type: "dropout", rate: 0.2 },
  { type: "dense", units: 10 },
];
const CNN = { dataset: { name: "mnist", train: 2000, test: 500 }, model: { layers: CNN_LAYERS }, train: { epochs: 3, batch: 32, optimizer: "adam", lr: 0.005, seed: 2 } };

test("an MLP's arrays: layers.i.weight [in, out] and layers.i.bias [out], the output layer last", () => {
  const { config, result } = trained({ ...MLP, train: { ...MLP.train, epochs: 1 } });
  const arrays = networkStateArrays(config, result.weights);
  assert.deepEqual(Object.entries(arrays).map(([name, a]) => [name, a.shape]), [
    ["layers.0.weight", [784, 64]], ["layers.0.bias", [64]],
    ["layers.1.weight", [64, 32]], ["layers.1.bias", [32]],
    ["layers.2.weight", [32, 10]], ["layers.2.bias", [10]],
  ]);
  // The arrays are the weight bytes in order, split: joined again they hash the same.
  const joined = Buffer.concat(Object.values(arrays).map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)));
  assert.deepEqual(new Uint8Array(joined), result.weights);
  assert.throws(() => networkStateArrays(config, result.weights.subarray(4)), /networkWeightArrays: 210596 bytes of weights; this model on input \[784\] with 10 outputs has 52650 parameters/);
});

test("a CNN's arrays: conv2d weights [kernel, kernel, in channels, filters], layers without parameters skipped", () => {
  const { config, result } = trained({ ...CNN, train: { ...CNN.train, epochs: 1 } });
  assert.deepEqual(Object.entries(networkStateArrays(config, result.weights)).map(([name, a]) => [name, a.shape]), [
    ["layers.0.weight", [4, 4, 1, 4]], ["layers.0.bias", [4]],
    ["layers.2.weight", [3, 3, 4, 8]], ["layers.2.bias", [8]],
    ["layers.6.weight", [72, 10]], ["layers.6.bias", [10]],
  ]);
});

test("a file dataset's shape and classes come from its packed blob", () => {
  const table = { x: new Float32Array(6 * 3), shape: [6, 3], y: Int32Array.from([0, 1, 2, 3, 0, 1]), classes: ["a", "b", "c", "d"] };
  const blob = encodeDatasetBlob(table, { testStart: null });
  const config = { dataset: { file: "./t.csv", label: "c" }, model: { hidden: [5] }, train: { epochs: 1, batch: 2, lr: 0.1 } };
  const arrays = networkStateArrays(config, new Uint8Array((3 * 5 + 5 + 5 * 4 + 4) * 4), blob);
  assert.deepEqual(arrays["layers.1.weight"]!.shape, [5, 4]);
  assert.throws(() => networkStateArrays(config, new Uint8Array(4)), /a file dataset's shape comes with its packed blob; none was given/);
});

const python = pythonWith("numpy");
for (const [name, input, pass] of [["an MLP", MLP, () => MLP_PASS], ["a CNN (conv2d same and stride 2, max and average pooling, dropout)", CNN, () => LAYERS_PASS]] as const) {
  test(`the NumPy forward pass of docs/kept-models.md gives ${name}'s reported test accuracy`, { timeout: 120_000, skip: python ? false : "no python with numpy (set DISCALC_PYTHON)" }, () => {
    assert.ok(pass(), "docs/kept-models.md has the python block");
    const { config, dataset, result } = trained(input);
    const test = builtinHostDataset(instantiateKernels(module), dataset, blobs).test;
    const dir = tempDataDir();
    try {
      dir.write("trial.npz", encodeNpz(networkStateArrays(config, result.weights)));
      dir.write("test.npz", encodeNpz({ x: { shape: [test.count, 28, 28, 1], data: test.x }, y: { shape: [test.count], data: test.y as Int32Array } }));
      dir.write("layers.json", JSON.stringify(CNN_LAYERS));
      const run = spawnSync(python!, ["-c", pass()], { cwd: dir.dir, encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      const [correct, , count] = run.stdout.trim().split(" ").map(Number);
      assert.equal(count, test.count);
      assert.equal(correct! / count!, result.final!.testAccuracy, `NumPy: ${correct} of ${count}; the trainer: ${result.final!.testAccuracy! * count!}`);
      assert.ok(result.final!.testAccuracy! > 0.7, `accuracy ${result.final!.testAccuracy}: a trained model, not a constant guess`);
    } finally {
      dir.remove();
    }
  });
}
