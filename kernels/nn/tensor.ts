// A tensor of ctx.nn and the engine that owns it: f32 values in one block of the trial's wasm
// memory, contiguous and row-major, made and freed by the engine (the trial's kernel instance,
// the block allocator, the tidy scopes, whether gradients are recorded, the tape's node
// counter). One file: a tensor is a handle into its engine's memory, and the engine makes
// tensors. Methods are PyTorch's names; each calls the op registered for it (TensorOps).
import type { KernelInstance } from "../instance.ts";
import type { KernelExports } from "../exports.ts";
import { BlockAllocator } from "./block-allocator.ts";
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

/**
 * The operations behind Tensor's methods, filled in by the op modules as they load (nn.ts
 * loads them all): this file names no op, so the ops, which make tensors, can import it without
 * a cycle (as tfjs registers its kernels).
 */
export interface TensorOps {
  backward(t: Tensor, grad?: Tensor): void;
  add(t: Tensor, b: Tensor | number): Tensor;
  sub(t: Tensor, b: Tensor | number): Tensor;
  mul(t: Tensor, b: Tensor | number): Tensor;
  div(t: Tensor, b: Tensor | number): Tensor;
  neg(t: Tensor): Tensor;
  exp(t: Tensor): Tensor;
  log(t: Tensor): Tensor;
  sqrt(t: Tensor): Tensor;
  pow(t: Tensor, p: number | Tensor): Tensor;
  relu(t: Tensor): Tensor;
  gelu(t: Tensor): Tensor;
  tanh(t: Tensor): Tensor;
  sigmoid(t: Tensor): Tensor;
  sum(t: Tensor, dim?: number, keepdim?: boolean): Tensor;
  mean(t: Tensor, dim?: number, keepdim?: boolean): Tensor;
  max(t: Tensor, dim?: number, keepdim?: boolean): Tensor | [Tensor, Int32Array];
  reshape(t: Tensor, shape: number[]): Tensor;
  transpose(t: Tensor, d0: number, d1: number): Tensor;
  permute(t: Tensor, dims: number[]): Tensor;
  narrow(t: Tensor, dim: number, start: number, length: number): Tensor;
  matmul(t: Tensor, b: Tensor): Tensor;
  softmax(t: Tensor, dim: number): Tensor;
  logSoftmax(t: Tensor, dim: number): Tensor;
}

const ops = {} as TensorOps;

/** Registers the functions behind some of Tensor's methods (each op module, for its own). */
export function defineTensorOps(defined: Partial<TensorOps>): void {
  Object.assign(ops, defined);
}

export class Tensor {
  /** The gradient after backward() (leaves that require it); null until then and after zeroGrad. */
  grad: Tensor | null = null;
  /** Whether backward() computes a gradient for this tensor (set on leaves, inherited by results). */
  requiresGrad = false;
  /** The op that made this tensor, when gradients flow through it. */
  creator: TapeNode | null = null;
  private disposed = false;
  /** @internal Buffers that live and die with this tensor (a max's indices, a loss's labels). */
  attached: Tensor[] | null = null;

  constructor(
    /** @internal */ readonly engine: Engine,
    /** Byte offset of the values in the instance's memory. */
    readonly ptr: number,
    readonly shape: Shape,
    readonly size: number,
  ) {}

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal Throws when the tensor was freed (by tidy or dispose). */
  check(what: string): this {
    if (this.disposed) throw new Error(`${what}: the tensor [${this.shape}] was disposed (made inside a tidy that has ended?)`);
    return this;
  }

  /** A copy of the values. */
  data(): Float32Array {
    this.check("data");
    return this.engine.f32(this.ptr, this.size).slice();
  }

  /** The one value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: the tensor has ${this.size} elements, not 1`);
    return this.engine.f32(this.check("item").ptr, 1)[0]!;
  }

  /** Frees the values (and the gradient). Using the tensor afterwards throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.release(this);
    this.grad?.dispose();
    this.grad = null;
    if (this.attached) for (const t of this.attached) t.dispose();
    this.attached = null;
    this.creator = null;
  }

  backward(grad?: Tensor): void {
    ops.backward(this, grad);
  }

  add(b: Tensor | number): Tensor { return ops.add(this, b); }
  sub(b: Tensor | number): Tensor { return ops.sub(this, b); }
  mul(b: Tensor | number): Tensor { return ops.mul(this, b); }
  div(b: Tensor | number): Tensor { return ops.div(this, b); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  pow(p: number | Tensor): Tensor { return ops.pow(this, p); }
  relu(): Tensor { return ops.relu(this); }
  gelu(): Tensor { return ops.gelu(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  sum(dim?: number, keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number, keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  /** max() is the largest element; max(dim) is PyTorch's (values, indices), destructured or by name. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): [values: Tensor, indices: Int32Array] & { values: Tensor; indices: Int32Array };
  max(dim?: number, keepdim = false): Tensor | [Tensor, Int32Array] {
    return ops.max(this, dim, keepdim);
  }
  reshape(...shape: number[] | [number[]]): Tensor { return ops.reshape(this, shape.flat()); }
  transpose(d0: number, d1: number): Tensor { return ops.transpose(this, d0, d1); }
  permute(...dims: number[] | [number[]]): Tensor { return ops.permute(this, dims.flat()); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  matmul(b: Tensor): Tensor { return ops.matmul(this, b); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }
}
