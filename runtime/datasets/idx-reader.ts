// IDX, the format MNIST ships in: 00 00 <type> <dims>, one u32 big-endian size per dimension,
// then the values big-endian. Tiny and without a well-kept reader on npm, so read here.
// (A gzipped file was already inflated by readDataFile.)
import { fileError, type DataFileRef } from "./dataset-file-error.ts";
import type { NumericArray } from "./numeric-array.ts";
import type { RawTable } from "./raw-table.ts";
import { tableFromArrays } from "./array-table.ts";

type IdxType = { name: string; bytes: number; kind: NumericArray["kind"]; read: (view: DataView, at: number) => number };
const TYPES: Record<number, IdxType> = {
  0x08: { name: "u8", bytes: 1, kind: "u8", read: (v, at) => v.getUint8(at) },
  0x09: { name: "i8", bytes: 1, kind: "int", read: (v, at) => v.getInt8(at) },
  0x0b: { name: "i16", bytes: 2, kind: "int", read: (v, at) => v.getInt16(at, false) },
  0x0c: { name: "i32", bytes: 4, kind: "int", read: (v, at) => v.getInt32(at, false) },
  0x0d: { name: "f32", bytes: 4, kind: "float", read: (v, at) => v.getFloat32(at, false) },
  0x0e: { name: "f64", bytes: 8, kind: "float", read: (v, at) => v.getFloat64(at, false) },
};
const SUPPORTED = Object.entries(TYPES).map(([code, t]) => `${hex(Number(code))} ${t.name}`).join(", ");

/**
 * Images from one IDX file and labels from another. A 3-D image file [n, h, w] gains a
 * channel axis, [n, h, w, 1] (NHWC), so convolutional models see the layout they expect.
 */
export function readIdxTable(
  x: { bytes: Uint8Array; ref: DataFileRef },
  y: { bytes: Uint8Array; ref: DataFileRef },
  task: "classification" | "regression",
): RawTable {
  const images = readIdxArray(x.bytes, x.ref, "x");
  if (images.shape.length === 3) images.shape = [...images.shape, 1];
  return tableFromArrays(images, readIdxArray(y.bytes, y.ref, "labels"), task);
}

/** One IDX array; `name` is how messages call it ("x", "labels"). */
export function readIdxArray(bytes: Uint8Array, ref: DataFileRef, name: string): NumericArray {
  if (bytes.byteLength < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const found = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ") || "nothing";
    throw fileError(ref, null, `is not a CSV, NPY, NPZ or IDX file: it is not named .csv, .npy or .npz, and an IDX file starts with 00 00 <type> <dims>, this one with ${found}`);
  }
  const type = TYPES[bytes[2]!];
  if (!type) throw fileError(ref, null, `IDX type byte ${hex(bytes[2]!)} is not supported (supported: ${SUPPORTED})`);
  const dims = bytes[3]!;
  if (dims === 0) throw fileError(ref, null, "IDX header declares 0 dimensions");
  const dataStart = 4 + 4 * dims;
  if (bytes.byteLength < dataStart) throw fileError(ref, null, `is truncated inside its IDX header (${dims} dimensions need ${dataStart} bytes, the file has ${bytes.byteLength})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: dims }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = count * type.bytes;
  const have = bytes.byteLength - dataStart;
  const described = `shape [${shape.join(", ")}] of ${type.name}`;
  if (have < needed) throw fileError(ref, null, `is truncated: its header says ${described} (${needed} bytes of data), the file has ${have}`);
  if (have > needed) throw fileError(ref, null, `has ${have - needed} bytes after the data of ${described}`);

  let values: NumericArray["values"];
  if (type.name === "u8") values = new Uint8Array(bytes.subarray(dataStart, dataStart + needed)); // a copy (Buffer.slice would share)
  else {
    values = type.kind === "float" ? new Float64Array(count) : type.bytes === 4 ? new Int32Array(count) : new Int16Array(count);
    for (let i = 0; i < count; i++) values[i] = type.read(view, dataStart + i * type.bytes);
  }
  return { values, shape, kind: type.kind, dtype: `IDX ${hex(bytes[2]!)} (${type.name})`, ref, name };
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
