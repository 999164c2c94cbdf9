// A tensor of ctx.nn and the engine that owns it: f32 values in one block of the trial's wasm
// memory, contiguous and row-major, made and freed by the engine (the trial's kernel instance,
// the block allocator, the tidy scopes, whether gradients are recorded, the tape's node
// counter). One file: a tensor is a handle into its engine's memory, and the engine makes
// tensors. Methods are PyTorch's names; each calls the op registered for it (TensorOps).
import type { KernelInstance } from "../instance.ts";
import type { KernelExports } from "../exports.ts";
import { BlockAllocator } from "./block-allocator.ts";
import { sizeOf, type Shape } from "./shape.ts";
import { recordingKernels, setActiveRecording, type StepEntry } from "./step-recorder.ts";

/** Largest rank the strided kernels take (their descriptor block is sized for it). */
export const MAX_RANK = 8;

/** One recorded operation: its inputs and how a gradient of its output flows back to them. */
export interface TapeNode {
  /** Creation order: backward visits nodes from the largest id down, a fixed topological order. */
  readonly id: number;
  readonly inputs: readonly Tensor[];
  /** Gradients for the inputs (null where an input needs none), computed with ops under noGrad. */
  backward(grad: Tensor): (Tensor | null)[];
  /** The tensor this op made. */
  readonly output: Tensor;
  /** @internal The backward pass that last reached this node (each pass marks the nodes it collects). */
  visited: number;
}

export class Engine {
  /**
   * The kernels ops call: the instance's own, or while a step is captured (nn.graph) the same
   * functions each recording its call for replay. Ops read e.k at each call, never keep it.
   */
  k: KernelExports;
  /** The instance's kernels, never recording. */
  readonly kernels: KernelExports;
  /** While a step is captured: what its replay runs, in order (kernel calls with their arguments, host writes, host steps). */
  private recorder: StepEntry[] | null = null;
  readonly allocator: BlockAllocator;
  /**
   * Tensors owned by open tidy scopes, the innermost scope's last; scopeStarts[d] is where
   * scope d's begin. A tensor's scopeDepth says which scope owns it (−1: none), so taking one
   * out (keep, dispose) is a field write, and ending a scope walks only its own slice: a step's
   * bookkeeping costs no Set or Map, whose hashing showed in small models' profiles.
   */
  private readonly tracked: Tensor[] = [];
  private readonly scopeStarts: number[] = [];
  private returnMark = 0;
  private gradDisabled = 0;
  private nextNodeId = 0;
  private metaPtr: number;
  private metaView: Int32Array | undefined;
  /** The generator for draws without their own seed (modules' initialisation), seeded from the trial's seed. */
  readonly defaultRng: number;

  constructor(readonly instance: KernelInstance, seed: number) {
    this.k = this.kernels = instance.k;
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
    return this.adopt(shape.slice(), kept);
  }

  /** make() for a shape array the caller made for this tensor alone (not copied again). */
  adopt(shape: number[], kept = false): Tensor {
    const size = sizeOf(shape);
    const ptr = this.allocator.alloc(size * 4);
    const t = new Tensor(this, ptr, shape, size);
    this.liveTensors++;
    const depth = this.scopeStarts.length - 1;
    if (!kept && depth >= 0) {
      t.scopeDepth = depth;
      this.tracked.push(t);
    }
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
    if (this.gradDisabled !== 0) return output;
    for (let i = 0; i < inputs.length; i++) {
      if (inputs[i]!.requiresGrad) {
        output.requiresGrad = true;
        output.creator = { id: this.nextNodeId++, inputs, backward, output, visited: 0 };
        return output;
      }
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
    const start = this.openScope();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.endScope(start, undefined);
      throw err;
    }
    if (result instanceof Promise) {
      this.endScope(start, undefined);
      throw new TypeError("tidy: fn must be synchronous (it returned a Promise); await outside the tidy");
    }
    this.endScope(start, result);
    return result;
  }

  /**
   * Opens a scope and returns what endScope needs: tidy without its closure, for the backward
   * pass's scope per node (a closure each would be garbage a dozen times a step).
   */
  openScope(): number {
    const start = this.tracked.length;
    this.scopeStarts.push(start);
    return start;
  }

