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

export class BlockAllocator {
  private readonly free = new Map<number, number[]>();
  private liveBytes = 0;
  private liveBlocks = 0;

  constructor(private readonly instance: KernelInstance) {}

  /** A 64-byte-aligned block of at least `bytes`; its contents are undefined (a reused block is not zeroed). */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    this.liveBytes += size;
    this.liveBlocks++;
    return this.free.get(size)?.pop() ?? this.instance.allocBytes(size);
  }

  release(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    this.liveBytes -= size;
    this.liveBlocks--;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  get bytes(): number {
    return this.liveBytes;
  }

  get blocks(): number {
    return this.liveBlocks;
  }
}
