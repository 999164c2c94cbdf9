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

/**
 * Where the heap has reached (past its last block): the same on a fresh instance and on a reset
 * one after the same allocations, unlike the memory's size, which an earlier, larger trial grew.
 */
export function heapTop(): usize {
  // The stub allocator takes back its last block when it is freed: this moves nothing.
  const probe = heap.alloc(0);
  heap.free(probe);
  return probe;
}

export function resetKernels(): void {
  const top = heapTop();
  heap.reset();
  memory.fill(__heap_base, 0, top - __heap_base);
  resetGemmScratch();
  resetConvScratch();
}
