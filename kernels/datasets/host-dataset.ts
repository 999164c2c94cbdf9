// A dataset the host already holds as typed arrays (read from a researcher's file and split
// on the host): what the trainer needs of it. runtime/datasets' PreparedDataset has this shape.

export interface HostSplit {
  /** count × features, row-major. */
  x: Float32Array;
  /** Class indices (classification) or one real target per row (regression). */
  y: Int32Array | Float32Array;
  count: number;
}

export interface HostDataset {
  /** One sample's shape, e.g. [4] or [28, 28, 1]. */
  shape: readonly number[];
  features: number;
  task: "classification" | "regression";
  /** Class names in label order; null for regression. */
  classes: readonly string[] | null;
  train: HostSplit;
  /** Rows held out of the training data (`dataset.validation`); count 0 when none. */
  validation: HostSplit;
  test: HostSplit;
}
