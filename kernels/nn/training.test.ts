// Training with ctx.nn end to end: an MLP learns a small problem, the same seed gives the
// same parameter bits on separate instances, and memory stays flat over a long tidy loop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";
import { slowTest } from "../slow-test.ts";

const module = await compileKernels();
const fresh = (seed = 1) => createNN(instantiateKernels(module), seed);

/** 2-D points labelled by whether they lie inside a circle (not linearly separable). */
function circleData(n: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = (i * 0.6180339887) % 1, b = (i * 0.7548776662) % 1;
    x[2 * i] = 2 * a - 1;
    x[2 * i + 1] = 2 * b - 1;
    y[i] = x[2 * i]! ** 2 + x[2 * i + 1]! ** 2 < 0.5 ? 1 : 0;
  }
  return { x, y };
}

function mlp(nn: NN, hidden: number) {
  const l1 = new nn.Linear(2, hidden), l2 = new nn.Linear(hidden, hidden), l3 = new nn.Linear(hidden, 2);
  return {
    forward: (x: ReturnType<NN["tensor"]>) => l3.forward(l2.forward(l1.forward(x).tanh()).gelu()),
    parameters: () => [...l1.parameters(), ...l2.parameters(), ...l3.parameters()],
  };
}

function train(nn: NN, steps: number, onStep?: (step: number) => void) {
  const data = circleData(128);
  const model = mlp(nn, 16);
  const params = model.parameters();
  const opt = nn.optim.adamw(params, { lr: 0.02, weightDecay: 1e-4 });
  const x = nn.tensor(data.x, [128, 2]);
  let loss = NaN;
  for (let step = 0; step < steps; step++) {
    loss = nn.tidy(() => {
      opt.zeroGrad();
      const l = nn.crossEntropy(model.forward(x), data.y);
      l.backward();
      nn.clipGradNorm(params, 5);
      opt.step();
      return l.item();
    });
    onStep?.(step);
  }
  const accuracy = nn.noGrad(() => nn.tidy(() => {
    const logits = model.forward(x).data();
    let right = 0;
    for (let i = 0; i < 128; i++) if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === data.y[i]) right++;
    return right / 128;
  }));
  return { loss, accuracy, state: nn.stateOf(params), params, opt, x };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("an MLP (tanh, gelu, AdamW, clipping) learns a non-linear problem in 300 steps", () => {
  const { loss, accuracy } = train(fresh(), 300);
  assert.ok(loss < 0.15, `loss ${loss}`);
  assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
});

test("the same seed gives bit-identical parameters on two separate instances; another seed does not", () => {
  const a = train(fresh(5), 50).state, b = train(fresh(5), 50).state, c = train(fresh(6), 50).state;
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(c));
});

for (const [steps, skip] of [[2_000, false], [20_000, slowTest]] as const) {
  test(`memory is flat over ${steps.toLocaleString("en")} steps inside tidy (tensors, bytes and the wasm heap)`, { skip }, () => memoryIsFlat(steps));
}

function memoryIsFlat(steps: number): void {
  const instance = instantiateKernels(module);
  const nn = createNN(instance, 1);
  const seen = new Map<number, { bytes: number; tensors: number; heap: number }>();
  const run = train(nn, steps, (step) => {
    if (step === 0 || step === 1 || step === steps - 1) seen.set(step, { ...nn.memory(), heap: instance.k.heapTop() });
  });
  const [first, second, last] = [seen.get(0)!, seen.get(1)!, seen.get(steps - 1)!];
  assert.ok(first.tensors > 0 && first.bytes > 0);
  assert.deepEqual({ ...last, heap: 0 }, { ...first, heap: 0 });
  // The heap's high-water mark settles at the second step: the first made the gradients and
  // moments while its temporaries were alive; every later step frees the gradients first.
  assert.equal(last.heap, second.heap);
  // What remains is exactly the parameters, their gradients, the optimiser's moments and the input.
  run.opt.zeroGrad();
  run.opt.dispose();
  run.x.dispose();
  for (const p of run.params) p.dispose();
  assert.deepEqual(nn.memory(), { bytes: 0, tensors: 0 });
}

test("stateOf and loadState round-trip the parameters", () => {
  const nn = fresh(3);
  const l = new nn.Linear(3, 2, { seed: 11 });
  const bytes = nn.stateOf(l.parameters());
  const other = new nn.Linear(3, 2, { seed: 12 });
  assert.notEqual(sha(nn.stateOf(other.parameters())), sha(bytes));
  nn.loadState(other.parameters(), bytes);
  assert.equal(sha(nn.stateOf(other.parameters())), sha(bytes));
  assert.throws(() => nn.loadState(other.parameters(), bytes.subarray(4)), /loadState: 28 bytes for parameters of 32 bytes/);
});

test("Linear is initialised as PyTorch's: weights and bias uniform within ±1/√in, seeded", () => {
  const nn = fresh();
  const l = new nn.Linear(64, 32, { seed: 4 });
  const bound = 1 / 8;
  const w = l.weight.data(), b = l.bias!.data();
  assert.ok(w.every((v) => Math.abs(v) <= bound) && b.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w) > 0.9 * bound && Math.min(...w) < -0.9 * bound, "spread over the whole range");
  assert.equal(sha(nn.stateOf(l.parameters())), sha(nn.stateOf(new nn.Linear(64, 32, { seed: 4 }).parameters())));
  assert.equal(new nn.Linear(4, 3, { bias: false }).bias, null);
});

