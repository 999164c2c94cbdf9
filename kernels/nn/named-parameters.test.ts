// A ctx.nn model's parameters by PyTorch's state_dict names, and back into another model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";

const module = await compileKernels();
const fresh = (seed: number) => createNN(instantiateKernels(module), seed);

function model(nn: NN) {
  const head = new nn.Linear(8, 3, { bias: false });
  return {
    encoder: [new nn.Linear(4, 8), new nn.LayerNorm(8)],
    attn: new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    head,
    emb: new nn.Embedding(5, 8),
    scale: nn.ones([1], { requiresGrad: true }),
    /** A constant (no gradient): not a parameter. */
    mask: nn.zeros([2, 2]),
    /** The head's weight again (tied): named once, where first met. */
    tied: head.weight,
    steps: 3,
  };
}

test("namedParameters: dotted paths of properties and indices, PyTorch's names inside modules, constants and repeats left out", () => {
  const nn = fresh(1);
  const named = nn.namedParameters(model(nn));
  assert.deepEqual(Object.entries(named).map(([name, t]) => [name, t.shape]), [
    ["encoder.0.weight", [8, 4]], ["encoder.0.bias", [8]],
    ["encoder.1.weight", [8]], ["encoder.1.bias", [8]],
    ["attn.in_proj_weight", [24, 8]], ["attn.in_proj_bias", [24]],
    ["attn.out_proj.weight", [8, 8]], ["attn.out_proj.bias", [8]],
    ["head.weight", [3, 8]],
    ["emb.weight", [5, 8]],
    ["scale", [1]],
  ]);
});

test("stateDict then loadStateDict on another instance gives that model the same values and outputs", () => {
  const a = fresh(1), b = fresh(2);
  const ma = model(a), mb = model(b);
  const x = [0.5, -1, 2, 0.25];
  const out = (nn: NN, m: ReturnType<typeof model>) => m.head.forward(m.encoder[1]!.forward(m.encoder[0]!.forward(nn.tensor(x, [1, 4])))).data();
  assert.notDeepEqual(out(b, mb), out(a, ma), "different seeds, different models");
  const state = a.stateDict(ma);
  b.loadStateDict(mb, state);
  assert.deepEqual(b.stateDict(mb), state);
  assert.deepEqual(out(b, mb), out(a, ma));
  assert.deepEqual(b.stateOf(Object.values(b.namedParameters(mb))), a.stateOf(Object.values(a.namedParameters(ma))), "the same bytes, so the same result hash");
});

test("loadStateDict refuses a state that does not fit, listing every problem, and writes nothing", () => {
  const nn = fresh(1);
  const m = model(nn);
  const before = nn.stateDict(m);
  const state = nn.stateDict(model(fresh(2)));
  delete state["scale"];
  state["head.weight"] = { shape: [8, 3], data: state["head.weight"]!.data };
  state["emb.weight"] = { shape: [5, 8], data: new Float64Array(40) };
  state["extra"] = { shape: [1], data: new Float32Array(1) };
  assert.throws(() => nn.loadStateDict(m, state),
    /loadStateDict: head\.weight: shape \[8, 3\], the parameter's is \[3, 8\]; emb\.weight: needs 40 float32 values, got 40 Float64Array; scale: missing; extra: the model has no such parameter/);
  assert.deepEqual(nn.stateDict(m), before);
});
