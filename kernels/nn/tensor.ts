// A tensor of ctx.nn: f32 values in one block of the trial's wasm memory, contiguous and
// row-major. Methods are PyTorch's names; each delegates to its op module.
import type { Engine, TapeNode } from "./engine.ts";
import type { Shape } from "./shape.ts";
import * as elementwise from "./ops-elementwise.ts";
import * as reduce from "./ops-reduce.ts";
import * as layout from "./ops-layout.ts";
import * as matmulOps from "./ops-matmul.ts";
import * as softmaxOps from "./ops-softmax.ts";
import { backward } from "./backward.ts";

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
    backward(this, grad);
  }

  add(b: Tensor | number): Tensor { return elementwise.add(this, b); }
  sub(b: Tensor | number): Tensor { return elementwise.sub(this, b); }
  mul(b: Tensor | number): Tensor { return elementwise.mul(this, b); }
  div(b: Tensor | number): Tensor { return elementwise.div(this, b); }
  neg(): Tensor { return elementwise.neg(this); }
  exp(): Tensor { return elementwise.exp(this); }
  log(): Tensor { return elementwise.log(this); }
  sqrt(): Tensor { return elementwise.sqrt(this); }
  pow(p: number): Tensor { return elementwise.pow(this, p); }
  relu(): Tensor { return elementwise.relu(this); }
  gelu(): Tensor { return elementwise.gelu(this); }
  tanh(): Tensor { return elementwise.tanh(this); }
  sigmoid(): Tensor { return elementwise.sigmoid(this); }
  sum(dim?: number, keepdim = false): Tensor { return reduce.sum(this, dim, keepdim); }
  mean(dim?: number, keepdim = false): Tensor { return reduce.mean(this, dim, keepdim); }
  max(dim: number, keepdim = false): Tensor { return reduce.max(this, dim, keepdim); }
  reshape(...shape: number[] | [number[]]): Tensor { return layout.reshape(this, shape.flat()); }
  transpose(d0: number, d1: number): Tensor { return layout.transpose(this, d0, d1); }
  narrow(dim: number, start: number, length: number): Tensor { return layout.narrow(this, dim, start, length); }
  matmul(b: Tensor): Tensor { return matmulOps.matmul(this, b); }
  softmax(dim: number): Tensor { return softmaxOps.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return softmaxOps.logSoftmax(this, dim); }
}
