// Forward and backward of each layer type as kernel calls on one instance's memory, by name,
// as tfjs registers kernels: a new layer type adds its entry here and its planning in plan.ts.
import { ACTIVATION_ID } from "../exports.ts";
import type { KernelExports } from "../exports.ts";
import type { LayerPlan } from "./plan.ts";
import { convForward, takesRowsPath } from "./conv-forward.ts";

/** A layer's buffers in wasm memory (byte offsets; 0 where the layer has none). */
export interface LayerBuffers {
  plan: LayerPlan;
  /** Its output, rows × outSize (flatten and evaluation-time dropout pass their input on instead). */
  out: number;
  /** Weights and biases inside the parameter block, and their gradients. */
  w: number; b: number; dw: number; db: number;
  /** conv2d: im2col rows (rows·OH·OW × KH·KW·C); pooling: argmax; dropout: its mask. */
  scratch: number;
  /** conv2d: whether scratch holds the columns of the last forward pass's input. */
  columns?: boolean;
}

export interface StepContext {
  /** The kernels to call: a ctx.nn engine's (kernels/nn/config-layers.ts), which a captured step records. */
  k: KernelExports;
  rows: number;
  training: boolean;
  /** The dropout stream's PRNG state. */
  rng: number;
}

export interface LayerOps {
  /** Writes the output; returns where it is. */
  forward(ctx: StepContext, l: LayerBuffers, input: number): number;
  /**
   * dOut is the gradient wrt the layer's output (post-activation), and may be overwritten. Not
   * called for a layer whose forward passed its input through (passesInputThrough): its
   * gradient is the one it was given.
   * Writes parameter gradients, and dIn (the gradient wrt the input) unless dIn is 0.
   */
  backward(ctx: StepContext, l: LayerBuffers, input: number, output: number, dOut: number, dIn: number): void;
}

const act = (l: LayerBuffers) => ACTIVATION_ID[(l.plan.spec as { activation: "relu" | "tanh" | "sigmoid" | "none" }).activation === "none"
  ? "identity" : (l.plan.spec as { activation: "relu" | "tanh" | "sigmoid" }).activation];

const dense: LayerOps = {
  forward({ k, rows }, l, input) {
    const i = l.plan.inSize, o = l.plan.outSize;
    k.sgemm(0, 0, rows, o, i, 1, input, i, l.w, o, 0, l.out, o);
    k.biasAdd(l.out, l.b, rows, o);
    k.activationForward(act(l), l.out, l.out, rows * o);
    return l.out;
  },
  backward({ k, rows }, l, input, output, dOut, dIn) {
    const i = l.plan.inSize, o = l.plan.outSize;
    k.activationBackward(act(l), dOut, output, dOut, rows * o);
    // dW = inputᵀ · dZ ; db = Σ_rows dZ ; dIn = dZ · Wᵀ
    k.sgemm(1, 0, i, o, rows, 1, input, i, dOut, o, 0, l.dw, o);
    k.biasGrad(dOut, l.db, rows, o);
    if (dIn) k.sgemm(0, 1, rows, i, o, 1, dOut, o, l.w, o, 0, dIn, i);
  },
};

const conv2d: LayerOps = {
  forward({ k, rows }, l, input) {
    const g = l.plan.conv!;
    const m = rows * g.outH * g.outW;
    l.columns = convForward(k, g, rows, input, l.w, l.out, l.scratch);
    k.biasAdd(l.out, l.b, m, g.f);
    k.activationForward(act(l), l.out, l.out, m * g.f);
    return l.out;
  },
  backward({ k, rows }, l, input, output, dOut, dIn) {
    const g = l.plan.conv!;
    const m = rows * g.outH * g.outW, kk = g.kh * g.kw * g.c;
    k.activationBackward(act(l), dOut, output, dOut, m * g.f);
    if (!l.columns) k.im2col(input, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, l.scratch);
    l.columns = false;
    // scratch holds im2col(input): dW = colᵀ · dZ ; db = Σ dZ.
    k.sgemm(1, 0, kk, g.f, m, 1, l.scratch, kk, dOut, g.f, 0, l.dw, g.f);
    k.biasGrad(dOut, l.db, m, g.f);
    if (dIn) {
      // dCol = dZ · Wᵀ, into scratch (the columns are no longer needed), then back to NHWC.
      k.sgemm(0, 1, m, kk, g.f, 1, dOut, g.f, l.w, g.f, 0, l.scratch, kk);
      k.col2im(l.scratch, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, dIn);
    }
  },
};