test("optimisers follow PyTorch's update rules (one step by hand)", () => {
  const nn = fresh();
  const run = (make: (p: ReturnType<NN["tensor"]>[]) => { step(): void }) => {
    const w = nn.tensor([1, -2], [2], { requiresGrad: true });
    const opt = make([w]);
    nn.tidy(() => w.mul(nn.tensor([3, 4], [2])).sum().backward()); // grad = [3, 4]
    opt.step();
    return [...w.data()];
  };
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6, `${a} vs ${b}`));
  close(run((p) => nn.optim.sgd(p, { lr: 0.1, weightDecay: 0.5 })), [1 - 0.1 * (3 + 0.5), -2 - 0.1 * (4 - 1)]);
  // Adam's first step moves each weight by lr (m̂ = g, v̂ = g²); AdamW first decays w by lr·wd.
  close(run((p) => nn.optim.adam(p, { lr: 0.1 })), [0.9, -2.1]);
  close(run((p) => nn.optim.adamw(p, { lr: 0.1, weightDecay: 0.5 })), [1 * 0.95 - 0.1, -2 * 0.95 - 0.1]);
});

test("tidy keeps what it returns, frees the rest; a freed tensor says so when used", () => {
  const nn = fresh();
  const a = nn.tensor([1, 2, 3], [3]);
  let inner: ReturnType<NN["tensor"]> | undefined;
  const kept = nn.tidy(() => {
    inner = a.exp();
    return { out: inner.add(1) };
  });
  assert.equal(nn.memory().tensors, 2);
  assert.deepEqual([...kept.out.data()].map((v) => Math.round(v * 1000) / 1000), [3.718, 8.389, 21.086]);
  assert.throws(() => inner!.data(), /disposed/);
  assert.throws(() => nn.tidy(() => Promise.resolve(1)), /synchronous/);
});

test("noGrad records nothing; backward on a non-scalar without a gradient is refused", () => {
  const nn = fresh();
  const w = nn.tensor([1, 2], [2], { requiresGrad: true });
  nn.tidy(() => {
    assert.equal(nn.noGrad(() => w.mul(2)).requiresGrad, false);
    assert.throws(() => w.mul(2).backward(), /backward: a gradient is needed for a tensor of 2 elements/);
    assert.throws(() => w.add(nn.zeros([3])), /shapes \[2\] and \[3\] do not broadcast/);
  });
});

test("schedules: linear warm-up, and cosine annealing computed in wasm", () => {
  const nn = fresh();
  assert.deepEqual([0, 4, 9, 20].map((s) => nn.schedules.warmup(s, 10)), [0.1, 0.5, 1, 1]);
  assert.equal(nn.schedules.cosine(0, 100, 0.1), 0.1);
  assert.ok(Math.abs(nn.schedules.cosine(50, 100, 0.1) - 0.05) < 1e-12);
  assert.ok(Math.abs(nn.schedules.cosine(100, 100, 0.1)) < 1e-12);
  assert.ok(Math.abs(nn.schedules.cosine(150, 100, 0.1)) < 1e-12, "past the end it stays at 0");
});

test("a one-layer transformer (embeddings, attention, residuals, a ReLU MLP) fits (a + b) mod 7", () => {
  const nn = fresh(2);
  const p = 7, d = 16, seq = 3, n = p * p;
  const tokens = new Int32Array(n * seq), labels = new Int32Array(n), positions = new Int32Array(n * seq);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const i = a * p + b;
    tokens.set([a, b, p], i * seq); // p is the "=" token
    positions.set([0, 1, 2], i * seq);
    labels[i] = (a + b) % p;
  }
  const embed = new nn.Embedding(p + 1, d), pos = new nn.Embedding(seq, d);
  const attn = new nn.MultiheadAttention(d, 2, { batchFirst: true });
  const up = new nn.Linear(d, 4 * d), down = new nn.Linear(4 * d, d), unembed = new nn.Linear(d, p, { bias: false });
  const params = [embed, pos, attn, up, down, unembed].flatMap((m) => m.parameters());
  const opt = nn.optim.adamw(params, { lr: 0.01, weightDecay: 0 });
  const forward = () => {
    const x0 = embed.forward(tokens, [n, seq]).add(pos.forward(positions, [n, seq]));
    const x1 = x0.add(attn.forward(x0, x0, x0, { needWeights: false })[0]);
    const x2 = x1.add(down.forward(up.forward(x1).relu()));
    return unembed.forward(x2.narrow(1, seq - 1, 1).reshape(n, d));
  };
  const losses: number[] = [];
  for (let step = 0; step < 300; step++) {
    losses.push(nn.tidy(() => {
      opt.zeroGrad();
      const loss = nn.crossEntropy(forward(), labels);
      loss.backward();
      opt.step();
      return loss.item();
    }));
  }
  const logits = nn.noGrad(() => nn.tidy(() => forward().data()));
  let right = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * p, i * p + p);
    if (row.indexOf(Math.max(...row)) === labels[i]) right++;
  }
  assert.ok(losses.at(-1)! < 0.1 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
  assert.equal(right, n, `every pair memorised (losses ${losses[0]} → ${losses.at(-1)})`);
});
