// A finite-difference check of a whole small CNN (conv2d both paddings and stride 2, max and
// average pooling, flatten, dense): the analytic gradient the kernels compute for every weight
// matches the central difference of the loss, computed in float64 from the float32 forward.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../load.ts";
import { planLayers } from "./plan.ts";
import { LayerSpec } from "./layer-spec.ts";
import { LAYER_OPS, scratchFloats, ownsOutput, passesInputThrough, type LayerBuffers, type StepContext } from "./layer-ops.ts";

const module = await compileKernels();

test("every weight's gradient matches a central finite difference", () => {
  const inst = instantiateKernels(module);
  const k = inst.k;
  const rows = 3, input = [7, 6, 3], classes = 4;
  const layers = [
    { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "tanh" },
    { type: "maxpool2d", size: 2 },
    { type: "conv2d", filters: 5, kernel: 2, stride: 2, padding: "valid", activation: "sigmoid" },
    { type: "avgpool2d", size: 1 },
    { type: "flatten" },
    { type: "dense", units: 6, activation: "tanh" },
    { type: "dense", units: classes },
  ].map((l) => LayerSpec.parse(l));
  const plans = planLayers(input, layers, classes);
  const paramCount = plans.reduce((s, p) => s + p.weights + p.biases, 0);
  const params = inst.allocF32(paramCount), grads = inst.allocF32(paramCount);
  let off = 0;
  const bufs: LayerBuffers[] = plans.map((plan) => {
    const w = params + off * 4, dw = grads + off * 4;
    off += plan.weights;
    const b = params + off * 4, db = grads + off * 4;
    off += plan.biases;
    const sc = scratchFloats(plan, rows);
    return { plan, w, b, dw, db, out: ownsOutput(plan) ? inst.allocF32(rows * plan.outSize) : 0, scratch: sc ? inst.allocF32(sc) : 0 };
  });
  // Deterministic small weights and inputs.
  const p = inst.f32(params, paramCount);
  for (let i = 0; i < paramCount; i++) p[i] = Math.sin(i * 1.7) * 0.4;
  const inputSize = 7 * 6 * 3;
  const x = inst.allocF32(rows * inputSize);
  const xv = inst.f32(x, rows * inputSize);
  for (let i = 0; i < xv.length; i++) xv[i] = Math.cos(i * 0.37);
  const labels = inst.allocI32(rows);
  inst.i32(labels, rows).set([1, 3, 0]);
  const widest = Math.max(inputSize, ...plans.map((pl) => pl.outSize));
  const gA = inst.allocF32(rows * widest), gB = inst.allocF32(rows * widest);
  const ctx: StepContext = { k: inst.k, rows, training: true, rng: 0 };

  const ins: number[] = [], outs: number[] = [];
  const lossAndGrad = (withGrad: boolean): number => {
    let h = x;
    bufs.forEach((l, i) => {
      ins[i] = h;
      h = LAYER_OPS[l.plan.spec.type].forward(ctx, l, h);
      outs[i] = h;
    });
    const loss = k.softmaxCrossEntropy(h, labels, rows, classes, gA, 1 / rows) / rows;
    if (withGrad) {
      let d = gA;
      for (let i = bufs.length - 1; i >= 0; i--) {
        const l = bufs[i]!;
        if (passesInputThrough(l.plan, true)) continue;
        const dIn = i === 0 ? 0 : d === gA ? gB : gA;
        LAYER_OPS[l.plan.spec.type].backward(ctx, l, ins[i]!, outs[i]!, d, dIn);
        d = dIn;
      }
    }
    return loss;
  };
  lossAndGrad(true);
  const analytic = Float64Array.from(inst.f32(grads, paramCount));
  // The loss is computed in float32: differences smaller than its rounding (≈1e-7 of the loss)
  // divided by 2·eps are noise, so the check allows that much absolutely, and 1% relatively.
  let worst = 0;
  const eps = Number(process.env.GRAD_EPS ?? 3e-3);
  const tolerance = (a: number, b: number) => 6e-5 + 1e-2 * Math.max(Math.abs(a), Math.abs(b));
  for (let i = 0; i < paramCount; i++) {
    const pv = inst.f32(params, paramCount);
    const saved = pv[i]!;
    pv[i] = saved + eps;
    const up = lossAndGrad(false);
    inst.f32(params, paramCount)[i] = saved - eps;
    const down = lossAndGrad(false);
    inst.f32(params, paramCount)[i] = saved;
    const numeric = (up - down) / (2 * eps);
    // The error as a fraction of what is allowed: below 1 passes.
    const err = Math.abs(numeric - analytic[i]!) / tolerance(numeric, analytic[i]!);
    worst = Math.max(worst, err);
    if (process.env.GRAD_DEBUG && err > 0.5) console.log(i, numeric, analytic[i], err);
  }
  assert.ok(paramCount > 200, `${paramCount} weights checked`);
  assert.ok(worst < 1, `worst error ${worst.toFixed(3)} of the tolerance`);
});
