// `ctx.nn`: the tensor library of one trial, on that trial's kernel instance. Names follow
// PyTorch's so a model ports line by line.
import type { KernelInstance } from "../instance.ts";
import { RNG_STATE_BYTES } from "../exports.ts";
import { Engine, Tensor } from "./tensor.ts";
import "./backward.ts"; // registers Tensor.backward
import { checkShape, sizeOf } from "./shape.ts";
import * as elementwise from "./ops-elementwise.ts";
import * as reduce from "./ops-reduce.ts";
import * as layout from "./ops-layout.ts";
import * as matmulOps from "./ops-matmul.ts";
import * as softmaxOps from "./ops-softmax.ts";
import { Linear, Embedding, LayerNorm, Conv2d, type LinearOptions, type Conv2dModuleOptions } from "./modules.ts";
import * as conv from "./ops-conv.ts";
import * as layers from "./ops-layers.ts";
import { MultiheadAttention, type MultiheadAttentionOptions } from "./attention.ts";
import { Sequential, ReLU, Tanh, Sigmoid, GELU, Dropout, Flatten, MaxPool2d, AvgPool2d } from "./sequential.ts";
import { Sgd, Adam, clipGradNorm, type Optimizer, type SgdOptions, type AdamOptions } from "./optim.ts";
import { stateOf, loadState } from "./state.ts";
import { Graph } from "./graph.ts";
import { namedParameters, stateDict, loadStateDict } from "./named-parameters.ts";
import { warmup, cosineSchedule } from "./schedules.ts";

export interface TensorOptions {
  /** A leaf whose gradient backward() computes (a parameter): kept outside tidy scopes until disposed. */
  requiresGrad?: boolean;
}

export interface RandnOptions extends TensorOptions {
  /** Seed of the draw; without it, the next draws of nn's generator (seeded by the trial's seed). */
  seed?: number;
}

