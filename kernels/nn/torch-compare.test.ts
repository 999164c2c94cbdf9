// A model's gradients against PyTorch's on the same inputs and weights (within 1e-4 of the
// largest gradient of each parameter), when python3 has torch; skipped, saying so, when not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN } from "./nn.ts";
import type { Tensor } from "./tensor.ts";
import { pythonWithTorch } from "../bench/python-with-torch.ts";

const module = await compileKernels();
const python = pythonWithTorch();

const SCRIPT = `
import json, sys, torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float32)
d = json.load(sys.stdin)
t = lambda k: torch.tensor(d[k]["values"], dtype=torch.float32).reshape(d[k]["shape"]).requires_grad_(k != "x")
x, w1, b1, w2, b2 = t("x"), t("w1"), t("b1"), t("w2"), t("b2")
h = F.gelu(F.linear(x, w1, b1), approximate="tanh")
h = torch.tanh(h) * torch.sigmoid(h) + h.softmax(dim=1)
logits = F.linear(h, w2, b2)
loss = F.cross_entropy(logits, torch.tensor(d["labels"])) + 0.1 * F.mse_loss(logits.log_softmax(dim=1).exp(), torch.full(logits.shape, 0.25))
loss.backward()
print(json.dumps({"loss": loss.item(), **{k: v.grad.flatten().tolist() for k, v in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items()}}))
`;

const skip = python ? false : "PyTorch is not installed (no python3 here imports torch; Debian: apt-get install python3-torch): skipped";

/** Deterministic values in (−0.9, 0.9) for an input of `n` elements. */
const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 0.9);

/** Inputs of these shapes (x without a gradient, the rest parameters), and PyTorch's loss and gradients on them. */
function withTorch(script: string, shapes: Record<string, number[]>, labels: number[]) {
  const data = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, { values: [...fill(s.reduce((a, b) => a * b, 1), i + 1)], shape: s }]));
  const py = spawnSync(python!, ["-c", script], { input: JSON.stringify({ ...data, labels }), encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  return { data, torch: JSON.parse(py.stdout) as Record<string, number[]> & { loss: number } };
}

/** Our loss and every parameter's gradient within 1e-4 of PyTorch's (relative to the loss, and to the parameter's largest gradient). */
function assertMatches(loss: number, params: Record<string, Tensor>, torch: Record<string, number[]> & { loss: number }): void {
  assert.ok(Math.abs(loss - torch.loss) <= 1e-4 * Math.abs(torch.loss), `loss ${loss} vs ${torch.loss}`);
  for (const [k, p] of Object.entries(params)) {
    const ours = p.grad!.data(), theirs = torch[k]!;
    assert.equal(ours.length, theirs.length, k);
    const scale = Math.max(...theirs.map(Math.abs));
    theirs.forEach((v, i) => assert.ok(Math.abs(ours[i]! - v) <= 1e-4 * scale, `${k}[${i}]: ${ours[i]} vs PyTorch ${v}`));
  }
}

test("a model's gradients match PyTorch's (gelu tanh form, tanh, sigmoid, softmaxes, cross-entropy, mse)", { skip }, () => {
  const nn = createNN(instantiateKernels(module), 1);
  const labels = [0, 2, 1, 1, 2];
  const { data, torch } = withTorch(SCRIPT, { x: [5, 4], w1: [6, 4], b1: [6], w2: [3, 6], b2: [3] }, labels);
  const p = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, nn.tensor(v.values, v.shape, { requiresGrad: k !== "x" })]));
  const loss = nn.tidy(() => {
    let h = nn.linear(p.x!, p.w1!, p.b1!).gelu();
    h = h.tanh().mul(h.sigmoid()).add(h.softmax(1));
    const logits = nn.linear(h, p.w2!, p.b2!);
    const l = nn.crossEntropy(logits, Int32Array.from(labels)).add(nn.mseLoss(logits.logSoftmax(1).exp(), nn.tensor(new Float32Array(15).fill(0.25), [5, 3])).mul(0.1));
    l.backward();
    return l.item();
  });
  const { x: _, ...params } = p;
  assertMatches(loss, params as Record<string, Tensor>, torch);
});

const CNN_SCRIPT = `
import json, sys, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
t = lambda k: torch.tensor(d[k]["values"], dtype=torch.float32).reshape(d[k]["shape"]).requires_grad_(k != "x")
x, w1, b1, w2, w3, b3 = t("x"), t("w1"), t("b1"), t("w2"), t("w3"), t("b3")
h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, stride=2, padding=1)), 2, 1)
h = F.avg_pool2d(torch.tanh(F.conv2d(h, w2)), 2)
loss = F.cross_entropy(F.linear(h.reshape(2, 5), w3, b3), torch.tensor(d["labels"]))
loss.backward()
print(json.dumps({"loss": loss.item(), **{k: v.grad.flatten().tolist() for k, v in {"w1": w1, "b1": b1, "w2": w2, "w3": w3, "b3": b3}.items()}}))
`;

test("a CNN's gradients match PyTorch's (conv2d with stride, padding and bias, relu, maxPool2d, avgPool2d, linear)", { skip }, () => {
  const nn = createNN(instantiateKernels(module), 1);
  const labels = [2, 0];
  // x [2, 3, 9, 8] → conv 3→4, k3, s2, p1 → [2, 4, 5, 4] → max 2 (stride 1) → [2, 4, 4, 3] → conv 4→5, k2 → [2, 5, 3, 2] → avg 2 → [2, 5, 1, 1]
  const { data, torch } = withTorch(CNN_SCRIPT, { x: [2, 3, 9, 8], w1: [4, 3, 3, 3], b1: [4], w2: [5, 4, 2, 2], w3: [3, 5], b3: [3] }, labels);
  const p = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, nn.tensor(v.values, v.shape, { requiresGrad: k !== "x" })]));
  const loss = nn.tidy(() => {
    let h = nn.maxPool2d(nn.conv2d(p.x!, p.w1!, p.b1!, { stride: 2, padding: 1 }).relu(), 2, 1);
    h = nn.avgPool2d(nn.conv2d(h, p.w2!).tanh(), 2);
    const l = nn.crossEntropy(nn.linear(h.reshape(2, 5), p.w3!, p.b3!), Int32Array.from(labels));
    l.backward();
    return l.item();
  });
  const { x: _, ...params } = p;
  assertMatches(loss, params as Record<string, Tensor>, torch);
});
