// Optimisers with PyTorch's update rules, each parameter's update one kernel call in wasm
// (optim.ts of the core), plus gradient-norm clipping. State (moments) lives in wasm beside
// the parameters and is kept until the optimiser is disposed.
import type { Tensor } from "./tensor.ts";
import type { NamedArrays } from "../named-arrays.ts";

export interface Optimizer {
  /** The learning rate of the next step: set it each step for a schedule. */
  lr: number;
  /** Steps taken. */
  readonly steps: number;
  step(): void;
  /** Frees every gradient (PyTorch's zero_grad with set_to_none). */
  zeroGrad(): void;
  /**
   * Copies of its state as named arrays, PyTorch's names: `steps`, and per parameter i (its
   * index in the list given) that has state, `state.i.momentum_buffer` or `state.i.exp_avg`
   * and `state.i.exp_avg_sq`. With the model's and the generator's state, a checkpoint to resume from exactly.
   */
  stateDict(): NamedArrays;
  /** That state back (every name and shape checked, nothing written on a mismatch). */
  loadStateDict(arrays: NamedArrays): void;
  dispose(): void;
}

export interface SgdOptions { lr: number; momentum?: number; weightDecay?: number }
export interface AdamOptions { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }

function checkParams(params: Tensor[], what: string): Tensor[] {
  if (!Array.isArray(params) || params.length === 0) throw new RangeError(`${what}: needs a non-empty array of parameters`);
  for (const p of params) {
    p.check(what);
    if (!p.requiresGrad || p.creator) throw new TypeError(`${what}: every parameter must be a leaf tensor with requiresGrad`);
  }
  return params.slice();
}

