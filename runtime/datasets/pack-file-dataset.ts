// The controller's side of a file dataset: read the researcher's files once, check them, and
// pack them into one DSC2 blob for workers. No network here; the caller stores the bytes.
import { DatasetFileError } from "./dataset-file-error.ts";
import { parseFileDatasetSpec, type FileDatasetSpec } from "./file-spec.ts";
import { readFileTable, type ReadFileOptions } from "./read-file-table.ts";
import { appendTable } from "./append-table.ts";
import { encodeDatasetBlob } from "./dataset-blob.ts";
import { sampleCount } from "./raw-table.ts";

export interface PackedFileDataset {
  bytes: Uint8Array;
  summary: {
    /** All rows, the test file's included. */
    samples: number;
    /** Rows of the separate test file, or null when workers split at random. */
    testSamples: number | null;
    /** Rows of the separate validation file, or null when workers hold out train rows. */
    validationSamples: number | null;
    /** One sample's shape, e.g. [4] or [28, 28, 1]. */
    shape: number[];
    classes: string[] | null;
  };
}

/**
 * Reads the spec's files relative to `baseDir` (the config file's folder; absolute paths are
 * taken as they are). Throws DatasetFileError naming the field, file and place of a problem.
 */
export function packFileDataset(spec: FileDatasetSpec, baseDir: string, opts: ReadFileOptions = {}): PackedFileDataset {
  const prefix = opts.field ?? "dataset.";
  // Checked again here: a spec built by hand skips the schema's rules about which fields a format needs.
  const checked = parseFileDatasetSpec(spec, prefix);
  const train = readFileTable(checked, "train", baseDir, opts);
  const trainRef = { field: `${prefix}file`, file: checked.file };
  // Rows in file order: train, then the validation file's, then the test file's.
  let table = train;
  let validationStart: number | null = null;
  let testStart: number | null = null;
  if (checked.validationFile !== undefined) {
    const validation = readFileTable(checked, "validation", baseDir, opts);
    table = appendTable(table, validation, trainRef, { field: `${prefix}validationFile`, file: checked.validationFile });
    validationStart = sampleCount(train);
  }
  if (checked.testFile !== undefined) {
    const test = readFileTable(checked, "test", baseDir, opts);
    testStart = sampleCount(table);
    table = appendTable(table, test, trainRef, { field: `${prefix}testFile`, file: checked.testFile });
  } else if (sampleCount(train) < 2) {
    throw new DatasetFileError(`${prefix}file`, checked.file, null, "has 1 sample; a train/test split needs at least 2");
  }
  return {
    bytes: encodeDatasetBlob(table, { testStart, validationStart }),
    summary: {
      samples: sampleCount(table),
      testSamples: testStart === null ? null : sampleCount(table) - testStart,
      validationSamples: validationStart === null ? null : (testStart ?? sampleCount(table)) - validationStart,
      shape: table.shape.slice(1),
      classes: table.classes,
    },
  };
}
