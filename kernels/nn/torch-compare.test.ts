// A model's gradients against PyTorch's on the same inputs and weights (within 1e-4 of the
// largest gradient of each parameter), when python3 has torch; skipped, saying so, when not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN } from "./nn.ts";
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

test("a model's gradients match PyTorch's (gelu tanh form, tanh, sigmoid, softmaxes, cross-entropy, mse)", { skip: python ? false : "PyTorch is not installed (no python3 here imports torch; Debian: apt-get install python3-torch): skipped" }, () => {
  const nn = createNN(instantiateKernels(module), 1);
  const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 0.9);
  const shapes = { x: [5, 4], w1: [6, 4], b1: [6], w2: [3, 6], b2: [3] } as const;
  const data = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, { values: [...fill(s.reduce((a, b) => a * b, 1), i + 1)], shape: [...s] }]));
  const labels = [0, 2, 1, 1, 2];
  const py = spawnSync(python!, ["-c", SCRIPT], { input: JSON.stringify({ ...data, labels }), encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const torchOut = JSON.parse(py.stdout) as Record<string, number[]> & { loss: number };
  const p = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, nn.tensor(v.values, v.shape, { requiresGrad: k !== "x" })]));
  nn.tidy(() => {
    let h = nn.linear(p.x!, p.w1!, p.b1!).gelu();
    h = h.tanh().mul(h.sigmoid()).add(h.softmax(1));
    const logits = nn.linear(h, p.w2!, p.b2!);
    const loss = nn.crossEntropy(logits, Int32Array.from(labels)).add(nn.mseLoss(logits.logSoftmax(1).exp(), nn.tensor(new Float32Array(15).fill(0.25), [5, 3])).mul(0.1));
    loss.backward();
    assert.ok(Math.abs(loss.item() - torchOut.loss) <= 1e-4 * Math.abs(torchOut.loss), `loss ${loss.item()} vs ${torchOut.loss}`);
  });
  for (const k of ["w1", "b1", "w2", "b2"]) {
    const ours = p[k]!.grad!.data(), theirs = torchOut[k]!;
    const scale = Math.max(...theirs.map(Math.abs));
    theirs.forEach((v, i) => assert.ok(Math.abs(ours[i]! - v) <= 1e-4 * scale, `${k}[${i}]: ${ours[i]} vs PyTorch ${v}`));
  }
});