  /**
   * Ends the innermost scope: what it returned moves to the enclosing scope (packed where this
   * scope's slice began, which is the enclosing scope's tail), the rest of its tensors are freed.
   */
  endScope(start: number, result: unknown): void {
    const mark = this.nextReturnMark();
    if (result instanceof Tensor) result.returnMark = mark;
    else if (result !== undefined) forEachTensor(result, (t) => (t.returnMark = mark));
    this.endScopeMarked(start, mark);
  }

  /** A new mark for what a scope returns: tensors whose returnMark is it survive endScopeMarked. */
  nextReturnMark(): number {
    return ++this.returnMark;
  }

  /** endScope where the caller has marked what survives (the backward pass, which walks its gradients anyway). */
  endScopeMarked(start: number, mark: number): void {
    const depth = this.scopeStarts.length - 1;
    this.scopeStarts.pop();
    const tracked = this.tracked;
    let kept = start;
    for (let i = start; i < tracked.length; i++) {
      const t = tracked[i]!;
      if (t.scopeDepth !== depth) continue; // disposed or kept already
      if (t.returnMark !== mark) t.dispose();
      else if (depth > 0) {
        t.scopeDepth = depth - 1;
        tracked[kept++] = t;
      } else t.scopeDepth = -1;
    }
    // pop, not a length write: V8 shrinks an array's length through the runtime, a call per scope.
    while (tracked.length > kept) tracked.pop();
  }

  /** Whether t belongs to the innermost tidy scope (made in it, not returned out of it yet). */
  inInnermostScope(t: Tensor): boolean {
    return t.scopeDepth >= 0 && t.scopeDepth === this.scopeStarts.length - 1;
  }

  /** Takes a tensor out of every scope: it lives until disposed (what tidy does to parameters). */
  keep(t: Tensor): Tensor {
    t.scopeDepth = -1;
    return t;
  }

  /** Writes a strided kernel's descriptor (shape, then each stride list; the counter's room follows). */
  meta(shape: readonly number[], ...strides: readonly number[][]): number {
    if (shape.length > MAX_RANK) throw new RangeError(`tensors of rank above ${MAX_RANK} are not supported (rank ${shape.length})`);
    if (this.metaView?.buffer !== this.instance.buffer) this.metaView = new Int32Array(this.instance.buffer, this.metaPtr, 4 * MAX_RANK);
    const v = this.metaView;
    const r = shape.length;
    v.set(shape, 0);
    for (let i = 0; i < strides.length; i++) v.set(strides[i]!, (i + 1) * r);
    // One descriptor block serves every strided call: a replay writes each call's own first.
    if (this.recorder) {
      const written = v.slice(0, r * (1 + strides.length));
      this.recorder.push({ fn: () => this.writeI32(this.metaPtr, written), args: null });
    }
    return this.metaPtr;
  }

  /** A view of count floats at ptr. */
  f32(ptr: number, count: number): Float32Array {
    return this.instance.f32(ptr, count);
  }

  private heapF32: Float32Array | undefined;
  private heapI32: Int32Array | undefined;

  /**
   * Copies host floats into wasm memory at ptr (through one view of the whole memory, made again
   * only when it grows). While a step is captured, the copy is recorded with the array itself,
   * not its values: a replay copies what the array then holds (a batch refilled in place).
   */
  writeF32(ptr: number, values: ArrayLike<number>): void {
    if (this.heapF32?.buffer !== this.instance.buffer) this.heapF32 = new Float32Array(this.instance.buffer);
    this.heapF32.set(values, ptr >>> 2);
    if (this.recorder) this.recordWrite(ptr, values, (at, v) => this.writeF32(at, v));
  }

  writeI32(ptr: number, values: ArrayLike<number>): void {
    if (this.heapI32?.buffer !== this.instance.buffer) this.heapI32 = new Int32Array(this.instance.buffer);
    this.heapI32.set(values, ptr >>> 2);
    if (this.recorder) this.recordWrite(ptr, values, (at, v) => this.writeI32(at, v));
  }

  /** A host copy for replays: the same array, which must still hold as many values (a longer one would write past its tensor). */
  private recordWrite(ptr: number, values: ArrayLike<number>, write: (ptr: number, values: ArrayLike<number>) => void): void {
    const length = values.length;
    this.recorder!.push({
      fn: () => {
        if (values.length !== length) throw new RangeError(`graph.replay: an array the step copies into a tensor held ${length} values at the capture and holds ${values.length} now (refill it in place; another size is another graph)`);
        write(ptr, values);
      },
      args: null,
    });
  }

