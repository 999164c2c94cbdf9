// Kernel instances reused trial after trial on one thread. Instantiating the core (and
// collecting the instance later) cost more than a tiny trial's whole work; a released instance
// is reset instead (assembly/reset.ts zeroes the heap and rewinds it, and its static data is
// restored here), so the next trial sees exactly what a fresh instance shows it.
import { KernelInstance } from "./instance.ts";

/** Instances kept for reuse beyond those in use: a trial takes one, plus one to read a built-in dataset. */
const KEEP = 4;
/**
 * A larger instance is dropped, not kept: wasm memory never shrinks, and a thread that once ran
 * a large trial would hold that much for the rest of its life.
 */
const KEEP_MAX_BYTES = 256 * 1024 ** 2;

export class KernelPool {
  private free: KernelInstance[] = [];
  /** The bytes below the heap of a fresh instance: the module's static data. */
  private statics: Uint8Array | undefined;

  constructor(private readonly module: WebAssembly.Module) {}

  /** An instance in its just-instantiated state. */
  acquire(): KernelInstance {
    const reused = this.free.pop();
    if (reused) return reused;
    const fresh = KernelInstance.create(this.module);
    this.statics ??= fresh.u8(0, fresh.k.heapBase()).slice();
    return fresh;
  }

  /** Takes an instance back once nothing reads its memory any more (its trial's state is hashed). */
  release(instance: KernelInstance): void {
    if (this.free.length >= KEEP || instance.buffer.byteLength > KEEP_MAX_BYTES) return;
    instance.k.resetKernels();
    instance.u8(0, this.statics!.length).set(this.statics!);
    this.free.push(instance);
  }
}
