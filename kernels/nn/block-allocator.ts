// Blocks of the trial's wasm memory for tensors: sizes round up to a size class and a freed
// block waits on its class's free list for the next request of that class, so a training
// loop that frees what each step made runs in the same blocks step after step. The heap
// below (the stub runtime's bump allocator) never shrinks; this is what keeps it from growing.
import type { KernelInstance } from "../instance.ts";

const MIN_BLOCK = 64;

/** Bytes of the class a request of `bytes` falls in: 64, then four classes per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BLOCK) return MIN_BLOCK;
  // A quarter of the largest power of two below bytes is 2^shift; bytes rounds up to a multiple
  // of it. Integer shifts (exact up to 4 GiB): every tensor's alloc and release runs this, and
  // V8 runs 2 ** x and a division by a variable far slower.
  const shift = 29 - Math.clz32(bytes - 1);
  return (((bytes - 1) >>> shift) + 1) * (1 << shift);
}

/** A small integer per size class (4·shift + the class within its power of two), to index the free lists. */
function classIndex(bytes: number): number {
  if (bytes <= MIN_BLOCK) return 0;
  const shift = 29 - Math.clz32(bytes - 1);
  return 4 * shift + ((bytes - 1) >>> shift) - 4;
}

export class BlockAllocator {
  /** Free blocks per size class, by classIndex (an array: every tensor's alloc and release looks here). */
  private readonly free: number[][] = [];
  private liveBytes = 0;
  private liveBlocks = 0;

  constructor(private readonly instance: KernelInstance) {}

  /** A 64-byte-aligned block of at least `bytes`; its contents are undefined (a reused block is not zeroed). */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    this.liveBytes += size;
    this.liveBlocks++;
    return this.free[classIndex(size)]?.pop() ?? this.instance.allocBytes(size);
  }

  release(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    this.liveBytes -= size;
    this.liveBlocks--;
    const index = classIndex(size);
    (this.free[index] ??= []).push(ptr);
  }

  get bytes(): number {
    return this.liveBytes;
  }

  get blocks(): number {
    return this.liveBlocks;
  }
}
