// One instance of the numeric core: its exports, its memory, and typed views over buffers
// allocated in that memory. Views are re-made when memory grows.
import type { KernelExports } from "./exports.ts";

export class KernelInstance {
  private constructor(readonly k: KernelExports) {}

  static create(module: WebAssembly.Module): KernelInstance {
    let instance: KernelInstance | undefined;
    const imports = {
      env: {
        abort(msg: number, file: number, line: number, column: number): never {
          const text = instance ? instance.readString(msg) : "?";
          const where = instance ? instance.readString(file) : "?";
          throw new Error(`kernel abort: ${text} at ${where}:${line}:${column}`);
        },
      },
    };
    const raw = new WebAssembly.Instance(module, imports);
    instance = new KernelInstance(raw.exports as unknown as KernelExports);
    return instance;
  }

  get buffer(): ArrayBuffer {
    return this.k.memory.buffer;
  }

  allocF32(count: number): number {
    return this.k.allocF32(count);
  }

  allocI32(count: number): number {
    return this.k.allocF32(count);
  }

  allocBytes(count: number): number {
    return this.k.alloc(count);
  }

  f32(ptr: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, count);
  }

  i32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, ptr, count);
  }

  u8(ptr: number, count: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, ptr, count);
  }

  /** Copies a host array into a new buffer in this instance; returns its offset. */
  copyIn(data: Float32Array | Int32Array | Uint8Array): number {
    const ptr = this.k.alloc(data.byteLength);
    new Uint8Array(this.k.memory.buffer, ptr, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return ptr;
  }

  /** An AssemblyScript string (UTF-16, byte length stored just before it). */
  private readString(ptr: number): string {
    if (!ptr) return "";
    const bytes = new Uint32Array(this.k.memory.buffer, ptr - 4, 1)[0]!;
    return String.fromCharCode(...new Uint16Array(this.k.memory.buffer, ptr, bytes >>> 1));
  }
}
