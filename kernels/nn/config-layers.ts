// The built-in trainer's layers (a config's model.layers, or model.hidden's dense layers) as
// ctx.nn modules, so the built-in network is a model on ctx.nn: its tensors, tape, optimisers
// and captured steps (nn.graph). Each layer's forward is one tape node running that layer's
// kernels (kernels/layers/layer-ops.ts: a dense layer's SGEMM, bias and activation in place; the
// direct convolution; the pools; dropout on the trainer's own stream) and its backward the
// layer's backward kernels, so the network runs the calls it ran on fixed buffers before, in the
// same order, to the same bits.
//
// Tensors are [rows, features], an image NHWC inside its features, as the kernels read them,
// and weights are in the kernels' layout ([in, out] for dense, [KH, KW, C, F] for conv2d), not
// PyTorch's: these modules serve the built-in configs; a model written for ctx.nn uses nn.Linear.
import { LAYER_OPS, passesInputThrough, scratchFloats, type LayerBuffers, type StepContext } from "../layers/layer-ops.ts";
import type { LayerPlan } from "../layers/plan.ts";
import type { Layer } from "./sequential.ts";
import type { Engine, Tensor } from "./tensor.ts";
import { mul } from "./ops-elementwise.ts";

/** The shape of a layer's weight in the kernels' layout. */
function weightShape(plan: LayerPlan): number[] {
  if (plan.conv) return [plan.conv.kh, plan.conv.kw, plan.conv.c, plan.conv.f];
  return [plan.fanIn, plan.biases];
}

/** One layer of a built-in config: its parameters (zero until the trainer initialises them) and its node. */
export class ConfigLayer implements Layer {
  readonly weight: Tensor | null = null;
  readonly bias: Tensor | null = null;
  training = true;

  /** dropoutRng: the generator state (in wasm) the trainer's dropout layers draw from, in order. */
  constructor(private readonly e: Engine, readonly plan: LayerPlan, private readonly dropoutRng: number) {
    if (plan.weights > 0) {
      this.weight = parameter(e, weightShape(plan));
      this.bias = parameter(e, [plan.biases]);
    }
  }

  parameters(): Tensor[] {
    return this.weight ? [this.weight, this.bias!] : [];
  }

  forward(x: Tensor): Tensor {
    const { e, plan } = this;
    const type = plan.spec.type;
    if (x.isDisposed || x.shape.length !== 2 || x.shape[1] !== plan.inSize) {
      // The message is made only here: forward runs every step of an eager loop.
      const what = `model layer ${plan.index} (${type})`;
      x.check(what);
      throw new RangeError(`${what}: expects [rows, ${plan.inSize}], got [${x.shape}]`);
    }
    if (passesInputThrough(plan, this.training)) return x;
    const rows = x.shape[0]!;
    const y = e.make([rows, plan.outSize]);
    const w = this.weight, b = this.bias;
    const l: LayerBuffers = { plan, out: y.ptr, w: w?.ptr ?? 0, b: b?.ptr ?? 0, dw: 0, db: 0, scratch: 0 };
    const scratch = scratchFloats(plan, rows, e.recording);
    if (scratch > 0) {
      // The columns, argmax or mask the backward reads: freed with the output.
      const s = e.make([scratch], true);
      y.attached = [s];
      l.scratch = s.ptr;
    }
    const ctx = (): StepContext => ({ k: e.k, rows, training: this.training, rng: this.dropoutRng });
    LAYER_OPS[type].forward(ctx(), l, x.ptr);
    return e.record(y, w ? [x, w, b!] : [x], (g) => {
      // The layer's backward overwrites the gradient it is given: in place only when it is this
      // pass's own and no other node holds it (not a caller's seed, not a loss's kept gradient).
      const dOut = g.holds === 1 && g.scopeDepth >= 0 ? g : mul(g, 1);
      const dx = x.requiresGrad ? e.make(x.shape) : null;
      const dw = w ? e.make(w.shape) : null, db = b ? e.make(b.shape) : null;
      l.dw = dw?.ptr ?? 0;
      l.db = db?.ptr ?? 0;
      LAYER_OPS[type].backward(ctx(), l, x.ptr, y.ptr, dOut.ptr, dx?.ptr ?? 0);
      return w ? [dx, dw, db] : [dx];
    });
  }
}

function parameter(e: Engine, shape: number[]): Tensor {
  const t = e.make(shape, true);
  e.k.fillF32(t.ptr, t.size, 0);
  t.requiresGrad = true;
  return t;
}

/** The built-in trainer's losses: one kernel gives a batch's loss and its gradient wrt the outputs. */
export type FusedLossKernel = "softmaxCrossEntropy" | "mseOneHot" | "mseTargets";

/**
 * The loss of `outputs` [rows, cols] against `targets` (labels as i32, or regression targets as
 * f32, one block of rows values) by one fused kernel, which writes the gradient (scaled by
 * 1/rows) as it sums the loss. Returns the tensor to call backward() on; the loss itself, the
 * kernel's f64 result, goes to `sink.value` at each run, a captured step's replays included.
 */
export function fusedLoss(outputs: Tensor, targets: Tensor, kernel: FusedLossKernel, sink: { value: number }): Tensor {
  const e = outputs.check("fusedLoss").engine;
  if (outputs.shape.length !== 2) throw new RangeError(`fusedLoss: expects [rows, cols] outputs, got [${outputs.shape}]`);
  const [rows, cols] = outputs.shape as [number, number];
  // Labels are one per row; regression targets one per output.
  const needed = kernel === "mseTargets" ? rows * cols : rows;
  if (targets.size < needed) throw new RangeError(`fusedLoss: ${targets.size} targets for ${rows} rows × ${cols} outputs (${kernel} reads ${needed})`);
  const y = e.make([]);
  const grad = e.make(outputs.shape, true);
  y.attached = [grad];
  sink.value = e.k[kernel](outputs.ptr, targets.ptr, rows, cols, grad.ptr, 1 / rows);
  e.onReplayResult((value) => (sink.value = value));
  // Times the upstream gradient; from a backward() of the loss itself that is 1, and the kernel's
  // gradient goes on as it is (the layer before may overwrite it: the next run writes it again).
  return e.record(y, [outputs], (g) => [g.unitSeed ? grad : mul(grad, g)]);
}
