// A data file once parsed: every sample's features and its label, before any split or
// normalisation. Readers produce it, the DSC2 blob carries it, workers split it.

export interface RawTable {
  /** Sample-major values. u8 data (IDX images, u1 NPY) stays u8 and reads as value / 255 later. */
  x: Float32Array | Uint8Array;
  /** [samples, ...one sample's shape], e.g. [150, 4] or [60000, 28, 28, 1]. */
  shape: number[];
  /** Classification: an index into `classes`. Regression: the target. */
  y: Int32Array | Float32Array;
  /** The class names in label order (classification), or null (regression). */
  classes: string[] | null;
  /** A CSV's feature column names, to check that a test file has the same columns (not packed). */
  columns?: string[];
}

/** The number of samples in a table. */
export function sampleCount(table: RawTable): number {
  return table.shape[0]!;
}

/** The number of values in one sample: the product of the shape after the sample axis. */
export function valuesPerSample(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}
