// Modules with PyTorch's default initialisation, drawn from a seeded generator in wasm.
// A module is a plain object with forward() and parameters(); a model is any object of them.
import type { Tensor } from "./tensor.ts";
import type { Engine } from "./engine.ts";
import { linear } from "./ops-matmul.ts";

export interface Module {
  forward(...inputs: Tensor[]): Tensor;
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
    const rng = options.seed === undefined ? e.defaultRng : e.newRng(options.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParameter(e, [outFeatures, inFeatures], bound, rng);
    this.bias = options.bias === false ? null : uniformParameter(e, [outFeatures], bound, rng);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  parameters(): Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}
