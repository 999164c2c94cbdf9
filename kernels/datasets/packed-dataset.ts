// The compact binary form of a real dataset: u8 features (pixels) and u8 labels, small
// enough to ship to workers as one content-addressed blob.
//
//   0  "DSC1"    magic
//   4  u32 LE    samples
//   8  u32 LE    features per sample
//  12  u32 LE    classes
//  16  u8[samples]            labels
//  ..  u8[samples × features] features, sample-major

export interface PackedDataset {
  samples: number;
  features: number;
  classes: number;
  labels: Uint8Array;
  features8: Uint8Array;
}

const MAGIC = 0x31435344; // "DSC1" little-endian
const HEADER_BYTES = 16;

export function encodePackedDataset(d: PackedDataset): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + d.samples + d.samples * d.features);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, d.samples, true);
  view.setUint32(8, d.features, true);
  view.setUint32(12, d.classes, true);
  out.set(d.labels, HEADER_BYTES);
  out.set(d.features8, HEADER_BYTES + d.samples);
  return out;
}

export function decodePackedDataset(bytes: Uint8Array): PackedDataset {
  if (bytes.byteLength < HEADER_BYTES) throw new Error(`dataset blob too short (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error("dataset blob has no DSC1 header");
  const samples = view.getUint32(4, true);
  const features = view.getUint32(8, true);
  const classes = view.getUint32(12, true);
  const expected = HEADER_BYTES + samples + samples * features;
  if (bytes.byteLength !== expected) {
    throw new Error(`dataset blob is ${bytes.byteLength} bytes, header says ${expected}`);
  }
  const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + samples);
  for (const label of labels) {
    if (label >= classes) throw new Error(`dataset blob has label ${label} ≥ classes (${classes})`);
  }
  return { samples, features, classes, labels, features8: bytes.subarray(HEADER_BYTES + samples) };
}
