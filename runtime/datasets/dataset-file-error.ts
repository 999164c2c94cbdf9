// The one error a data file or its spec can raise. The message reads the way the researcher
// wrote the config: field, file as written, place in the file, problem, e.g.
//   dataset.file ./iris.csv line 14: row has 4 fields, the header has 5

/** A file as the config names it: the field ("dataset.labels") and the path as written. */
export interface DataFileRef {
  field: string;
  file: string;
}

export class DatasetFileError extends Error {
  constructor(
    /** The config field, with its prefix: "dataset.file", "datasets.train.label". */
    readonly field: string,
    /** The path as the config wrote it, or null when the problem is the field itself. */
    readonly file: string | null,
    /** Where in the file: "line 9, column 3 (petal_width)", "array x, flat index 12". */
    readonly place: string | null,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${[field, file, place].filter((part) => part !== null).join(" ")}: ${problem}`, options);
    this.name = "DatasetFileError";
  }
}

/** A DatasetFileError about a file, for `throw`; `place` is null for the file as a whole. */
export function fileError(ref: DataFileRef, place: string | null, problem: string, options?: ErrorOptions): DatasetFileError {
  return new DatasetFileError(ref.field, ref.file, place, problem, options);
}
