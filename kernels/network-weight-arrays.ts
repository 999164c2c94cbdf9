// The built-in trainer's parameters as named arrays, as a kept model is written (.npz): each
// layer with parameters gives `layers.<i>.weight` and `layers.<i>.bias`, i its index in the
// layer list (the MLP shorthand: hidden layers 0…n−1, the output layer n). Layouts are the
// trainer's own, which are Keras's rather than PyTorch's: a dense weight is [in, out] (y = x·W + b),
// a conv2d weight [kernel, kernel, in channels, filters] over NHWC inputs, and flatten keeps
// NHWC order. docs/kept-models.md has the NumPy forward pass.
import type { ModelSpec } from "./mlp-config.ts";
import type { NamedArrays } from "./named-arrays.ts";
import { planLayers } from "./layers/plan.ts";
import { modelLayers } from "./network.ts";

/** `input`: the shape the model reads (model.input, or the dataset's sample shape); `outputs`: classes, or 1 for regression. */
export function networkWeightArrays(model: ModelSpec, input: number[], outputs: number, weights: Uint8Array): NamedArrays {
  const plans = planLayers(input, modelLayers(model, outputs), outputs);
  const paramCount = plans.reduce((s, p) => s + p.weights + p.biases, 0);
  if (weights.byteLength !== paramCount * 4) {
    throw new RangeError(`networkWeightArrays: ${weights.byteLength} bytes of weights; this model on input [${input.join(", ")}] with ${outputs} outputs has ${paramCount} parameters (${paramCount * 4} bytes)`);
  }
  // A copy: the bytes may sit at an offset that is no multiple of 4, or in a memory reused later.
  const all = new Float32Array(new Uint8Array(weights).buffer);
  const out: NamedArrays = {};
  let at = 0;
  for (const p of plans) {
    if (!p.weights) continue;
    const weightShape = p.conv ? [p.conv.kh, p.conv.kw, p.conv.c, p.conv.f] : [p.inSize, p.outSize];
    out[`layers.${p.index}.weight`] = { shape: weightShape, data: all.slice(at, (at += p.weights)) };
    out[`layers.${p.index}.bias`] = { shape: [p.biases], data: all.slice(at, (at += p.biases)) };
  }
  return out;
}
