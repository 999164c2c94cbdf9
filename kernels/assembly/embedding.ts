// Embedding lookups for ctx.nn: rows of a table gathered by index (forward: data.ts's
// gatherRowsF32) and their gradient scattered back, summed in index order so repeated
// indices add up the same way everywhere.
import { axpy } from "./reduce";

/** The first i with idx[i] outside [0, bound), or −1. */
export function firstIndexOutside(idx: usize, n: i32, bound: i32): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<i32>(idx + (<usize>i << 2));
    if (v < 0 || v >= bound) return i;
  }
  return -1;
}

/** dTable[idx[r], :] += dy[r, :] for r in order (dTable zeroed by the caller). */
export function embeddingBackward(dy: usize, idx: usize, count: i32, cols: i32, dTable: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(idx + (<usize>r << 2));
    axpy(dTable + row * rowBytes, dy + <usize>r * rowBytes, cols, 1);
  }
}
