// nn.graph: a captured step replayed gives the bits of running the step again eagerly (batches
// refilled in place, dropout's generator, a schedule's rate, clipping, every optimiser), keeps
// memory flat, keeps its blocks from other tensors, and refuses what a replay could not redo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";
import type { Optimizer } from "./optim.ts";
import type { Tensor } from "./tensor.ts";

const module = await compileKernels();
const fresh = (seed = 3) => createNN(instantiateKernels(module), seed);

const ROWS = 300, BATCH = 25, FEATURES = 5, CLASSES = 4;

/** Features and labels of a small made-up problem. */
function dataset() {
  const x = new Float32Array(ROWS * FEATURES), y = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    let s = 0;
    for (let j = 0; j < FEATURES; j++) {
      const v = Math.sin(i * 1.7 + j * 0.9) * (j + 1) * 0.4;
      x[i * FEATURES + j] = v;
      s += v * (j % 2 ? 1 : -1);
    }
    y[i] = Math.min(CLASSES - 1, Math.floor(Math.abs(s) * 1.3));
  }
  return { x, y };
}

type MakeOptimizer = (nn: NN, params: Tensor[]) => Optimizer;

/** A model with most kinds of op: layerNorm (broadcasts), gelu, dropout on nn's generator, a residual, tanh. */
function model(nn: NN) {
  const l1 = new nn.Linear(FEATURES, 16), norm = new nn.LayerNorm(16), l2 = new nn.Linear(16, 16), l3 = new nn.Linear(16, CLASSES);
  return {
    forward: (x: Tensor) => {
      const h = norm.forward(l1.forward(x)).gelu();
      const h2 = nn.dropout(l2.forward(h).tanh(), 0.2).add(h);
      return l3.forward(h2);
    },
    parameters: () => [...l1.parameters(), ...norm.parameters(), ...l2.parameters(), ...l3.parameters()],
  };
}

/**
 * Trains `steps` minibatch steps, each batch copied into the same host arrays; the step either
 * runs eagerly every time or is captured once and replayed. Returns the losses and the final state.
 */
