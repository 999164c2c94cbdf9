// Memory for the TypeScript side: buffers are carved from the AssemblyScript heap and
// addressed by offset; the host wraps them in Float32Array views (re-made after growth).

/** Byte alignment of every buffer: one cache line, so v128 rows never straddle lines. */
export const ALIGN: usize = 64;

/** Allocates `bytes` bytes aligned to 64 and zeroed; returns the offset. */
export function alloc(bytes: usize): usize {
  const raw = heap.alloc(bytes + ALIGN);
  const ptr = (raw + ALIGN - 1) & ~(ALIGN - 1);
  memory.fill(ptr, 0, bytes);
  return ptr;
}

/** Allocates room for `count` f32 values (or any 4-byte element). */
export function allocF32(count: i32): usize {
  return alloc(<usize>count << 2);
}

/** Current size of linear memory in bytes; the host re-makes its views when this changes. */
export function memoryBytes(): usize {
  return <usize>memory.size() << 16;
}