export function createNN(instance: KernelInstance, seed: number) {
  const e = new Engine(instance, seed);

  function leaf(shape: number[], what: string, options: TensorOptions): Tensor {
    checkShape(shape, what);
    const t = e.make(shape, options.requiresGrad === true);
    t.requiresGrad = options.requiresGrad === true;
    return t;
  }

  return {
    /** A tensor holding `values` (row-major) in `shape`. */
    tensor(values: Float32Array | number[], shape: number[], options: TensorOptions = {}): Tensor {
      const t = leaf(shape, "tensor", options);
      if (values.length !== t.size) {
        t.dispose();
        throw new RangeError(`tensor: ${values.length} values for shape [${shape}] (${sizeOf(shape)} elements)`);
      }
      e.writeF32(t.ptr, values);
      return t;
    },
    zeros(shape: number[], options: TensorOptions = {}): Tensor {
      const t = leaf(shape, "zeros", options);
      e.k.fillF32(t.ptr, t.size, 0);
      return t;
    },
    ones(shape: number[], options: TensorOptions = {}): Tensor {
      const t = leaf(shape, "ones", options);
      e.k.fillF32(t.ptr, t.size, 1);
      return t;
    },
    /** Standard normal values (Box–Muller on xoshiro128** in wasm). */
    randn(shape: number[], options: RandnOptions = {}): Tensor {
      const t = leaf(shape, "randn", options);
      e.withRng(options.seed, (rng) => e.k.fillNormal(t.ptr, t.size, rng, 0, 1));
      return t;
    },
    /** Reseeds the generator of draws without their own seed. */
    manualSeed(s: number): void {
      e.k.rngSeed(e.defaultRng, s >>> 0, 0x6e6e);
    },
    /** A copy of that generator's state (PyTorch's get_rng_state): a checkpoint keeps it so dropout and draws resume exactly. */
    getRngState(): Uint8Array {
      e.notWhileCapturing("getRngState");
      return e.instance.u8(e.defaultRng, RNG_STATE_BYTES).slice();
    },
    setRngState(state: Uint8Array): void {
      if (!(state instanceof Uint8Array) || state.byteLength !== RNG_STATE_BYTES) throw new RangeError(`setRngState: needs the ${RNG_STATE_BYTES} bytes getRngState gave`);
      e.notWhileCapturing("setRngState");
      e.instance.u8(e.defaultRng, RNG_STATE_BYTES).set(state);
    },

    add: elementwise.add, sub: elementwise.sub, mul: elementwise.mul, div: elementwise.div,
    neg: elementwise.neg, exp: elementwise.exp, log: elementwise.log, sqrt: elementwise.sqrt, pow: elementwise.pow,
    relu: elementwise.relu, gelu: elementwise.gelu, tanh: elementwise.tanh, sigmoid: elementwise.sigmoid,
    sum: reduce.sum, mean: reduce.mean, max: reduce.max,
    reshape: layout.reshape, transpose: layout.transpose, permute: layout.permute, narrow: layout.narrow, cat: layout.cat, expand: layout.expand,
    matmul: matmulOps.matmul, linear: matmulOps.linear,
    softmax: softmaxOps.softmax, logSoftmax: softmaxOps.logSoftmax,
    embedding: layers.embedding, indexSelect: layers.indexSelect, layerNorm: layers.layerNorm, dropout: layers.dropout,
    conv2d: conv.conv2d, maxPool2d: conv.maxPool2d, avgPool2d: conv.avgPool2d,
    crossEntropy: softmaxOps.crossEntropy, nllLoss: softmaxOps.nllLoss, mseLoss: softmaxOps.mseLoss,

    /** Runs fn without recording gradients (evaluation). */
    noGrad: <T>(fn: () => T): T => e.noGrad(fn),
    /** Runs fn and frees every tensor it made except what it returns and parameters. */
    tidy: <T>(fn: () => T): T => e.tidy(fn),
    /** Takes a tensor out of the enclosing tidy scopes: it lives until disposed. */
    keep: (t: Tensor): Tensor => e.keep(t),
    /**
     * Captures a step (fn runs once, as written) to replay without JavaScript's per-op work, as
     * torch.cuda.graph: see graph.ts for what a replay takes from the capture.
     */
    graph: <T>(fn: () => T): Graph<T> => new Graph(e, fn),
    /** Live tensors and the bytes of their blocks. */
    memory: () => ({ bytes: e.allocator.bytes, tensors: e.liveTensors }),

    Linear: function (inFeatures: number, outFeatures: number, options?: LinearOptions) {
      return new Linear(e, inFeatures, outFeatures, options);
    } as unknown as new (inFeatures: number, outFeatures: number, options?: LinearOptions) => Linear,

    Embedding: function (numEmbeddings: number, embeddingDim: number, options?: { seed?: number }) {
      return new Embedding(e, numEmbeddings, embeddingDim, options);
    } as unknown as new (numEmbeddings: number, embeddingDim: number, options?: { seed?: number }) => Embedding,
    LayerNorm: function (shape: number | number[], options?: { eps?: number; elementwiseAffine?: boolean }) {
      return new LayerNorm(e, shape, options);
    } as unknown as new (shape: number | number[], options?: { eps?: number; elementwiseAffine?: boolean }) => LayerNorm,
    Conv2d: function (inChannels: number, outChannels: number, kernelSize: number | [number, number], options?: Conv2dModuleOptions) {
      return new Conv2d(e, inChannels, outChannels, kernelSize, options);
    } as unknown as new (inChannels: number, outChannels: number, kernelSize: number | [number, number], options?: Conv2dModuleOptions) => Conv2d,
    MultiheadAttention: function (embedDim: number, numHeads: number, options?: MultiheadAttentionOptions) {
      return new MultiheadAttention(e, embedDim, numHeads, options);
    } as unknown as new (embedDim: number, numHeads: number, options?: MultiheadAttentionOptions) => MultiheadAttention,

    // Modules without weights need no engine: the classes themselves (`new nn.ReLU()`).
    Sequential, ReLU, Tanh, Sigmoid, GELU, Dropout, Flatten, MaxPool2d, AvgPool2d,

    optim: {
      sgd: (params: Tensor[], options: SgdOptions): Optimizer => new Sgd(params, options),
      adam: (params: Tensor[], options: AdamOptions = {}): Optimizer => new Adam(params, options, false),
      adamw: (params: Tensor[], options: AdamOptions = {}): Optimizer => new Adam(params, options, true),
    },
    clipGradNorm,
    schedules: { warmup, cosine: cosineSchedule(e.k) },
    stateOf,
    loadState,
    /** A model's parameters (a module, or an object or array of them) by dotted name, as PyTorch's named_parameters. */
    namedParameters,
    /** Copies of them as named arrays (a kept state written as .npz), as PyTorch's state_dict. */
    stateDict,
    /** Named arrays back into the model's parameters, every name and shape checked, as load_state_dict (strict). */
    loadStateDict,
  };
}

/** What `ctx.nn` is. */
export type NN = ReturnType<typeof createNN>;
