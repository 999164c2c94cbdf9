// The built-in trainer's layers as ctx.nn modules: their backward writes into the gradient it is
// given only when that gradient is the pass's own, so a caller's seed and a loss's kept gradient
// are never changed (a second backward() gives the first one's gradients).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { Engine } from "./tensor.ts";
import "./backward.ts";
import { ConfigLayer, fusedLoss } from "./config-layers.ts";
import { Sequential } from "./sequential.ts";
import { planLayers } from "../layers/plan.ts";

const module = await compileKernels();

function setup() {
  const e = new Engine(instantiateKernels(module), 1);
  const plans = planLayers([3], [{ type: "dense", units: 4, activation: "tanh" }, { type: "dense", units: 2, activation: "none" }], 2);
  const layers = plans.map((p) => new ConfigLayer(e, p, 0));
  for (const l of layers) e.k.fillF32(l.weight!.ptr, l.weight!.size, 0.3);
  const x = e.make([2, 3], true);
  e.writeF32(x.ptr, [0.1, -0.2, 0.3, 0.5, 0.4, -0.6]);
  return { e, net: new Sequential(...layers), layers, x };
}

test("a caller's seed given to backward() is left as it was", () => {
  const { e, layers, x } = setup();
  const y = layers[0]!.forward(x);
  const seed = e.make([2, 4], true);
  e.writeF32(seed.ptr, [1, 1, 1, 1, 1, 1, 1, 1]);
  y.backward(seed);
  assert.deepEqual([...seed.data()], [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.ok(layers[0]!.weight!.grad!.data().some((v) => v !== 0));
});

test("a fused loss's backward twice gives the same gradients (its kept gradient is not written into)", () => {
  const { e, net, x } = setup();
  const labels = e.make([2], true);
  e.writeI32(labels.ptr, [1, 0]);
  const sink = { value: 0 };
  const loss = fusedLoss(net.forward(x), labels, "softmaxCrossEntropy", sink);
  const grads = () => net.parameters().map((p) => [...p.grad!.data()]);
  loss.backward();
  const first = grads();
  for (const p of net.parameters()) p.grad = (p.grad!.dispose(), null);
  loss.backward();
  assert.deepEqual(grads(), first);
  assert.ok(sink.value > 0);
});

test("a fused loss refuses targets fewer than its kernel reads", () => {
  const { e, net, x } = setup();
  const short = e.make([3], true);
  assert.throws(() => fusedLoss(net.forward(x), short, "mseTargets", { value: 0 }), /fusedLoss: 3 targets for 2 rows × 2 outputs \(mseTargets reads 4\)/);
});

test("a layer refuses an input of another width or a freed one, naming the layer", () => {
  const { e, layers } = setup();
  const wide = e.make([2, 5], true);
  assert.throws(() => layers[0]!.forward(wide), /model layer 0 \(dense\): expects \[rows, 3\], got \[2,5\]/);
  wide.dispose();
  assert.throws(() => layers[0]!.forward(wide), /model layer 0 \(dense\): the tensor \[2,5\] was disposed/);
});
