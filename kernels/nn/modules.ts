// Modules with PyTorch's default initialisation, drawn from a seeded generator in wasm.
// A module is a plain object with forward() and parameters(); a model is any object of them.
import type { Engine, Tensor } from "./tensor.ts";
import { linear } from "./ops-matmul.ts";
import { embedding, layerNorm } from "./ops-layers.ts";
import { conv2d, type Conv2dOptions } from "./ops-conv.ts";

export interface Module {
  parameters(): Tensor[];
}

export interface LinearOptions {
  /** Whether the layer adds a bias (default true). */
  bias?: boolean;
  /** Seed of the initialisation; without it, the next draws of nn's generator (seeded by the trial's seed). */
  seed?: number;
}

/** A parameter of `shape` uniform in [−bound, bound), drawn in wasm. */
export function uniformParameter(e: Engine, shape: number[], bound: number, rng: number): Tensor {
  const t = e.make(shape, true);
  e.k.fillUniform(t.ptr, t.size, rng, -bound, bound);
  t.requiresGrad = true;
  return t;
}

/**
 * y = x·Wᵀ + b, W [out, in]. PyTorch's default: W by kaiming_uniform(a = √5), which is
 * uniform(±1/√in), and b uniform(±1/√in).
 */
export class Linear implements Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(e: Engine, readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    for (const [name, v] of Object.entries({ inFeatures, outFeatures })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    [this.weight, this.bias] = e.withRng(options.seed, (rng) => [
      uniformParameter(e, [outFeatures, inFeatures], bound, rng),
      options.bias === false ? null : uniformParameter(e, [outFeatures], bound, rng),
    ]);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  parameters(): Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}

/** A lookup table [num, dim]; PyTorch's default initialisation N(0, 1). */
export class Embedding implements Module {
  readonly weight: Tensor;

  constructor(e: Engine, readonly numEmbeddings: number, readonly embeddingDim: number, options: { seed?: number } = {}) {
    for (const [name, v] of Object.entries({ numEmbeddings, embeddingDim })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Embedding: ${name} must be a positive integer, got ${v}`);
    }
    const w = e.make([numEmbeddings, embeddingDim], true);
    e.withRng(options.seed, (rng) => e.k.fillNormal(w.ptr, w.size, rng, 0, 1));
    w.requiresGrad = true;
    this.weight = w;
  }

  /** Rows for `indices`, shaped [...shape, dim] (shape defaults to [indices.length]). */
  forward(indices: Int32Array, shape?: number[]): Tensor {
    return embedding(indices, this.weight, shape);
  }

  parameters(): Tensor[] {
    return [this.weight];
  }
}

/** Layer normalisation over the trailing `shape`; weight 1 and bias 0 as PyTorch's. */
export class LayerNorm implements Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly shape: number[];

  constructor(e: Engine, shape: number | number[], readonly options: { eps?: number; elementwiseAffine?: boolean } = {}) {
    this.shape = typeof shape === "number" ? [shape] : shape.slice();
    const affine = options.elementwiseAffine !== false;
    const filled = (v: number) => {
      const t = e.make(this.shape, true);
      e.k.fillF32(t.ptr, t.size, v);
      t.requiresGrad = true;
      return t;
    };
    this.weight = affine ? filled(1) : null;
    this.bias = affine ? filled(0) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.shape, this.weight, this.bias, this.options.eps ?? 1e-5);
  }

  parameters(): Tensor[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }
}

export interface Conv2dModuleOptions extends Conv2dOptions {
  /** Whether the layer adds a bias (default true). */
  bias?: boolean;
  /** Seed of the initialisation; without it, the next draws of nn's generator. */
  seed?: number;
}

/**
 * A 2-D convolution, weight [out, in, k, k] (or [out, in, kh, kw]). PyTorch's default: weight
 * and bias uniform(±1/√fanIn), fanIn = in·kh·kw (kaiming_uniform with a = √5).
 */
export class Conv2d implements Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(e: Engine, readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], readonly options: Conv2dModuleOptions = {}) {
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    for (const [name, v] of Object.entries({ inChannels, outChannels, kh, kw })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Conv2d: ${name} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(inChannels * kh * kw);
    [this.weight, this.bias] = e.withRng(options.seed, (rng) => [
      uniformParameter(e, [outChannels, inChannels, kh, kw], bound, rng),
      options.bias === false ? null : uniformParameter(e, [outChannels], bound, rng),
    ]);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  parameters(): Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}
