// nn.Sequential and the weightless modules: the same bits as the ops written out, PyTorch's
// parameter names, train/eval for dropout, and clear refusals; against PyTorch's own
// nn.Sequential (loaded from our state dict by name) when python3 has torch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN } from "./nn.ts";
import { pythonWithTorch } from "../bench/python-with-torch.ts";

const module = await compileKernels();
const python = pythonWithTorch();

test("a Sequential MLP computes what its layers written out compute, bit for bit, gradients included", () => {
  const nn = createNN(instantiateKernels(module), 5);
  const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 2), new nn.Sigmoid());
  const [l0, , l2, , l4] = model.layers as [InstanceType<typeof nn.Linear>, unknown, InstanceType<typeof nn.Linear>, unknown, InstanceType<typeof nn.Linear>];
  const x = nn.tensor(Float32Array.from({ length: 15 }, (_, i) => Math.cos(i)), [5, 3]);
  const run = (f: () => ReturnType<typeof nn.tensor>) => nn.tidy(() => {
    const y = f();
    y.sum().backward();
    const out = { y: y.data(), grads: model.parameters().map((p) => p.grad!.data()) };
    for (const p of model.parameters()) { p.grad!.dispose(); p.grad = null; }
    return out;
  });
  const ours = run(() => model.forward(x));
  const byHand = run(() => l4.forward(l2.forward(l0.forward(x).tanh()).relu()).sigmoid());
  assert.deepEqual(ours, byHand);
  assert.equal(model.length, 6);
  assert.equal(model.at(-1) instanceof nn.Sigmoid, true);
  assert.throws(() => model.at(6), /no layer 6 among 6/);
});

test("parameters are named as PyTorch names a Sequential's (index, then name), nested too, and state dicts round-trip", () => {
  const nn = createNN(instantiateKernels(module), 6);
  const model = { body: new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Sequential(new nn.Linear(4, 4, { bias: false }), new nn.GELU())), head: new nn.Linear(4, 1) };
  assert.deepEqual(Object.keys(nn.namedParameters(model)), ["body.0.weight", "body.0.bias", "body.2.0.weight", "head.weight", "head.bias"]);
  const shared = new nn.Linear(3, 3);
  assert.equal(new nn.Sequential(shared, new nn.Tanh(), shared).parameters().length, 2, "a shared layer's weights once, as PyTorch's parameters()");
  const saved = nn.stateDict(model);
  const other = { body: new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Sequential(new nn.Linear(4, 4, { bias: false }), new nn.GELU())), head: new nn.Linear(4, 1) };
  nn.loadStateDict(other, saved);
  assert.deepEqual(nn.stateDict(other), saved);
});

test("train() and eval() reach dropout in nested Sequentials; Flatten and the pools shape as PyTorch's", () => {
  const nn = createNN(instantiateKernels(module), 7);
  const drop = new nn.Dropout(0.5);
  const model = new nn.Sequential(new nn.Sequential(drop), new nn.Flatten());
  const x = nn.ones([2, 3, 4]);
  nn.tidy(() => {
    const trained = model.forward(x).data();
    assert.deepEqual([...model.forward(x).shape], [2, 12]);
    assert.ok(trained.some((v) => v === 0) && trained.some((v) => v === 2), "training: dropped and scaled");
    model.eval();
    assert.equal(drop.training, false);
    assert.deepEqual([...model.forward(x).data()], new Array(24).fill(1), "eval: the identity");
    model.train();
    assert.equal(drop.training, true);
    assert.deepEqual([...new nn.Flatten(0).forward(x).shape], [24]);
    assert.deepEqual([...new nn.Flatten(1, 1).forward(x).shape], [2, 3, 4]);
    const img = nn.ones([1, 2, 6, 6]);
    assert.deepEqual([...new nn.MaxPool2d(2).forward(img).shape], [1, 2, 3, 3]);
    assert.deepEqual([...new nn.AvgPool2d(3, 1).forward(img).shape], [1, 2, 4, 4]);
  });
  x.dispose();
});

test("Sequential refuses what is not a module, naming its position; Dropout and Flatten refuse bad arguments", () => {
  const nn = createNN(instantiateKernels(module), 8);
  assert.throws(() => new nn.Sequential(new nn.Linear(2, 2), nn.relu as never), /argument 1 is not a module .*new nn\.ReLU\(\)/);
  assert.throws(() => new nn.Dropout(1), /Dropout: p must be in \[0, 1\), got 1/);
  assert.throws(() => nn.tidy(() => new nn.Flatten(2).forward(nn.ones([2, 3]))), /Flatten: dims 2\.\.-1 do not fit a tensor of rank 2/);
});

const SCRIPT = `
import json, sys, torch
from torch import nn
d = json.load(sys.stdin)
model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 5), nn.Tanh(), nn.Linear(5, 3))
model.load_state_dict({k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"]) for k, v in d["state"].items()}, strict=True)
x = torch.tensor(d["x"], dtype=torch.float32).reshape(2, 1, 4, 4)
loss = nn.functional.cross_entropy(model(x), torch.tensor(d["labels"]))
loss.backward()
print(json.dumps({"loss": loss.item(), "grads": {k: p.grad.flatten().tolist() for k, p in model.named_parameters()}}))
`;

test("a Sequential CNN loads into PyTorch's nn.Sequential by name and gets its loss and gradients", { skip: python ? false : "PyTorch is not installed (no python3 here imports torch): skipped" }, () => {
  const nn = createNN(instantiateKernels(module), 9);
  const model = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 5), new nn.Tanh(), new nn.Linear(5, 3));
  const xs = Array.from({ length: 32 }, (_, i) => Math.sin(i * 0.7));
  const labels = [2, 0];
  const state = Object.fromEntries(Object.entries(nn.stateDict(model)).map(([k, a]) => [k, { values: [...a.data], shape: a.shape }]));
  const py = spawnSync(python!, ["-c", SCRIPT], { input: JSON.stringify({ state, x: xs, labels }), encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const torch = JSON.parse(py.stdout) as { loss: number; grads: Record<string, number[]> };
  const loss = nn.tidy(() => {
    const l = nn.crossEntropy(model.forward(nn.tensor(xs, [2, 1, 4, 4])), Int32Array.from(labels));
    l.backward();
    return l.item();
  });
  assert.ok(Math.abs(loss - torch.loss) <= 1e-5 * Math.abs(torch.loss), `loss ${loss} vs PyTorch ${torch.loss}`);
  const named = nn.namedParameters(model);
  assert.deepEqual(Object.keys(named), Object.keys(torch.grads));
  for (const [k, p] of Object.entries(named)) {
    const ours = p.grad!.data(), theirs = torch.grads[k]!;
    const scale = Math.max(...theirs.map(Math.abs));
    theirs.forEach((v, i) => assert.ok(Math.abs(ours[i]! - v) <= 1e-4 * scale, `${k}[${i}]: ${ours[i]} vs PyTorch ${v}`));
  }
});
