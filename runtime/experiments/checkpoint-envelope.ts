// A checkpoint as stored: the experiment's own state bytes, wrapped with the step it was taken at
// and the reports made up to it. The reports travel with the state so that an attempt resuming
// from it ends with the full list (its result, and so its hash, as an uninterrupted run's) and
// never reports a step twice. Format: "DCKP", version 1, u32 LE header length, header JSON
// { step, reports, format? ("npz": named arrays) }, then the state's bytes as given.
import type { Metrics } from "./contract.ts";

const MAGIC = [0x44, 0x43, 0x4b, 0x50]; // "DCKP"
const VERSION = 1;
const HEAD = MAGIC.length + 1 + 4;

export interface CheckpointContents {
  /** The experiment's step (`ctx.checkpoint(step, …)`). */
  step: number;
  /** Every report of the trial up to the checkpoint, in order. */
  reports: Metrics[];
  /** The experiment's own bytes. */
  state: Uint8Array;
  /** "npz" when the experiment gave named arrays (the bytes are their .npz). */
  format?: "npz";
}

export function encodeCheckpoint(c: CheckpointContents): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ step: c.step, reports: c.reports, ...(c.format && { format: c.format }) }));
  const out = new Uint8Array(HEAD + header.byteLength + c.state.byteLength);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  new DataView(out.buffer).setUint32(5, header.byteLength, true);
  out.set(header, HEAD);
  out.set(c.state, HEAD + header.byteLength);
  return out;
}

/** Whether `bytes` start as a checkpoint envelope does. */
export function isCheckpointEnvelope(bytes: Uint8Array): boolean {
  return bytes.byteLength >= HEAD && MAGIC.every((b, i) => bytes[i] === b);
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointContents {
  if (bytes.byteLength < HEAD || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a discalc checkpoint (no DCKP header)");
  if (bytes[4] !== VERSION) throw new Error(`checkpoint format version ${bytes[4]}, this discalc reads ${VERSION}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(5, true);
  if (HEAD + length > bytes.byteLength) throw new Error("checkpoint header is truncated");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEAD, HEAD + length))) as { step: number; reports: Metrics[]; format?: "npz" };
  if (!Number.isSafeInteger(header.step) || !Array.isArray(header.reports)) throw new Error("checkpoint header is malformed");
  // A copy: the experiment may keep and change it.
  return { step: header.step, reports: header.reports, state: bytes.slice(HEAD + length), ...(header.format === "npz" && { format: "npz" as const }) };
}
