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

/**
 * The blocks a captured step (nn.graph) allocated: its replays write them, so none goes back to
 * the allocator's free lists, to be handed to another tensor, while the graph lives. Freed
 * during the capture, they wait on the pool's own free lists for the capture's next requests
 * (a replay runs the same calls in the same order, so that reuse is the capture's own).
 */
export class BlockPool {
  readonly free: number[][] = [];
  readonly owned = new Set<number>();
}

export class BlockAllocator {
  /** Free blocks per size class, by classIndex (an array: every tensor's alloc and release looks here). */
  private readonly free: number[][] = [];
  private liveBytes = 0;
  private liveBlocks = 0;
  /** The pool of the step being captured, if one is. */
  private capturing: BlockPool | null = null;
  /** Blocks of live graphs' pools, and which pool each belongs to. */
  private readonly pooled = new Map<number, BlockPool>();

  constructor(private readonly instance: KernelInstance) {}

  /** A 64-byte-aligned block of at least `bytes`; its contents are undefined (a reused block is not zeroed). */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    this.liveBytes += size;
    this.liveBlocks++;
    const index = classIndex(size);
    const pool = this.capturing;
    if (!pool) return this.free[index]?.pop() ?? this.instance.allocBytes(size);
    const ptr = pool.free[index]?.pop() ?? this.free[index]?.pop() ?? this.instance.allocBytes(size);
    if (!pool.owned.has(ptr)) {
      pool.owned.add(ptr);
      this.pooled.set(ptr, pool);
    }
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    this.liveBytes -= size;
    this.liveBlocks--;
    const index = classIndex(size);
    let pool = this.pooled.size > 0 ? this.pooled.get(ptr) : undefined;
    if (!pool && this.capturing) {
      // Made before the capture and freed during it: the capture's calls still read or write
      // it (a gradient accumulated into, then zeroed), so a replay would too. The graph's now.
      pool = this.capturing;
      pool.owned.add(ptr);
      this.pooled.set(ptr, pool);
    }
    const lists = pool ? pool.free : this.free;
    (lists[index] ??= []).push(ptr);
  }

  /** Allocations go to `pool` until endCapture (nn.graph's capture). */
  beginCapture(pool: BlockPool | null): void {
    this.capturing = pool;
  }

  endCapture(): void {
    this.capturing = null;
  }

  /** Allocations leave the capture's pool until beginCapture(the pool returned). */
  pauseCapture(): BlockPool | null {
    const pool = this.capturing;
    this.capturing = null;
    return pool;
  }

  /**
   * A graph is gone: its free blocks return to the free lists, and those still held by live
   * tensors (its outputs, gradients) will when those are freed.
   */
  releasePool(pool: BlockPool): void {
    for (const ptr of pool.owned) this.pooled.delete(ptr);
    pool.free.forEach((blocks, index) => {
      if (blocks) (this.free[index] ??= []).push(...blocks);
    });
    pool.owned.clear();
    pool.free.length = 0;
  }

  get bytes(): number {
    return this.liveBytes;
  }

  get blocks(): number {
    return this.liveBlocks;
  }
}
