// The DSC2 blob stores multi-byte values little-endian whatever the host; on a little-endian
// host (nearly all) these are plain copies, elsewhere a DataView swaps each value.

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The array's values as little-endian bytes. */
export function littleEndianBytes(a: Float32Array | Int32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) view.setFloat32(i * 4, a[i]!, true);
    else view.setInt32(i * 4, a[i]!, true);
  }
  return out;
}

/** `count` little-endian 4-byte values from `bytes` at `offset`, copied into a new array. */
export function readLittleEndian<T extends Float32Array | Int32Array>(
  Type: { new (buffer: ArrayBuffer): T; new (length: number): T },
  bytes: Uint8Array,
  offset: number,
  count: number,
): T {
  if (HOST_IS_LITTLE_ENDIAN) {
    // A copy into a fresh ArrayBuffer (Buffer.slice would share the pool, and the offset may be unaligned).
    return new Type(new Uint8Array(bytes.subarray(offset, offset + count * 4)).buffer);
  }
  const out = new Type(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  for (let i = 0; i < count; i++) out[i] = out instanceof Float32Array ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
  return out;
}
