// One array read from an NPY, NPZ or IDX file, before it becomes features or labels.
import type { DataFileRef } from "./dataset-file-error.ts";

export interface NumericArray {
  /** Row-major values; 64-bit integers arrive as Float64Array, checked to be exact. */
  values: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  shape: number[];
  /** u8 reads as value / 255 later; int may be class labels; float may not. */
  kind: "u8" | "int" | "float";
  /** As the file spells it, for messages: "<f4", "|u1", "IDX 0x08 (u8)". */
  dtype: string;
  /** The file it came from, and its name in messages ("x", "y", "labels"). */
  ref: DataFileRef;
  name: string;
}
