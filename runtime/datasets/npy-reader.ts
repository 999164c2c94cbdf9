// NumPy's .npy (one array) and .npz (a zip of x.npy and y.npy), parsed by npyjs and fflate.
// npyjs trusts its input, so the checks it skips happen here: dtype, byte order, Fortran
// order, and that the data holds exactly the values the shape promises.
import { parse as parseNpy } from "npyjs";
import { unzipSync } from "fflate";
import { DatasetFileError, fileError, type DataFileRef } from "./dataset-file-error.ts";
import type { NumericArray } from "./numeric-array.ts";
import type { RawTable } from "./raw-table.ts";
import { tableFromArrays } from "./array-table.ts";
import { MAX_DATA_FILE_BYTES, formatSize } from "./read-data-file.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const SUPPORTED = "f4, f8, u1, i4, i8";
const DTYPES: Record<string, { kind: NumericArray["kind"]; bytes: number }> = {
  f4: { kind: "float", bytes: 4 },
  f8: { kind: "float", bytes: 8 },
  u1: { kind: "u8", bytes: 1 },
  i4: { kind: "int", bytes: 4 },
  i8: { kind: "int", bytes: 8 },
};
const EXACT = 2n ** 53n;

/** Features from one .npy file and labels from another. */
export function readNpyTable(
  x: { bytes: Uint8Array; ref: DataFileRef },
  y: { bytes: Uint8Array; ref: DataFileRef },
  task: "classification" | "regression",
): RawTable {
  return tableFromArrays(readNpyArray(x.bytes, x.ref, "x"), readNpyArray(y.bytes, y.ref, "labels"), task);
}

/** Features and labels from the arrays x and y of one .npz file. */
export function readNpzTable(bytes: Uint8Array, ref: DataFileRef, task: "classification" | "regression", maxBytes = MAX_DATA_FILE_BYTES): RawTable {
  const { x, y } = readNpzArrays(bytes, ref, maxBytes);
  return tableFromArrays(x, y, task);
}

export function readNpzArrays(bytes: Uint8Array, ref: DataFileRef, maxBytes = MAX_DATA_FILE_BYTES): { x: NumericArray; y: NumericArray } {
  const names: string[] = [];
  let unpacked = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (entry) => {
        names.push(entry.name);
        if (entry.name !== "x.npy" && entry.name !== "y.npy") return false;
        // Checked before inflating: a zip states each entry's size, and fflate allocates it up front.
        unpacked += entry.originalSize;
        if (unpacked > maxBytes) throw fileError(ref, null, `its arrays unpack to ${formatSize(unpacked)}, over the cap for a data file`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    throw fileError(ref, null, `is not a readable NPZ (zip) file: ${(err as Error).message}`, { cause: err });
  }
  const array = (name: "x" | "y") => {
    const entry = entries[`${name}.npy`];
    if (entry) return readNpyArray(entry, ref, name);
    const found = names.map((n) => n.replace(/\.npy$/, "")).join(", ") || "none";
    throw fileError(ref, null, `has no array ${name} (found: ${found}); save with np.savez(path, x=features, y=labels)`);
  };
  return { x: array("x"), y: array("y") };
}

/** One .npy array; `name` is how messages call it ("x", "y", "labels"). */
export function readNpyArray(bytes: Uint8Array, ref: DataFileRef, name: string): NumericArray {
  const where = `array ${name}`;
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw fileError(ref, null, `is not an NPY file (it does not start with \\x93NUMPY)`);
  }
  const { descr, dataStart } = npyHeader(bytes, ref);
  // npyjs reads every dtype as little-endian and drops the byte-order character ('<', or '|'
  // for single bytes), so a big-endian array would come out as garbage: refuse it here.
  const [, order, code] = /^([<|>=]?)(.*)$/.exec(descr)!;
  const dtype = DTYPES[code!];
  if (dtype && order === ">") throw fileError(ref, null, `dtype ${descr} is big-endian; save it little-endian (x.astype("<${code}"))`);
  if (!dtype || (order !== "<" && order !== "|")) throw fileError(ref, null, `dtype ${descr} is not supported (supported: ${SUPPORTED})`);

  // A fresh buffer: npyjs's typed-array views need the data aligned from byte 0, and a
  // partial last value would make it throw a RangeError instead of the message below.
  const whole = Math.floor((bytes.byteLength - dataStart) / dtype.bytes) * dtype.bytes;
  const buffer = new Uint8Array(bytes.subarray(0, dataStart + whole)).buffer; // a copy: Buffer.slice would share its pool
  let parsed: ReturnType<typeof parseNpy>;
  try {
    parsed = parseNpy(buffer);
  } catch (err) {
    throw fileError(ref, null, `is not a readable NPY file: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.fortranOrder) {
    throw fileError(ref, null, `${where} is in Fortran order; save a C-ordered array (np.ascontiguousarray(x))`);
  }
  const shape = parsed.shape;
  const count = shape.reduce((a, b) => a * b, 1);
  const data = parsed.data as Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;
  if (data.length < count) {
    throw fileError(ref, null, `is truncated: shape [${shape.join(", ")}] needs ${count * dtype.bytes} bytes of data, the file has ${bytes.byteLength - dataStart}`);
  }
  if (bytes.byteLength - dataStart > count * dtype.bytes) {
    throw fileError(ref, null, `has ${bytes.byteLength - dataStart - count * dtype.bytes} bytes after the data of shape [${shape.join(", ")}]`);
  }
  const values = data instanceof BigInt64Array ? exactNumbers(data, ref, where) : data;
  return { values, shape, kind: dtype.kind, dtype: descr, ref, name };
}

/** The dtype as written (with its byte-order character) and where the data begins. */
function npyHeader(bytes: Uint8Array, ref: DataFileRef): { descr: string; dataStart: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerStart = major >= 2 ? 12 : 10;
  const headerLength = major >= 2 ? view.getUint32(8, true) : view.getUint16(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.byteLength < dataStart) throw fileError(ref, null, `is truncated inside its NPY header`);
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  if (descr === undefined) throw fileError(ref, null, `has an NPY header without a 'descr' (dtype): ${header.trim()}`);
  return { descr, dataStart };
}

/** int64 values as numbers, refusing any beyond ±2^53 where a double stops being exact. */
function exactNumbers(data: BigInt64Array, ref: DataFileRef, where: string): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > EXACT || v < -EXACT) throw fileError(ref, `${where}, flat index ${i}`, `${v} is beyond ±2^53, where int64 stops being exact as a number`);
    out[i] = Number(v);
  }
  return out;
}
