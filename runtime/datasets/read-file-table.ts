// Reads the training file (or the separate validation or test file) a spec names, in its format, into a table.
import { DatasetFileError, type DataFileRef } from "./dataset-file-error.ts";
import { dataFileFormat } from "./file-format.ts";
import type { FileDatasetSpec } from "./file-spec.ts";
import { readDataFile, MAX_DATA_FILE_BYTES } from "./read-data-file.ts";
import { readCsvTable } from "./csv-reader.ts";
import { readNpyTable, readNpzTable } from "./npy-reader.ts";
import { readIdxTable } from "./idx-reader.ts";
import type { RawTable } from "./raw-table.ts";

export interface ReadFileOptions {
  /** Prefix of the config fields in messages: "dataset." (default), "datasets.train.". */
  field?: string;
  /** Cap per file, before and after gunzip. */
  maxFileBytes?: number;
}

const PART_KEYS = {
  train: ["file", "labels"],
  validation: ["validationFile", "validationLabels"],
  test: ["testFile", "testLabels"],
} as const;
type FileKey = (typeof PART_KEYS)[keyof typeof PART_KEYS][number];

/** `part` picks file/labels, validationFile/validationLabels or testFile/testLabels; paths are relative to `baseDir`. */
export function readFileTable(spec: FileDatasetSpec, part: keyof typeof PART_KEYS, baseDir: string, opts: ReadFileOptions = {}): RawTable {
  const prefix = opts.field ?? "dataset.";
  const maxBytes = opts.maxFileBytes ?? MAX_DATA_FILE_BYTES;
  const [fileKey, labelsKey] = PART_KEYS[part];
  const ref = refFor(spec, fileKey, prefix);
  const read = (r: DataFileRef) => ({ bytes: readDataFile(r, baseDir, maxBytes), ref: r });
  const format = dataFileFormat(spec.file);
  switch (format) {
    case "csv":
      return readCsvTable(read(ref).bytes, ref, {
        label: required(spec.label, `${prefix}label`), labelField: `${prefix}label`, task: spec.task,
        ...(spec.classes && { classes: spec.classes }),
      });
    case "npz":
      return readNpzTable(read(ref).bytes, ref, spec.task, maxBytes);
    case "npy":
      return readNpyTable(read(ref), read(refFor(spec, labelsKey, prefix)), spec.task);
    case "idx":
      return readIdxTable(read(ref), read(refFor(spec, labelsKey, prefix)), spec.task);
  }
}

function refFor(spec: FileDatasetSpec, key: FileKey, prefix: string): DataFileRef {
  return { field: `${prefix}${key}`, file: required(spec[key], `${prefix}${key}`) };
}

// The schema already requires these per format; this guards specs built by hand.
function required(value: string | undefined, field: string): string {
  if (value === undefined) throw new DatasetFileError(field, null, null, "required for this file format");
  return value;
}
