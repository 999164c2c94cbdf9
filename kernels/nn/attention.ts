// Multi-head attention as PyTorch's nn.MultiheadAttention (packed input projection, scaled
// dot-product per head, output projection), composed of ops so its gradient is theirs.
import type { Engine, Tensor } from "./tensor.ts";
import type { Module } from "./modules.ts";
import { uniformParameter } from "./modules.ts";
import { linear } from "./ops-matmul.ts";
import { narrow, reshape, transpose } from "./ops-layout.ts";
import { add, affine } from "./ops-elementwise.ts";
import { softmax } from "./ops-softmax.ts";
import { mean } from "./ops-reduce.ts";
import { matmul } from "./ops-matmul.ts";

export interface MultiheadAttentionOptions {
  /** Inputs and output as [batch, sequence, embed] (true) or PyTorch's default [sequence, batch, embed]. */
  batchFirst?: boolean;
  bias?: boolean;
  seed?: number;
}

export interface AttentionCall {
  /** Added to the scores [target, source] (or [batch·heads, target, source]): −inf masks a position. */
  attnMask?: Tensor;
  /** Whether to return the attention weights averaged over heads (default true, as PyTorch). */
  needWeights?: boolean;
}

function zerosParameter(e: Engine, shape: number[]): Tensor {
  const t = e.make(shape, true);
  e.k.fillF32(t.ptr, t.size, 0);
  t.requiresGrad = true;
  return t;
}

export class MultiheadAttention implements Module {
  /** [3·embed, embed]: query, key and value projections stacked (PyTorch's in_proj_weight). */
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor | null;
  readonly outProjWeight: Tensor;
  readonly outProjBias: Tensor | null;
  private readonly headDim: number;

  constructor(e: Engine, readonly embedDim: number, readonly numHeads: number, readonly options: MultiheadAttentionOptions = {}) {
    if (!Number.isInteger(embedDim) || !Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new RangeError(`MultiheadAttention: embedDim (${embedDim}) must be a multiple of numHeads (${numHeads})`);
    }
    this.headDim = embedDim / numHeads;
    const bias = options.bias !== false;
    // PyTorch: xavier_uniform_ on in_proj_weight, zero biases, out_proj with Linear's default weight.
    [this.inProjWeight, this.outProjWeight] = e.withRng(options.seed, (rng) => [
      uniformParameter(e, [3 * embedDim, embedDim], Math.sqrt(6 / (embedDim + 3 * embedDim)), rng),
      uniformParameter(e, [embedDim, embedDim], 1 / Math.sqrt(embedDim), rng),
    ]);
    this.inProjBias = bias ? zerosParameter(e, [3 * embedDim]) : null;
    this.outProjBias = bias ? zerosParameter(e, [embedDim]) : null;
  }

  /** [output, weights averaged over heads or null], as PyTorch's forward(query, key, value). */
  forward(query: Tensor, key: Tensor, value: Tensor, call: AttentionCall = {}): [Tensor, Tensor | null] {
    const bf = this.options.batchFirst === true;
    const [q0, k0, v0] = [query, key, value].map((t) => (bf ? t : transpose(t, 0, 1))) as [Tensor, Tensor, Tensor];
    const d = this.embedDim, h = this.numHeads, hd = this.headDim;
    const project = (x: Tensor, i: number) => {
      const w = narrow(this.inProjWeight, 0, i * d, d);
      const b = this.inProjBias ? narrow(this.inProjBias, 0, i * d, d) : null;
      const [batch, len] = x.shape as [number, number];
      return transpose(reshape(linear(x, w, b), [batch, len, h, hd]), 1, 2); // [B, h, L, hd]
    };
    const q = project(q0, 0), k = project(k0, 1), v = project(v0, 2);
    let scores = affine(matmul(q, transpose(k, 2, 3)), 1 / Math.sqrt(hd), 0); // [B, h, T, S]
    if (call.attnMask) scores = add(scores, call.attnMask.shape.length === 3 ? reshape(call.attnMask, [...scores.shape]) : call.attnMask);
    const weights = softmax(scores, -1);
    const [batch, , target] = scores.shape as [number, number, number];
    const heads = reshape(transpose(matmul(weights, v), 1, 2), [batch, target, d]);
    let out = linear(heads, this.outProjWeight, this.outProjBias);
    if (!bf) out = transpose(out, 0, 1);
    return [out, call.needWeights === false ? null : mean(weights, 1)];
  }

  parameters(): Tensor[] {
    const all = [this.inProjWeight, this.inProjBias, this.outProjWeight, this.outProjBias];
    return all.filter((t): t is Tensor => t !== null);
  }

  /** PyTorch's state_dict names (named-parameters.ts). */
  namedParameters(): Record<string, Tensor | null> {
    return { in_proj_weight: this.inProjWeight, in_proj_bias: this.inProjBias, "out_proj.weight": this.outProjWeight, "out_proj.bias": this.outProjBias };
  }
}
