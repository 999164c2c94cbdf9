// Puts an instance back as it was just after instantiation, so a thread runs trial after trial
// on one instance: instantiating (and tearing down) a fresh one cost more than a tiny trial's
// whole work. What a trial can change is the heap (zeroed up to where it reached, and the
// bump pointer rewound) and the scratch buffers' globals; the host restores the static data
// below the heap (instance-pool.ts). Every trial then sees the same addresses and the same
// zeroed memory as on a fresh instance, so the same bits. A larger memory (grown by an
// earlier trial) changes no address: the bump allocator only grows when it runs out.
import { resetGemmScratch } from "./gemm";
import { resetConvScratch } from "./conv-direct";

/** Where the heap starts: below it lie the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

export function resetKernels(): void {
  // One byte more from the bump allocator tells where the heap reached.
  const top = heap.alloc(1) + 16;
  heap.reset();
  memory.fill(__heap_base, 0, top - __heap_base);
  resetGemmScratch();
  resetConvScratch();
}
