// DSC2: a packed data file as one content-addressed blob, which the controller builds once and
// every worker downloads. Its SHA-256 names the data of a sweep, so identical tables must give
// identical bytes: the header is JSON with a fixed key order, the values little-endian.
//
//   0   "DSC2"          magic
//   4   u32 LE          header length h
//   8   h bytes UTF-8   JSON header (DatasetBlobHeader)
//   ..  zero padding to a multiple of 8
//   ..  x               u8, or f32 LE; sample-major
//   ..  y               i32 LE class indices, or f32 LE targets
import { z } from "zod";
import { littleEndianBytes, readLittleEndian } from "./little-endian.ts";
import { valuesPerSample, type RawTable } from "./raw-table.ts";

const MAGIC = "DSC2";
const VERSION = 1;

const count = z.int().min(1).max(0xffff_ffff);
const DatasetBlobHeader = z.strictObject({
  version: z.literal(VERSION),
  x: z.enum(["u8", "f32"]),
  /** [samples, ...one sample's shape]. */
  shape: z.array(count).min(2),
  y: z.enum(["class", "target"]),
  classes: z.array(z.string()).min(1).nullable(),
  count,
  /** Where the rows of a separate test file begin; null when workers split at random. */
  testStart: count.nullable(),
  /** Where the rows of a separate validation file begin (before any test file's); absent when the validation split is drawn from the train rows. */
  validationStart: count.optional(),
});
type DatasetBlobHeader = z.output<typeof DatasetBlobHeader>;

export class DatasetBlobError extends Error {
  constructor(problem: string) {
    super(`dataset blob: ${problem}`);
    this.name = "DatasetBlobError";
  }
}

export interface DecodedDatasetBlob {
  table: RawTable;
  testStart: number | null;
  validationStart: number | null;
}

export function encodeDatasetBlob(table: RawTable, opts: { testStart: number | null; validationStart?: number | null }): Uint8Array {
  const header: DatasetBlobHeader = {
    version: VERSION,
    x: table.x instanceof Uint8Array ? "u8" : "f32",
    shape: table.shape,
    y: table.classes === null ? "target" : "class",
    classes: table.classes,
    count: table.shape[0]!,
    testStart: opts.testStart,
    // Only when there is one: a blob without a validation file keeps its bytes, and its hash.
    ...(opts.validationStart != null && { validationStart: opts.validationStart }),
  };
  checkTable(table, checkHeader(header));
  const json = new TextEncoder().encode(JSON.stringify(header));
  const xStart = align8(8 + json.length);
  const xBytes = table.x instanceof Uint8Array ? table.x : littleEndianBytes(table.x);
  const yBytes = littleEndianBytes(table.y);
  const out = new Uint8Array(xStart + xBytes.length + yBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(xBytes, xStart);
  out.set(yBytes, xStart + xBytes.length);
  return out;
}

export function decodeDatasetBlob(bytes: Uint8Array): DecodedDatasetBlob {
  if (bytes.byteLength < 8) throw new DatasetBlobError(`${bytes.byteLength} bytes, too short for a header`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new DatasetBlobError(`starts with ${JSON.stringify(magic)}, not "${MAGIC}"`);
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + jsonLength > bytes.byteLength) throw new DatasetBlobError(`header of ${jsonLength} bytes runs past the end (${bytes.byteLength} bytes)`);

  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + jsonLength)));
  } catch (err) {
    throw new DatasetBlobError(`header is not JSON: ${(err as Error).message}`);
  }
  const header = checkHeader(raw);

  const xStart = align8(8 + jsonLength);
  if (bytes.subarray(8 + jsonLength, Math.min(xStart, bytes.byteLength)).some((b) => b !== 0)) {
    throw new DatasetBlobError("padding after the header is not zero");
  }
  const xCount = header.count * valuesPerSample(header.shape);
  const xLength = header.x === "u8" ? xCount : xCount * 4;
  const expected = xStart + xLength + header.count * 4;
  if (bytes.byteLength !== expected) {
    throw new DatasetBlobError(`${bytes.byteLength} bytes, the header describes ${expected}`);
  }
  const x = header.x === "u8" ? new Uint8Array(bytes.subarray(xStart, xStart + xLength)) : readLittleEndian(Float32Array, bytes, xStart, xCount);
  const y = header.y === "class"
    ? readLittleEndian(Int32Array, bytes, xStart + xLength, header.count)
    : readLittleEndian(Float32Array, bytes, xStart + xLength, header.count);
  const table: RawTable = { x, shape: header.shape, y, classes: header.classes };
  checkTable(table, header);
  return { table, testStart: header.testStart, validationStart: header.validationStart ?? null };
}

/** The header's fields, alone and against each other. */
function checkHeader(raw: unknown): DatasetBlobHeader {
  const parsed = DatasetBlobHeader.safeParse(raw);
  if (!parsed.success) {
    throw new DatasetBlobError(`bad header: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  const h = parsed.data;
  if (h.shape[0] !== h.count) throw new DatasetBlobError(`count ${h.count} differs from shape[0] ${h.shape[0]}`);
  if (!Number.isSafeInteger(h.count * valuesPerSample(h.shape))) throw new DatasetBlobError(`shape [${h.shape.join(", ")}] is too large`);
  if (h.testStart !== null && h.testStart >= h.count) {
    throw new DatasetBlobError(`testStart ${h.testStart} leaves no test rows among ${h.count}`);
  }
  if (h.validationStart !== undefined && h.validationStart >= (h.testStart ?? h.count)) {
    throw new DatasetBlobError(`validationStart ${h.validationStart} leaves no validation rows before ${h.testStart === null ? `the end (${h.count})` : `testStart ${h.testStart}`}`);
  }
  if ((h.y === "class") !== (h.classes !== null)) throw new DatasetBlobError(`y "${h.y}" with classes ${h.classes === null ? "null" : "listed"}`);
  if (h.classes !== null && new Set(h.classes).size !== h.classes.length) throw new DatasetBlobError("classes has duplicates");
  return h;
}

/** The arrays against the header: lengths, types, label indices, finite values. */
function checkTable(table: RawTable, h: DatasetBlobHeader): void {
  const xCount = h.count * valuesPerSample(h.shape);
  if (table.x.length !== xCount) throw new DatasetBlobError(`x has ${table.x.length} values, shape [${h.shape.join(", ")}] needs ${xCount}`);
  if (table.y.length !== h.count) throw new DatasetBlobError(`y has ${table.y.length} values for ${h.count} samples`);
  if (h.classes !== null) {
    if (!(table.y instanceof Int32Array)) throw new DatasetBlobError("class labels must be an Int32Array");
    const bad = table.y.findIndex((c) => c < 0 || c >= h.classes!.length);
    if (bad >= 0) throw new DatasetBlobError(`label ${table.y[bad]} at row ${bad} is not an index into ${h.classes.length} classes`);
  } else {
    if (!(table.y instanceof Float32Array)) throw new DatasetBlobError("regression targets must be a Float32Array");
    const bad = table.y.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DatasetBlobError(`target ${table.y[bad]} at row ${bad} is not finite`);
  }
  if (table.x instanceof Float32Array) {
    const bad = table.x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DatasetBlobError(`x value ${table.x[bad]} at flat index ${bad} is not finite`);
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