  /** The float at ptr. */
  readF32(ptr: number): number {
    if (this.heapF32?.buffer !== this.instance.buffer) this.heapF32 = new Float32Array(this.instance.buffer);
    return this.heapF32[ptr >>> 2]!;
  }

  /**
   * Refuses JavaScript's own access to tensors' values (a read into a number or an array, a write
   * from one that is not recorded) while a step is captured: a replay would not do it again.
   */
  notWhileCapturing(what: string): void {
    if (this.recorder) {
      throw new Error(`${what}: reads or writes tensors' values from JavaScript while nn.graph captures a step; a replay would not do it again (do it before the capture, or read the graph's outputs after replay())`);
    }
  }

  /** Whether a step is being captured. */
  get capturing(): boolean {
    return this.recorder !== null;
  }

  /** @internal Starts recording every kernel call, host write and host step into `entries` (nn.graph). */
  startRecording(entries: StepEntry[]): void {
    this.recorder = entries;
    setActiveRecording(entries);
    this.k = recordingKernels(this.kernels);
  }

  /** @internal Stops recording. */
  stopRecording(): void {
    this.recorder = null;
    setActiveRecording(null);
    this.k = this.kernels;
  }

  /**
   * While a step is captured: hands the result of the kernel call just made to `use` at each
   * replay (to check a label or an index of a batch refilled between replays, as the op checked
   * it now; to take a loss a kernel returns).
   */
  onReplayResult(use: (result: number) => void): void {
    const rec = this.recorder;
    if (rec && rec.length > 0) rec[rec.length - 1]!.use = use;
  }

  /**
   * Runs fn, which calls kernels with values JavaScript decides at each step (an optimiser's
   * step count and rate, a norm's clipping): a captured step records fn itself, and a replay
   * runs it again, rather than its kernel calls with the values of the capture.
   */
  hostStep(fn: () => void): void {
    const rec = this.recorder;
    if (!rec) return fn();
    rec.push({ fn, args: null });
    // What it allocates is not the capture's: a block the capture freed would be written again
    // by a replay's earlier calls (an optimiser's moments made on its first step must not be one).
    const pool = this.allocator.pauseCapture();
    this.stopRecording();
    try {
      fn();
    } finally {
      this.startRecording(rec);
      this.allocator.beginCapture(pool);
    }
  }
}

/** The xoshiro stream of ctx.nn's draws (other streams belong to the built-in trainer). */
export const NN_STREAM = 0x6e6e;

/** Calls fn on each tensor in a value a step returns: a tensor, or arrays and plain objects of them. */
export function forEachTensor(value: unknown, fn: (t: Tensor) => void, depth = 0): void {
  if (value instanceof Tensor) fn(value);
  else if (depth > 4 || value === null || typeof value !== "object") return;
  else if (Array.isArray(value)) for (const v of value) forEachTensor(v, fn, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) forEachTensor(v, fn, depth + 1);
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
  indexSelect(t: Tensor, dim: number, indices: Int32Array): Tensor;
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
  /** @internal The tidy scope that owns this tensor (its depth; −1: none, it lives until disposed). */
  scopeDepth = -1;
  /** @internal The scope end that last saw this tensor among fn's results. */
  returnMark = 0;
  /** @internal During a backward pass: the gradient summed so far for this tensor (an op's output). */
  pendingGrad: Tensor | null = null;
  /** @internal During a backward pass: how many pending entries hold this gradient tensor. */
  holds = 0;
  /** @internal The ones a backward() given no gradient starts from: a node may skip multiplying by it. */
  unitSeed = false;
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
    this.engine.notWhileCapturing("data");
    return this.engine.f32(this.ptr, this.size).slice();
  }

  /** The one value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: the tensor has ${this.size} elements, not 1`);
    this.engine.notWhileCapturing("item");
    return this.engine.readF32(this.check("item").ptr);
  }

  /** Frees the values (and the gradient). Using the tensor afterwards throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scopeDepth = -1;
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
  indexSelect(dim: number, indices: Int32Array): Tensor { return ops.indexSelect(this, dim, indices); }
}
