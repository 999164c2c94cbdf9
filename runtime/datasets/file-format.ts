// Which reader a data file needs, from its name. IDX files have no fixed extension
// (train-images-idx3-ubyte, t10k-labels.idx1-ubyte.gz, digits.idx), so every name that is not
// .csv, .npy or .npz is taken for IDX and its magic bytes decide when it is read.

export type DataFileFormat = "csv" | "npy" | "npz" | "idx";

export const FORMAT_NAMES: Record<DataFileFormat, string> = { csv: "CSV", npy: "NPY", npz: "NPZ", idx: "IDX" };

/** The format a file name implies; a trailing .gz is ignored (any format may be gzipped). */
export function dataFileFormat(name: string): DataFileFormat {
  const lower = name.toLowerCase().replace(/\.gz$/, "");
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".npy")) return "npy";
  if (lower.endsWith(".npz")) return "npz";
  return "idx";
}

/** Whether the format keeps labels in a second file (NPY, IDX) rather than beside the features. */
export function needsLabelsFile(format: DataFileFormat): boolean {
  return format === "npy" || format === "idx";
}
