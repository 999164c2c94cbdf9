// Bulk bodies: JSON, deflated with pako when large enough to be worth it (Dask's rule:
// ≥ 10 kB and shrinking to ≤ 0.7×). The Content-Encoding header says which. Receivers
// inflate in chunks and stop at the cap, so a deflate bomb costs them at most the cap.
import { deflate, Inflate } from "pako";

export const COMPRESS_MIN_BYTES = 10_000;
/**
 * pako's level for every body a client deflates (results, metrics, heartbeats): 1, where a
 * relay's result batches deflate several times faster than at the default 6, where deflate was
 * a large share of a busy relay's CPU, for about a sixth more bytes.
 */
export const COMPRESS_LEVEL = 1;
export const COMPRESS_MAX_RATIO = 0.7;
/** Largest inflated body a daemon accepts. */
export const DEFAULT_BODY_CAP = 64 * 1024 * 1024;

export interface EncodedBody {
  body: Uint8Array;
  headers: Record<string, string>;
  rawBytes: number;
}

export function encodeJsonBody(value: unknown, force?: "deflate" | "raw"): EncodedBody {
  const raw = new TextEncoder().encode(JSON.stringify(value));
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (force === "deflate" || (force !== "raw" && raw.byteLength >= COMPRESS_MIN_BYTES)) {
    const packed = deflate(raw, { level: COMPRESS_LEVEL });
    if (force === "deflate" || packed.byteLength <= raw.byteLength * COMPRESS_MAX_RATIO) {
      return { body: packed, headers: { ...headers, "content-encoding": "deflate" }, rawBytes: raw.byteLength };
    }
  }
  return { body: raw, headers, rawBytes: raw.byteLength };
}

export class BodyTooLargeError extends Error {
  constructor(readonly cap: number) {
    super(`body exceeds ${cap} bytes`);
  }
}

export class BadEncodingError extends Error {}

/** Inflates a deflate stream, refusing as soon as the output passes `cap` bytes. */
export function inflateCapped(data: Uint8Array, cap: number): Uint8Array {
  const inflator = new Inflate();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooLarge = false;
  inflator.onData = (chunk: Uint8Array) => {
    total += chunk.byteLength;
    if (total > cap) {
      tooLarge = true;
      throw new BodyTooLargeError(cap);
    }
    chunks.push(chunk);
  };
  const STEP = 16 * 1024;
  try {
    for (let off = 0; off < data.byteLength && !tooLarge; off += STEP) {
      inflator.push(data.subarray(off, Math.min(off + STEP, data.byteLength)), off + STEP >= data.byteLength);
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    throw new BadEncodingError(`body is not valid deflate data: ${(err as Error).message}`);
  }
  if (inflator.err) throw new BadEncodingError(`body is not valid deflate data: ${inflator.msg}`);
  const state = inflator as unknown as { ended: boolean; strm: { avail_in: number; total_in: number } };
  if (!state.ended) throw new BadEncodingError("deflate body is truncated");
  // Bytes after the end of the stream would otherwise be dropped without a word.
  if (state.strm.total_in < data.byteLength) {
    throw new BadEncodingError(`deflate body has ${data.byteLength - state.strm.total_in} bytes after the end of the stream`);
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) out.set(c, pos), (pos += c.byteLength);
  return out;
}

export function decodeJsonBody(data: Uint8Array, encoding: string | undefined, cap = DEFAULT_BODY_CAP): unknown {
  return decodeJsonBodyBytes(data, encoding, cap).value;
}

/** The body's JSON value and its size as JSON (inflated): what a sender's raw byte count is. */
export function decodeJsonBodyBytes(data: Uint8Array, encoding: string | undefined, cap = DEFAULT_BODY_CAP): { value: unknown; rawBytes: number } {
  let raw: Uint8Array;
  if (!encoding || encoding === "identity") {
    if (data.byteLength > cap) throw new BodyTooLargeError(cap);
    raw = data;
  } else if (encoding === "deflate") {
    raw = inflateCapped(data, cap);
  } else {
    throw new BadEncodingError(`header 'content-encoding' must be deflate or identity, got ${JSON.stringify(encoding)}`);
  }
  try {
    return { value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw)), rawBytes: raw.byteLength };
  } catch (err) {
    throw new BadEncodingError(`body is not valid JSON: ${(err as Error).message}`);
  }
}