function train(makeOptimizer: MakeOptimizer, steps: number, captured: boolean) {
  const nn = fresh();
  const { x, y } = dataset();
  const m = model(nn);
  const params = m.parameters();
  const opt = makeOptimizer(nn, params);
  const bx = new Float32Array(BATCH * FEATURES), by = new Int32Array(BATCH);
  const fill = (step: number) => {
    const start = (step * BATCH) % ROWS;
    bx.set(x.subarray(start * FEATURES, (start + BATCH) * FEATURES));
    by.set(y.subarray(start, start + BATCH));
    opt.lr = 0.01 * (1 + Math.cos((Math.PI * step) / steps)) / 2; // a schedule: the rate changes every step
  };
  const step = () => {
    const loss = nn.crossEntropy(m.forward(nn.tensor(bx, [BATCH, FEATURES])), by);
    loss.backward();
    nn.clipGradNorm(params, 0.5);
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  const losses: number[] = [];
  if (captured) {
    fill(0);
    const graph = nn.graph(step);
    losses.push(graph.outputs.item());
    for (let s = 1; s < steps; s++) {
      fill(s);
      losses.push(graph.replay().item());
    }
    graph.dispose();
  } else {
    for (let s = 0; s < steps; s++) {
      fill(s);
      losses.push(nn.tidy(() => step().item()));
    }
  }
  return { losses, state: nn.stateOf(params), steps: opt.steps, memory: nn.memory() };
}

const optimizers: Record<string, MakeOptimizer> = {
  adamw: (nn, p) => nn.optim.adamw(p, { lr: 0.01, weightDecay: 0.1 }),
  "adam with L2 decay": (nn, p) => nn.optim.adam(p, { lr: 0.01, weightDecay: 0.01 }),
  "sgd with momentum": (nn, p) => nn.optim.sgd(p, { lr: 0.01, momentum: 0.9, weightDecay: 1e-3 }),
};

for (const [name, makeOptimizer] of Object.entries(optimizers)) {
  test(`a captured step replayed gives the eager run's bits (${name}, dropout, clipping, a schedule)`, () => {
    const eager = train(makeOptimizer, 40, false);
    const replayed = train(makeOptimizer, 40, true);
    assert.deepEqual(replayed.losses, eager.losses);
    assert.deepEqual(Buffer.from(replayed.state), Buffer.from(eager.state));
    assert.equal(replayed.steps, 40);
    // The losses moved: batches, rates and dropout masks differed between replays.
    assert.ok(new Set(replayed.losses).size > 30);
    assert.deepEqual(replayed.memory, eager.memory);
  });
}

test("replays keep memory flat, and a replay runs no JavaScript op (no tensor made)", () => {
  const inst = instantiateKernels(module);
  const nn = createNN(inst, 1);
  const lin = new nn.Linear(4, 3);
  const opt = nn.optim.sgd(lin.parameters(), { lr: 0.1 });
  const xs = new Float32Array(8).fill(0.5), labels = new Int32Array([0, 2]);
  const graph = nn.graph(() => {
    const loss = nn.crossEntropy(lin.forward(nn.tensor(xs, [2, 4])), labels);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return { loss };
  });
  graph.replay();
  const memory = nn.memory(), heap = inst.k.heapTop();
  for (let i = 0; i < 2000; i++) {
    xs[i % 8] = Math.sin(i);
    graph.replay();
  }
  assert.deepEqual(nn.memory(), memory);
  assert.equal(inst.k.heapTop(), heap);
  assert.ok(Number.isFinite(graph.outputs.loss.item()));
  assert.ok(graph.length > 5, `${graph.length} entries`);
  graph.dispose();
  assert.equal(graph.outputs.loss.isDisposed, true);
  assert.throws(() => graph.replay(), /graph\.replay: the graph was disposed/);
});

test("a block the graph writes goes to no other tensor while it lives, and back after dispose", () => {
  const nn = fresh();
  const w = nn.randn([6, 6], { requiresGrad: true, seed: 2 });
  const xs = new Float32Array(12).fill(1);
  // zeroGrad is left out of the step: the gradient stays where a replay's backward writes it.
  const graph = nn.graph(() => nn.matmul(nn.tensor(xs, [2, 6]), w).sum().backward());
  const grad = w.grad!;
  const gradPtr = grad.ptr;
  w.grad = null;
  grad.dispose();
  const others = Array.from({ length: 8 }, () => nn.zeros([6, 6]));
  assert.ok(others.every((t) => t.ptr !== gradPtr), "a freed block of the graph's went to another tensor");
  graph.dispose();
  const after = nn.zeros([6, 6]);
  assert.equal(after.ptr, gradPtr);
});

test("inputs are the same host arrays at each replay: labels and indices refilled in place are checked again", () => {
  const nn = fresh();
  const table = nn.randn([10, 3], { requiresGrad: true, seed: 4 });
  const idx = new Int32Array([1, 2, 3]), labels = new Int32Array([0, 1, 2]);
  const graph = nn.graph(() => {
    const loss = nn.crossEntropy(nn.indexSelect(table, 0, idx), labels);
    loss.backward();
    return loss;
  });
  const first = graph.outputs.item();
  idx.set([7, 8, 9]);
  table.grad?.dispose();
  table.grad = null;
  const expected = nn.tidy(() => nn.crossEntropy(nn.indexSelect(table, 0, idx), labels).item());
  assert.equal(graph.replay().item(), expected);
  assert.notEqual(expected, first);
  labels[1] = 3;
  assert.throws(() => graph.replay(), /crossEntropy: label 3 of row 1 is outside \[0, 3\)/);
  labels[1] = 1;
  idx[2] = 10;
  assert.throws(() => graph.replay(), /indexSelect: index 10 at 2 is outside \[0, 10\)/);
  graph.dispose();
});

test("what a replay could not redo is refused while capturing, and the engine records nothing after", () => {
  const nn = fresh();
  const w = nn.randn([3], { requiresGrad: true, seed: 5 });
  assert.throws(() => nn.graph(() => w.mul(2).sum().item()), /item: reads or writes tensors' values from JavaScript while nn\.graph captures a step/);
  assert.throws(() => nn.graph(() => w.exp().data()), /data: reads or writes tensors' values/);
  assert.throws(() => nn.graph(() => nn.graph(() => w.exp())), /graphs do not nest/);
  assert.throws(() => nn.graph(42 as unknown as () => void), /graph: needs a function/);
  const before = nn.memory();
  // Nothing is recorded or pooled after a failed capture: eager ops run and free as before.
  const [a, b, c] = w.data() as unknown as [number, number, number];
  assert.ok(Math.abs(nn.tidy(() => w.mul(2).sum().item()) - (a + b + c) * 2) < 1e-5);
  assert.deepEqual(nn.memory(), before);
});

test("a block made before the capture and freed in it is the graph's: a replay writes it, no other tensor gets it", () => {
  const nn = fresh();
  const w = nn.randn([6, 6], { requiresGrad: true, seed: 2 });
  const xs = new Float32Array(12).fill(1);
  const opt = nn.optim.sgd([w], { lr: 0.1 });
  // An eager step leaves w.grad; the captured step adds into it (a gradient accumulated), then frees it.
  nn.tidy(() => nn.matmul(nn.tensor(xs, [2, 6]), w).sum().backward());
  const graph = nn.graph(() => {
    nn.matmul(nn.tensor(xs, [2, 6]), w).sum().backward();
    opt.step();
    opt.zeroGrad();
  });
  const others = Array.from({ length: 8 }, () => nn.zeros([6, 6]));
  graph.replay();
  for (const t of others) assert.ok(t.data().every((v) => v === 0), "a replay wrote into a tensor made after the capture");
  graph.dispose();
});

test("what the step returns that it did not make (a parameter) stays the caller's", () => {
  const nn = fresh();
  const w = nn.randn([3], { requiresGrad: true, seed: 5 });
  const graph = nn.graph(() => ({ loss: w.mul(2).sum(), w }));
  graph.replay();
  graph.dispose();
  assert.equal(graph.outputs.loss.isDisposed, true);
  assert.equal(w.isDisposed, false);
  assert.equal(w.data().length, 3);
});

test("a host array that changed size since the capture is refused at replay, not copied past its tensor", () => {
  const nn = fresh();
  const values = [1, 2, 3];
  const graph = nn.graph(() => nn.tensor(values, [3]).exp());
  values.push(4);
  assert.throws(() => graph.replay(), /graph\.replay: an array the step copies into a tensor held 3 values at the capture and holds 4 now/);
  graph.dispose();
});

test("state moved by JavaScript (stateOf, loadState, the generator, state dicts) is refused while capturing", () => {
  const nn = fresh();
  const lin = new nn.Linear(2, 2);
  const params = lin.parameters();
  const bytes = nn.stateOf(params), dict = nn.stateDict(lin);
  for (const [what, fn] of Object.entries<() => unknown>({
    stateOf: () => nn.stateOf(params),
    loadState: () => nn.loadState(params, bytes),
    getRngState: () => nn.getRngState(),
    setRngState: () => nn.setRngState(new Uint8Array(16)),
    loadStateDict: () => nn.loadStateDict(lin, dict),
  })) {
    assert.throws(() => nn.graph(fn), new RegExp(`${what}: reads or writes tensors' values from JavaScript while nn\\.graph captures a step`), what);
  }
});
