// Shapes through a layer list, checked before anything is allocated: each layer's input and
// output shape, its parameters and scratch. A model that does not fit is refused naming the
// layer's index and the shapes.
import type { LayerSpec } from "./layer-spec.ts";

export class ModelShapeError extends Error {
  constructor(readonly problems: string[]) {
    super(`the model does not fit its input:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ModelShapeError";
  }
}

export interface ConvGeometry {
  h: number; w: number; c: number; kh: number; kw: number; f: number; stride: number;
  padTop: number; padLeft: number; outH: number; outW: number;
}
export interface PoolGeometry { h: number; w: number; c: number; size: number; stride: number; outH: number; outW: number }

export interface LayerPlan {
  index: number;
  spec: LayerSpec;
  inShape: number[];
  outShape: number[];
  inSize: number;
  outSize: number;
  /** Weights and biases (dense, conv2d), with the fan-in and fan-out their initialisation uses. */
  weights: number;
  biases: number;
  fanIn: number;
  fanOut: number;
  conv?: ConvGeometry;
  pool?: PoolGeometry;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: number[]) => `[${shape.join(", ")}]`;

/** Output size and the padding before it along one axis (TensorFlow's convention for same). */
export function convAxis(input: number, kernel: number, stride: number, padding: "same" | "valid"): { out: number; before: number } {
  if (padding === "valid") return { out: Math.floor((input - kernel) / stride) + 1, before: 0 };
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + kernel - input, 0);
  return { out, before: Math.floor(total / 2) };
}

/**
 * Plans a layer list on an input shape; the last layer must be a dense layer with `outputs`
 * units and no activation (softmax or MSE come with the loss).
 */
export function planLayers(input: number[], layers: LayerSpec[], outputs: number, field = "model.layers"): LayerPlan[] {
  const plans: LayerPlan[] = [];
  let shape = input;
  const where = (i: number, l: LayerSpec) => `${field}.${i} (${l.type})`;
  for (const [i, l] of layers.entries()) {
    // Each plan is one literal: a spread of a shared base with keys added or overridden takes V8
    // (Node 20) the slow path, microseconds a layer, which was a fifth of a tiny trial's time.
    const inShape = shape, inSize = size(shape);
    let plan: LayerPlan;
    switch (l.type) {
      case "dense": {
        if (shape.length !== 1) {
          throw new ModelShapeError([`${where(i, l)}: its input is ${fmt(shape)}, a ${shape.length}-D tensor: put a flatten before a dense layer`]);
        }
        plan = { index: i, spec: l, inShape, inSize, outShape: [l.units], outSize: l.units, weights: shape[0]! * l.units, biases: l.units, fanIn: shape[0]!, fanOut: l.units };
        break;
      }
      case "conv2d": {
        if (shape.length !== 3) throw new ModelShapeError([`${where(i, l)}: needs an input [height, width, channels], got ${fmt(shape)}`]);
        const [h, w, c] = shape as [number, number, number];
        if (l.padding === "valid" && (l.kernel > h || l.kernel > w)) {
          throw new ModelShapeError([`${where(i, l)}: kernel ${l.kernel}×${l.kernel} is larger than its input ${h}×${w} (padding valid)`]);
        }
        const y = convAxis(h, l.kernel, l.stride, l.padding), x = convAxis(w, l.kernel, l.stride, l.padding);
        const conv = { h, w, c, kh: l.kernel, kw: l.kernel, f: l.filters, stride: l.stride, padTop: y.before, padLeft: x.before, outH: y.out, outW: x.out };
        const outShape = [y.out, x.out, l.filters];
        plan = {
          index: i, spec: l, inShape, inSize, outShape, outSize: size(outShape), weights: l.kernel * l.kernel * c * l.filters, biases: l.filters,
          fanIn: l.kernel * l.kernel * c, fanOut: l.kernel * l.kernel * l.filters, conv,
        };
        break;
      }
      case "maxpool2d":
      case "avgpool2d": {
        if (shape.length !== 3) throw new ModelShapeError([`${where(i, l)}: needs an input [height, width, channels], got ${fmt(shape)}`]);
        const [h, w, c] = shape as [number, number, number];
        const stride = l.stride ?? l.size;
        if (l.size > h || l.size > w) throw new ModelShapeError([`${where(i, l)}: window ${l.size}×${l.size} is larger than its input ${h}×${w}`]);
        const pool = { h, w, c, size: l.size, stride, outH: Math.floor((h - l.size) / stride) + 1, outW: Math.floor((w - l.size) / stride) + 1 };
        const outShape = [pool.outH, pool.outW, c];
        plan = { index: i, spec: l, inShape, inSize, outShape, outSize: size(outShape), weights: 0, biases: 0, fanIn: 0, fanOut: 0, pool };
        break;
      }
      case "flatten":
        plan = { index: i, spec: l, inShape, inSize, outShape: [inSize], outSize: inSize, weights: 0, biases: 0, fanIn: 0, fanOut: 0 };
        break;
      case "dropout":
        plan = { index: i, spec: l, inShape, inSize, outShape: shape, outSize: inSize, weights: 0, biases: 0, fanIn: 0, fanOut: 0 };
        break;
    }
    plans.push(plan);
    shape = plan.outShape;
  }
  const last = layers.at(-1);
  const lastIndex = layers.length - 1;
  if (!last || last.type !== "dense" || last.units !== outputs || last.activation !== "none") {
    throw new ModelShapeError([
      `${field}.${lastIndex}${last ? ` (${last.type})` : ""}: the output layer must be { type: dense, units: ${outputs} } with no activation ` +
      `(${outputs === 1 ? "one target" : `${outputs} classes`}; softmax comes with the loss)`,
    ]);
  }
  return plans;
}
