// The state behind one `ctx.nn`: the trial's kernel instance, the block allocator, the tidy
// scopes, whether gradients are recorded, and the tape's node counter. Ops create tensors
// and record nodes through it; nothing here touches an element.
import type { KernelInstance } from "../instance.ts";
import type { KernelExports } from "../exports.ts";
import { BlockAllocator } from "./block-allocator.ts";
import { Tensor } from "./tensor.ts";
import { sizeOf, type Shape } from "./shape.ts";

/** Largest rank the strided kernels take (their descriptor block is sized for it). */
export const MAX_RANK = 8;

/** One recorded operation: its inputs and how a gradient of its output flows back to them. */
export interface TapeNode {
  /** Creation order: backward visits nodes from the largest id down, a fixed topological order. */
  readonly id: number;
  readonly inputs: readonly Tensor[];
  /** Gradients for the inputs (null where an input needs none), computed with ops under noGrad. */
  backward(grad: Tensor): (Tensor | null)[];
}

export class Engine {
  readonly k: KernelExports;
  readonly allocator: BlockAllocator;
  private readonly scopes: Set<Tensor>[] = [];
  private gradDisabled = 0;
  private nextNodeId = 0;
  private metaPtr: number;
  private metaView: Int32Array | undefined;
  /** The generator for draws without their own seed (modules' initialisation), seeded from the trial's seed. */
  readonly defaultRng: number;

  constructor(readonly instance: KernelInstance, seed: number) {
    this.k = instance.k;
    this.allocator = new BlockAllocator(instance);
    this.metaPtr = instance.allocBytes(4 * 4 * MAX_RANK);
    this.defaultRng = instance.allocBytes(16);
    this.k.rngSeed(this.defaultRng, seed >>> 0, NN_STREAM);
  }

  /**
   * Runs fn with a generator state: a fresh one seeded by `seed` (in a block freed afterwards,
   * so a seeded draw per step does not grow the heap), or nn's own when seed is undefined.
   */
  withRng<T>(seed: number | undefined, fn: (state: number) => T): T {
    if (seed === undefined) return fn(this.defaultRng);
    const state = this.allocator.alloc(16);
    try {
      this.k.rngSeed(state, seed >>> 0, NN_STREAM);
      return fn(state);
    } finally {
      this.allocator.release(state, 16);
    }
  }

  /**
   * A new tensor with uninitialised values, owned by the innermost tidy scope; a `kept` one
   * (a parameter, a gradient, an optimiser's moment) by no scope: it lives until disposed.
   */
  make(shape: Shape, kept = false): Tensor {
    const size = sizeOf(shape);
    const ptr = this.allocator.alloc(size * 4);
    const t = new Tensor(this, ptr, shape.slice(), size);
    this.liveTensors++;
    if (!kept) this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  /** Tensors made and not yet disposed. */
  liveTensors = 0;

  zerosLike(shape: Shape): Tensor {
    const t = this.make(shape);
    this.k.fillF32(t.ptr, t.size, 0);
    return t;
  }

  release(t: Tensor): void {
    this.allocator.release(t.ptr, t.size * 4);
    this.liveTensors--;
  }

  get recording(): boolean {
    return this.gradDisabled === 0;
  }

  /** Marks `output` as made from `inputs`; records the node when gradients flow through it. */
  record(output: Tensor, inputs: readonly Tensor[], backward: TapeNode["backward"]): Tensor {
    if (this.gradDisabled === 0 && inputs.some((t) => t.requiresGrad)) {
      output.requiresGrad = true;
      output.creator = { id: this.nextNodeId++, inputs, backward };
    }
    return output;
  }

  noGrad<T>(fn: () => T): T {
    this.gradDisabled++;
    try {
      return fn();
    } finally {
      this.gradDisabled--;
    }
  }

  /** Runs fn in a scope: every tensor made in it is freed at its end except `kept`'s and what fn returns. */
  tidy<T>(fn: () => T): T {
    const scope = new Set<Tensor>();
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.scopes.pop();
      for (const t of scope) t.dispose();
      throw err;
    }
    this.scopes.pop();
    if (result instanceof Promise) throw new TypeError("tidy: fn must be synchronous (it returned a Promise); await outside the tidy");
    const returned = new Set<Tensor>();
    collectTensors(result, returned);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope) {
      if (returned.has(t)) parent?.add(t);
      else t.dispose();
    }
    return result;
  }

  /** Whether t belongs to the innermost tidy scope (made in it, not returned out of it yet). */
  inInnermostScope(t: Tensor): boolean {
    return this.scopes[this.scopes.length - 1]?.has(t) ?? false;
  }

  /** Takes a tensor out of every scope: it lives until disposed (what tidy does to parameters). */
  keep(t: Tensor): Tensor {
    for (const s of this.scopes) s.delete(t);
    return t;
  }

  /** Writes a strided kernel's descriptor (shape, then each stride list; the counter's room follows). */
  meta(shape: readonly number[], ...strides: readonly number[][]): number {
    if (shape.length > MAX_RANK) throw new RangeError(`tensors of rank above ${MAX_RANK} are not supported (rank ${shape.length})`);
    if (this.metaView?.buffer !== this.instance.buffer) this.metaView = new Int32Array(this.instance.buffer, this.metaPtr, 4 * MAX_RANK);
    const v = this.metaView;
    const r = shape.length;
    v.set(shape, 0);
    strides.forEach((s, i) => v.set(s, (i + 1) * r));
    return this.metaPtr;
  }

  f32(ptr: number, count: number): Float32Array {
    return this.instance.f32(ptr, count);
  }
}

/** The xoshiro stream of ctx.nn's draws (other streams belong to the built-in trainer). */
export const NN_STREAM = 0x6e6e;

function collectTensors(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) into.add(value);
  else if (depth > 4 || value === null || typeof value !== "object") return;
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collectTensors(v, into, depth + 1);
}
