// A ctx.nn run checkpointed as named arrays (the model's stateDict, the optimiser's, the
// generator's state) and resumed on a fresh instance ends with the uninterrupted run's bits:
// dropout masks from nn's own generator included, for SGD with momentum and AdamW.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";
import type { NamedArrays } from "../named-arrays.ts";

const module = await compileKernels();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Checkpoint { model: NamedArrays; optimizer: NamedArrays; rng: Uint8Array }

/** Trains steps [from, to) of a small MLP with dropout; resumes from `resume` when given; returns its hash and a checkpoint at `at`. */
function run(optimizer: "sgd" | "adamw", to: number, resume?: { step: number; state: Checkpoint }, at?: number) {
  const nn: NN = createNN(instantiateKernels(module), 7);
  const model = { l1: new nn.Linear(4, 16), l2: new nn.Linear(16, 3) };
  const params = Object.values(nn.namedParameters(model));
  const opt = optimizer === "sgd" ? nn.optim.sgd(params, { lr: 0.05, momentum: 0.9 }) : nn.optim.adamw(params, { lr: 0.01 });
  const x = nn.tensor(Float32Array.from({ length: 32 * 4 }, (_, i) => Math.sin(i * 0.37)), [32, 4]);
  const y = Int32Array.from({ length: 32 }, (_, i) => i % 3);
  if (resume) {
    nn.loadStateDict(model, resume.state.model);
    opt.loadStateDict(resume.state.optimizer);
    nn.setRngState(resume.state.rng);
  }
  let checkpoint: Checkpoint | undefined;
  for (let step = resume?.step ?? 0; step < to; step++) {
    if (step === at) checkpoint = { model: nn.stateDict(model), optimizer: opt.stateDict(), rng: nn.getRngState() };
    nn.tidy(() => {
      opt.zeroGrad();
      const h = nn.dropout(model.l1.forward(x).relu(), 0.3);
      nn.crossEntropy(model.l2.forward(h), y).backward();
      opt.step();
    });
  }
  return { hash: sha(nn.stateOf(params)), checkpoint, steps: opt.steps };
}

for (const optimizer of ["sgd", "adamw"] as const) {
  test(`${optimizer}: model, optimiser and generator state at step 5, resumed on a fresh instance, give the uninterrupted run's bits`, () => {
    const whole = run(optimizer, 12, undefined, 5);
    const resumed = run(optimizer, 12, { step: 5, state: whole.checkpoint! });
    assert.equal(resumed.hash, whole.hash);
    assert.equal(resumed.steps, 12);
    const names = Object.keys(whole.checkpoint!.optimizer);
    assert.deepEqual(names, optimizer === "sgd"
      ? ["steps", "state.0.momentum_buffer", "state.1.momentum_buffer", "state.2.momentum_buffer", "state.3.momentum_buffer"]
      : ["steps", ...[0, 1, 2, 3].flatMap((i) => [`state.${i}.exp_avg`, `state.${i}.exp_avg_sq`])]);
    // Without the generator's state the dropout masks differ, and so do the weights: the test can tell.
    const noRng = { ...whole.checkpoint!, rng: createNN(instantiateKernels(module), 7).getRngState() };
    assert.notEqual(run(optimizer, 12, { step: 5, state: noRng }).hash, whole.hash);
  });
}

test("an optimiser's state that does not fit is refused, every problem named", () => {
  const nn = createNN(instantiateKernels(module), 1);
  const opt = nn.optim.adam([new nn.Linear(2, 3).weight]);
  assert.throws(() => opt.loadStateDict({
    steps: { shape: [], data: Float64Array.of(1.5) },
    "state.0.exp_avg": { shape: [2, 3], data: new Float32Array(6) },
    "state.1.exp_avg": { shape: [3], data: new Float32Array(3) },
  }), /optim\.adam\.loadStateDict: steps: must be one whole number ≥ 0 \(shape \[\]\); state\.0: gives state\.0\.exp_avg but not state\.0\.exp_avg_sq; state\.0\.exp_avg: float32 \[2, 3\] where the parameter is \[3, 2\]; state\.1\.exp_avg: not a state of optim\.adam over 1 parameter\(s\)/);
  assert.equal(opt.steps, 0, "nothing written");
  assert.throws(() => nn.setRngState(new Uint8Array(3)), /setRngState: needs the 16 bytes getRngState gave/);
});