function finite(value: number, name: string, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new RangeError(`${what}: ${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

abstract class BaseOptimizer implements Optimizer {
  lr: number;
  steps = 0;
  protected readonly params: Tensor[];
  /** Per-parameter state tensors, made on the first step that sees a gradient. */
  protected readonly state = new Map<Tensor, Tensor[]>();

  constructor(params: Tensor[], lr: number, protected readonly what: string) {
    this.params = checkParams(params, what);
    this.lr = finite(lr, "lr", what);
  }

  protected stateOf(p: Tensor, count: number): Tensor[] {
    let s = this.state.get(p);
    if (!s) {
      const e = p.engine;
      s = Array.from({ length: count }, () => {
        const t = e.make(p.shape, true);
        e.k.fillF32(t.ptr, t.size, 0);
        return t;
      });
      this.state.set(p, s);
    }
    return s;
  }

  step(): void {
    const e = this.params[0]!.engine;
    if (!e.capturing) return this.stepOn(null);
    // Captured (nn.graph): the gradients' blocks are found now (a replay's backward writes the
    // same ones, and zeroGrad may drop the tensors); the step count and rate when it runs.
    const grads = this.params.map((p) => p.grad?.ptr ?? 0);
    e.hostStep(() => this.stepOn(grads));
  }

  private stepOn(grads: number[] | null): void {
    this.steps++;
    this.beginStep();
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const g = grads ? grads[i]! : (p.grad?.ptr ?? 0);
      if (g !== 0) this.update(p.check(this.what), g);
    }
  }

  /** Before a step's updates (Adam's bias corrections). */
  protected beginStep(): void {}

  /** One parameter's update from the gradient at `g`. */
  protected abstract update(p: Tensor, g: number): void;

  /** The names of a parameter's state tensors, in the order stateOf makes them. */
  protected abstract readonly stateNames: string[];

  stateDict(): NamedArrays {
    const out: NamedArrays = { steps: { shape: [], data: Float64Array.of(this.steps) } };
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (s) this.stateNames.forEach((name, j) => (out[`state.${i}.${name}`] = { shape: [...p.shape], data: s[j]!.data() }));
    });
    return out;
  }

  loadStateDict(arrays: NamedArrays): void {
    this.params[0]!.engine.notWhileCapturing(`${this.what}.loadStateDict`);
    const problems: string[] = [];
    const steps = arrays.steps?.data[0];
    if (!(arrays.steps?.shape.length === 0 && Number.isInteger(steps) && steps! >= 0)) problems.push("steps: must be one whole number ≥ 0 (shape [])");
    const known = new Set(["steps"]);
    const loads: Array<[Tensor, Float32Array[]]> = [];
    this.params.forEach((p, i) => {
      const names = this.stateNames.map((n) => `state.${i}.${n}`);
      names.forEach((n) => known.add(n));
      const given = names.filter((n) => arrays[n]);
      if (!given.length) return;
      if (given.length < names.length) problems.push(`state.${i}: gives ${given.join(", ")} but not ${names.filter((n) => !arrays[n]).join(", ")}`);
      const values: Float32Array[] = [];
      for (const n of given) {
        const a = arrays[n]!;
        if (!(a.data instanceof Float32Array) || a.shape.length !== p.shape.length || a.shape.some((d, j) => d !== p.shape[j])) {
          problems.push(`${n}: float32 [${a.shape.join(", ")}] where the parameter is [${p.shape.join(", ")}]`);
        } else values.push(a.data);
      }
      loads.push([p, values]);
    });
    for (const name of Object.keys(arrays)) if (!known.has(name)) problems.push(`${name}: not a state of ${this.what} over ${this.params.length} parameter(s)`);
    if (problems.length) throw new RangeError(`${this.what}.loadStateDict: ${problems.join("; ")}`);
    this.steps = steps!;
    for (const [p, values] of loads) {
      this.stateOf(p, this.stateNames.length).forEach((t, j) => p.engine.f32(t.ptr, t.size).set(values[j]!));
    }
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
  }
}

/** SGD with heavy-ball momentum and L2 weight decay (torch.optim.SGD, dampening 0). */
export class Sgd extends BaseOptimizer {
  protected get stateNames(): string[] {
    return this.momentum === 0 ? [] : ["momentum_buffer"];
  }
  private readonly momentum: number;
  private readonly weightDecay: number;
  constructor(params: Tensor[], { lr, momentum = 0, weightDecay = 0 }: SgdOptions) {
    super(params, lr, "optim.sgd");
    this.momentum = finite(momentum, "momentum", this.what);
    this.weightDecay = finite(weightDecay, "weightDecay", this.what);
  }
  protected update(p: Tensor, g: number): void {
    const k = p.engine.k;
    if (this.momentum === 0) k.sgdUpdate(p.ptr, g, p.size, this.lr, this.weightDecay);
    else k.momentumUpdate(p.ptr, g, this.stateOf(p, 1)[0]!.ptr, p.size, this.lr, this.momentum, this.weightDecay);
  }
}

/** Adam (decoupled = false: L2 decay added to the gradient, torch.optim.Adam) or AdamW (torch.optim.AdamW). */
export class Adam extends BaseOptimizer {
  protected readonly stateNames = ["exp_avg", "exp_avg_sq"];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  constructor(params: Tensor[], options: AdamOptions, private readonly decoupled: boolean) {
    super(params, options.lr ?? 1e-3, decoupled ? "optim.adamw" : "optim.adam");
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = finite(options.eps ?? 1e-8, "eps", this.what);
    this.weightDecay = finite(options.weightDecay ?? (decoupled ? 1e-2 : 0), "weightDecay", this.what);
    for (const b of [this.beta1, this.beta2]) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${this.what}: betas must be in [0, 1), got [${options.betas}]`);
    }
  }
  /** This step's bias corrections, computed in wasm once for every parameter (adamCorrection). */
  private c1 = 1;
  private c2 = 1;

  protected beginStep(): void {
    const k = this.params[0]!.engine.k;
    this.c1 = k.adamCorrection(this.beta1, this.steps);
    this.c2 = k.adamCorrection(this.beta2, this.steps);
  }

  protected update(p: Tensor, g: number): void {
    const e = p.engine;
    const [m, v] = this.stateOf(p, 2) as [Tensor, Tensor];
    if (this.decoupled || this.weightDecay === 0) {
      e.k.adamUpdateCorrected(p.ptr, g, m.ptr, v.ptr, p.size, this.lr, this.beta1, this.beta2, this.eps, this.decoupled ? this.weightDecay : 0, this.c1, this.c2);
      return;
    }
    // Adam's L2 decay: the update sees g + wd·w; the gradient itself is left as it was.
    const gw = e.make(p.shape, true);
    e.k.fillF32(gw.ptr, gw.size, 0);
    e.k.axpy(gw.ptr, g, p.size, 1);
    e.k.axpy(gw.ptr, p.ptr, p.size, this.weightDecay);
    e.k.adamUpdateCorrected(p.ptr, gw.ptr, m.ptr, v.ptr, p.size, this.lr, this.beta1, this.beta2, this.eps, 0, this.c1, this.c2);
    gw.dispose();
  }
}

/**
 * Scales every gradient by maxNorm / (norm + 1e-6) when their joint L2 norm exceeds maxNorm
 * (torch.nn.utils.clip_grad_norm_); returns the norm. The sum of squares is f64, in order.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const withGrad = params.filter((p) => p.grad);
  if (withGrad.length === 0) return 0;
  // The gradients' blocks now: a captured step (nn.graph) clips the same ones at each replay.
  const grads = withGrad.map((p) => p.grad!.ptr);
  const e = withGrad[0]!.engine;
  let norm = 0;
  e.hostStep(() => {
    const k = e.k;
    let squares = 0;
    for (let i = 0; i < grads.length; i++) squares += k.sumSquares(grads[i]!, withGrad[i]!.size);
    norm = Math.sqrt(squares);
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < grads.length; i++) k.affine(grads[i]!, grads[i]!, withGrad[i]!.size, coef, 0);
  });
  return norm;
}
