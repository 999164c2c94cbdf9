// conv2d and the pools in a model: a tiny CNN learns to tell horizontal bars from vertical
// ones, with the same bits from the same seed and flat memory; Conv2d's initialisation.
// (Each op's gradient against finite differences is in gradcheck.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";
import type { Tensor } from "./tensor.ts";

const module = await compileKernels();
const fresh = (seed = 1) => createNN(instantiateKernels(module), seed);

/** n 8×8 one-channel images: a bright bar on a row (label 0) or a column (label 1), over noise. */
function bars(n: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 64), y = new Int32Array(n);
  let r = 12345;
  const next = () => (r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    const at = Math.floor(next() * 8);
    for (let p = 0; p < 64; p++) {
      const onBar = y[i] === 0 ? Math.floor(p / 8) === at : p % 8 === at;
      x[i * 64 + p] = (onBar ? 1 : 0) + 0.3 * (next() - 0.5);
    }
  }
  return { x, y };
}

function cnn(nn: NN) {
  const c1 = new nn.Conv2d(1, 4, 3, { padding: 1 }), c2 = new nn.Conv2d(4, 8, 3), fc = new nn.Linear(8, 2);
  return {
    // [N, 1, 8, 8] → conv → [N, 4, 8, 8] → max 2 → [N, 4, 4, 4] → conv → [N, 8, 2, 2] → avg 2 → [N, 8]
    forward: (x: Tensor) => {
      const h = nn.maxPool2d(c1.forward(x).relu(), 2);
      return fc.forward(nn.avgPool2d(c2.forward(h).relu(), 2).reshape(-1, 8));
    },
    parameters: () => [...c1.parameters(), ...c2.parameters(), ...fc.parameters()],
  };
}

function train(nn: NN, steps: number) {
  const data = bars(64);
  const model = cnn(nn);
  const params = model.parameters();
  const opt = nn.optim.adam(params, { lr: 0.02 });
  const x = nn.tensor(data.x, [64, 1, 8, 8]);
  const losses: number[] = [];
  let memoryAfterFirst = nn.memory();
  for (let step = 0; step < steps; step++) {
    losses.push(nn.tidy(() => {
      opt.zeroGrad();
      const loss = nn.crossEntropy(model.forward(x), data.y);
      loss.backward();
      opt.step();
      return loss.item();
    }));
    if (step === 0) memoryAfterFirst = nn.memory();
  }
  const accuracy = nn.noGrad(() => nn.tidy(() => {
    const logits = model.forward(x).data();
    let right = 0;
    for (let i = 0; i < 64; i++) if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === data.y[i]) right++;
    return right / 64;
  }));
  return { losses, accuracy, state: nn.stateOf(params), memoryAfterFirst, memoryAtEnd: nn.memory() };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("a tiny CNN (Conv2d, relu, maxPool2d, avgPool2d, Linear, Adam) learns bars, the same bits from the same seed, memory flat", () => {
  const run = train(fresh(3), 80);
  assert.ok(run.losses.at(-1)! < 0.1 * run.losses[0]!, `loss ${run.losses[0]} → ${run.losses.at(-1)}`);
  assert.ok(run.accuracy >= 0.95, `accuracy ${run.accuracy}`);
  assert.equal(sha(train(fresh(3), 80).state), sha(run.state), "another instance, the same seed: the same bits");
  assert.notEqual(sha(train(fresh(4), 80).state), sha(run.state), "another seed: other bits");
  assert.deepEqual(run.memoryAtEnd, run.memoryAfterFirst, "memory after the last step as after the first");
});

test("Conv2d is initialised as PyTorch's: weight [out, in, kh, kw] and bias uniform within ±1/√(in·kh·kw), seeded", () => {
  const nn = fresh();
  const a = new nn.Conv2d(3, 5, [3, 2], { seed: 9 }), b = new nn.Conv2d(3, 5, [3, 2], { seed: 9 });
  assert.deepEqual([...a.weight.shape], [5, 3, 3, 2]);
  assert.deepEqual([...a.bias!.shape], [5]);
  const bound = 1 / Math.sqrt(18);
  const w = a.weight.data();
  assert.ok(w.every((v) => Math.abs(v) <= bound) && Math.max(...w.map(Math.abs)) > 0.8 * bound, "fills the bound");
  assert.deepEqual(w, b.weight.data(), "the same seed, the same weights");
  assert.equal(new nn.Conv2d(3, 5, 3, { bias: false }).parameters().length, 1);
});

test("conv2d and the pools refuse shapes PyTorch refuses, saying why", () => {
  const nn = fresh();
  nn.tidy(() => {
    const x = nn.zeros([1, 2, 4, 4]);
    assert.throws(() => nn.conv2d(x, nn.zeros([3, 1, 3, 3])), /weight must be \[F, 2, KH, KW\]/);
    assert.throws(() => nn.conv2d(x, nn.zeros([3, 2, 5, 5])), /does not fit/);
    assert.throws(() => nn.conv2d(x, nn.zeros([3, 2, 3, 3]), nn.zeros([2])), /bias must be \[3\]/);
    assert.throws(() => nn.conv2d(x, nn.zeros([3, 2, 3, 3]), null, { stride: 2, padding: "same" }), /"same" needs stride 1/);
    assert.throws(() => nn.conv2d(x, nn.zeros([3, 2, 3, 3]), null, { padding: -1 }), /non-negative integer/);
    assert.throws(() => nn.maxPool2d(x, 5), /does not fit/);
    assert.throws(() => nn.avgPool2d(nn.zeros([4, 4]), 2), /\[N, C, H, W\] or \[C, H, W\]/);
  });
});
