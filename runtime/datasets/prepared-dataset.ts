// A dataset as a trainer takes it: split, normalised, float32. The worker builds it from a
// DSC2 blob (prepareDataset); the trainer and the experiment API read only these types.

export interface DatasetSplit {
  /** count × features values, sample-major. */
  x: Float32Array;
  /** Class indices (classification) or targets (regression), one per sample. */
  y: Int32Array | Float32Array;
  count: number;
}

export interface PreparedDataset {
  /** One sample's shape, e.g. [4] or [28, 28, 1]. */
  shape: number[];
  /** The product of shape. */
  features: number;
  task: "classification" | "regression";
  /** Label order (classification), or null. */
  classes: string[] | null;
  train: DatasetSplit;
  /** Rows held out of the training data (`validation`); count 0 when none. */
  validation: DatasetSplit;
  test: DatasetSplit;
}
