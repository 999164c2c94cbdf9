// The built-in trainer's weights, pinned: six configs' hashes as the fixed-buffer trainer (the
// release before the trainer became a model on ctx.nn) gave them. A change that moves the
// built-in's bits fails here first; if it must, bump ENGINE_VERSION (kernels/engine-version.ts)
// and say so in the README, and pin the new hashes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "./load.ts";
import { trainMlp } from "./network.ts";
import { parseTrialConfig } from "./mlp-config.ts";
import { readLocalDatasetBlob } from "./datasets/local-blobs.ts";

const module = await compileKernels();
const blobs = { mnist: readLocalDatasetBlob("mnist") };

/** Dense layers with each activation and loss, dropout, both pools, a convolution deep enough for im2col, every optimizer, schedules, a validation split. */
const configs: Record<string, unknown> = {
  spiralsTanhAdam: { dataset: { name: "spirals", train: 1200, test: 300, classes: 3 }, model: { hidden: [32, 32], activation: "tanh" }, train: { epochs: 4, batch: 32, optimizer: "adam", lr: 0.01, weightDecay: 0.01 } },
  moonsSigmoidMomentum: { dataset: { name: "moons", train: 600, test: 200, validation: 0.1 }, model: { hidden: [16], activation: "sigmoid" }, train: { epochs: 4, batch: 16, optimizer: "momentum", lr: 0.1, schedule: "cosine" } },
  xorMse: { dataset: { name: "xor", train: 600, test: 200 }, model: { hidden: [16] }, train: { epochs: 4, batch: 16, lr: 0.05, loss: "mse", weightDecay: 1e-4, schedule: { type: "step", every: 2, gamma: 0.5 } } },
  dropoutRelu: { dataset: { name: "spirals", train: 500, test: 100, classes: 3 }, model: { layers: [{ type: "dense", units: 24, activation: "relu" }, { type: "dropout", rate: 0.3 }, { type: "dense", units: 3, activation: "none" }] }, train: { epochs: 3, batch: 20, optimizer: "adam", lr: 0.01 } },
  cnn: { dataset: { name: "mnist", train: 600, test: 200 }, model: { layers: [{ type: "conv2d", filters: 4, kernel: 5, padding: "same", activation: "relu" }, { type: "maxpool2d", size: 2 }, { type: "conv2d", filters: 8, kernel: 3, activation: "tanh" }, { type: "avgpool2d", size: 2 }, { type: "flatten" }, { type: "dropout", rate: 0.2 }, { type: "dense", units: 10, activation: "none" }] }, train: { epochs: 2, batch: 50, optimizer: "adam", lr: 0.002 } },
  cnnDeep: { dataset: { name: "mnist", train: 200, test: 100 }, model: { layers: [{ type: "conv2d", filters: 12, kernel: 3, padding: "same", activation: "relu" }, { type: "conv2d", filters: 8, kernel: 5, stride: 2, activation: "relu" }, { type: "flatten" }, { type: "dense", units: 10, activation: "none" }] }, train: { epochs: 2, batch: 32, optimizer: "sgd", lr: 0.01 } },
};
const pinned: Record<string, string> = {
  spiralsTanhAdam: "21719368be785aae0f8788e34f89f8e7f8010fdb3d39e2954357e03a9a0368fb",
  moonsSigmoidMomentum: "b75086ce1923c31dff6a15184b807625251d7a1a834abc900bfe529c694cca9b",
  xorMse: "ddde6be346a70a1ea540c31e2cc69e5fd220a3919c488d48cfb50c547befbfbd",
  dropoutRelu: "531c882ed611e3493f8f52ae15d16aa1913502e4d51d111aec91a0e628c3d9b4",
  cnn: "d5b001abc6c214f1850326ffd8589dff881d38169ee61f7b477e1ba09eb4932c",
  cnnDeep: "fd46ec5f2323a93cb19a3cc80f21d2e45d191d61acbf1d5fb33626059769def4",
};

for (const [name, config] of Object.entries(configs)) {
  test(`the built-in's weights keep their bits: ${name}`, () => {
    const result = trainMlp(instantiateKernels(module), parseTrialConfig(config), { blobs });
    assert.equal(result.weightsSha256, pinned[name]);
  });
}
