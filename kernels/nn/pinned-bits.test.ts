// ctx.nn's bits, pinned: a researcher's stored result hashes must keep reproducing, so a change
// to the library or its kernels that moves any bit of a trained model fails here first (as the
// built-in's engine pins its relu weights). If a change must move them, say so in the README.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN } from "./nn.ts";

const module = await compileKernels();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex").slice(0, 16);

test("a regression MLP (tanh, a 1-output head, MSE, Adam) trains to pinned bits (those of the release before this one too)", () => {
  const nn = createNN(instantiateKernels(module), 5);
  const l1 = new nn.Linear(3, 16), l2 = new nn.Linear(16, 1);
  const params = [...l1.parameters(), ...l2.parameters()];
  const opt = nn.optim.adam(params, { lr: 0.01 });
  const xs = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), ys = Float32Array.from({ length: 10 }, (_, i) => Math.cos(i));
  for (let s = 0; s < 50; s++) nn.tidy(() => { opt.zeroGrad(); nn.mseLoss(l2.forward(l1.forward(nn.tensor(xs, [10, 3])).tanh()), nn.tensor(ys, [10, 1])).backward(); opt.step(); });
  assert.equal(sha(nn.stateOf(params)), "4497ad5bf0b7a2f4");
});

test("a classifier (relu, gelu, dropout, layerNorm, cross-entropy, AdamW, clipping, SGD with momentum) trains to pinned bits", () => {
  const nn = createNN(instantiateKernels(module), 11);
  const model = new nn.Sequential(new nn.Linear(4, 12), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(12, 12), new nn.GELU(), new nn.Linear(12, 3));
  const norm = new nn.LayerNorm(4);
  const params = [...model.parameters(), ...norm.parameters()];
  const adamw = nn.optim.adamw(params.slice(0, 4), { lr: 0.01, weightDecay: 0.1 });
  const sgd = nn.optim.sgd(params.slice(4), { lr: 0.05, momentum: 0.9 });
  const xs = Float32Array.from({ length: 9 * 4 }, (_, i) => Math.sin(i * 0.37) * 2), labels = Int32Array.from({ length: 9 }, (_, i) => i % 3);
  for (let s = 0; s < 40; s++) {
    nn.tidy(() => {
      adamw.zeroGrad();
      sgd.zeroGrad();
      nn.crossEntropy(model.forward(norm.forward(nn.tensor(xs, [9, 4]))), labels).backward();
      nn.clipGradNorm(params, 1);
      adamw.step();
      sgd.step();
    });
  }
  assert.equal(sha(nn.stateOf(params)), PINNED_CLASSIFIER);
});

// The same bits as the release before nn.Sequential, whose functional form of this model gave them.
const PINNED_CLASSIFIER = "02a520bb7daac3a0";