const maxpool2d: LayerOps = {
  forward({ k, rows }, l, input) {
    const p = l.plan.pool!;
    k.maxPoolForward(input, rows, p.h, p.w, p.c, p.size, p.stride, p.outH, p.outW, l.out, l.scratch);
    return l.out;
  },
  backward({ k, rows }, l, _input, _output, dOut, dIn) {
    if (dIn) k.maxPoolBackward(dOut, l.scratch, rows * l.plan.outSize, dIn, rows * l.plan.inSize);
  },
};

const avgpool2d: LayerOps = {
  forward({ k, rows }, l, input) {
    const p = l.plan.pool!;
    k.avgPoolForward(input, rows, p.h, p.w, p.c, p.size, p.stride, p.outH, p.outW, l.out);
    return l.out;
  },
  backward({ k, rows }, l, _input, _output, dOut, dIn) {
    const p = l.plan.pool!;
    if (dIn) k.avgPoolBackward(dOut, rows, p.h, p.w, p.c, p.size, p.stride, p.outH, p.outW, dIn);
  },
};

/** NHWC is already flat in memory: the same bytes, read as rows × features. */
const flatten: LayerOps = {
  forward: (_ctx, _l, input) => input,
  backward: () => {},
};

/**
 * Whether the layer's output is its input, as it is: flatten (NHWC is already flat), and dropout
 * when it drops nothing (evaluation, or rate 0).
 */
export function passesInputThrough(p: LayerPlan, training: boolean): boolean {
  return p.spec.type === "flatten" || (p.spec.type === "dropout" && (!training || p.spec.rate === 0));
}

const dropout: LayerOps = {
  forward({ k, rows, training, rng }, l, input) {
    const rate = (l.plan.spec as { rate: number }).rate;
    if (passesInputThrough(l.plan, training)) return input;
    k.dropoutForward(input, l.out, l.scratch, rows * l.plan.outSize, rate, rng);
    return l.out;
  },
  // Called only where the forward dropped (passesInputThrough is false): the mask is in scratch.
  backward({ k, rows }, l, _input, _output, dOut, dIn) {
    if (dIn) k.dropoutBackward(dOut, l.scratch, dIn, rows * l.plan.outSize);
  },
};

export const LAYER_OPS: Record<LayerPlan["spec"]["type"], LayerOps> = { dense, conv2d, maxpool2d, avgpool2d, flatten, dropout };

/** Floats of scratch a layer needs for `rows` rows. */
export function scratchFloats(p: LayerPlan, rows: number, training = true): number {
  switch (p.spec.type) {
    // A convolution's columns serve its backward, and its forward only where it runs through them (deep kernels).
    case "conv2d": return !training && takesRowsPath(p.conv!) ? 0 : rows * p.conv!.outH * p.conv!.outW * p.conv!.kh * p.conv!.kw * p.conv!.c;
    case "maxpool2d": return rows * p.outSize;
    case "dropout": return rows * p.outSize;
    default: return 0;
  }
}

/** Whether a layer writes an output buffer of its own (flatten never does; dropout does in training). */
export const ownsOutput = (p: LayerPlan) => p.spec.type !== "flatten";

/** Multiply-adds of one sample through the layer, forward (the GEMM work). */
export function macsPerSample(p: LayerPlan): number {
  if (p.spec.type === "dense") return p.weights;
  if (p.spec.type === "conv2d") return p.conv!.outH * p.conv!.outW * p.weights;
  return 0;
}
