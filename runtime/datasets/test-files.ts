// For the tests beside this file: real data files in a temp dir, and the bytes of NPY and IDX
// files built the way numpy and the MNIST distribution write them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "npyjs";

/** A temp dir that `remove()` deletes; `write` takes text or bytes and returns the name. */
export function tempDataDir(): { dir: string; write: (name: string, content: string | Uint8Array) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "discalc-datasets-"));
  return {
    dir,
    write: (name, content) => {
      writeFileSync(join(dir, name), content);
      return name;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An .npy file as numpy writes it (via npyjs's dump, which takes the dtype from the array type). */
export function npy(values: Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array, shape: number[]): Uint8Array {
  return new Uint8Array(dump(values, shape));
}

/** An .npy file with any header, for the dtypes and flags npyjs's dump cannot write. */
export function npyWithHeader(descr: string, shape: number[], data: Uint8Array, fortranOrder = false): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? "True" : "False"}, 'shape': (${dims}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n"; // numpy pads the data start to 64 bytes
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** An IDX file: 00 00 <type> <dims>, u32 BE sizes, values big-endian. */
export function idx(type: 0x08 | 0x09 | 0x0b | 0x0c | 0x0d | 0x0e, shape: number[], values: ArrayLike<number>): Uint8Array {
  const size = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }[type];
  const start = 4 + 4 * shape.length;
  const out = new Uint8Array(start + values.length * size);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, shape.length]);
  shape.forEach((n, d) => view.setUint32(4 + 4 * d, n, false));
  for (let i = 0; i < values.length; i++) {
    const at = start + i * size;
    const v = values[i]!;
    if (type === 0x08) view.setUint8(at, v);
    else if (type === 0x09) view.setInt8(at, v);
    else if (type === 0x0b) view.setInt16(at, v, false);
    else if (type === 0x0c) view.setInt32(at, v, false);
    else if (type === 0x0d) view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
