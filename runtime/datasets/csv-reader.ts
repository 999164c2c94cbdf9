// A CSV with a header row: one column is the label (named by the spec), every other column is
// a numeric feature. Rows are consumed as csv-parse emits them, so a large file never exists
// as an array of string rows; every error names the line and column.
import { parse } from "csv-parse/sync";
import { DatasetFileError, fileError, type DataFileRef } from "./dataset-file-error.ts";
import { indexLabels, indexNamedLabels } from "./class-labels.ts";
import type { RawTable } from "./raw-table.ts";
import { nearestName } from "../nearest-name.ts";

export interface CsvOptions {
  /** The label column's header name. */
  label: string;
  /** The config field that named it, for "dataset.label: column … is not in …". */
  labelField: string;
  task: "classification" | "regression";
  /** The spec's class names, in index order; a label outside them is refused with its line. */
  classes?: readonly string[];
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function readCsvTable(bytes: Uint8Array, ref: DataFileRef, opts: CsvOptions): RawTable {
  let header: string[] | null = null;
  let labelAt = -1;
  let rows = 0;
  let x: Float32Array = new Float32Array(0);
  const names: string[] = [];
  let targets: Float32Array = new Float32Array(0);
  const known = opts.classes && new Set(opts.classes);

  const onRecord = (record: string[], line: number) => {
    if (header === null) {
      header = record;
      labelAt = checkHeader(record, ref, opts);
      return;
    }
    if (record.length !== header.length) {
      throw fileError(ref, `line ${line}`, `row has ${record.length} field${record.length === 1 ? "" : "s"}, the header has ${header.length}`);
    }
    const features = header.length - 1;
    if ((rows + 1) * features > x.length) x = grow(x, (rows + 1) * features);
    if (rows + 1 > targets.length && opts.task === "regression") targets = grow(targets, rows + 1);
    let k = rows * features;
    for (let c = 0; c < record.length; c++) {
      const place = `line ${line}, column ${c + 1} (${header[c]})`;
      if (c !== labelAt) x[k++] = cellNumber(record[c]!, ref, place);
      else if (opts.task === "regression") targets[rows] = cellNumber(record[c]!, ref, place);
      else if (record[c] === "") throw fileError(ref, place, "the label is empty");
      else {
        if (known && !known.has(record[c]!)) throw fileError(ref, place, unknownClass(record[c]!, opts.classes!));
        names.push(record[c]!);
      }
    }
    rows++;
  };

  try {
    parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true, // so a ragged row gets the message above, with both counts
      on_record: (record: string[], info) => {
        onRecord(record, info.lines);
        return null; // keep nothing: the values are already in the typed arrays
      },
    });
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    const line = (err as { lines?: number }).lines;
    throw fileError(ref, line === undefined ? null : `line ${line}`, `is not valid CSV: ${(err as Error).message}`, { cause: err });
  }

  const columns = header as string[] | null; // assigned inside the callback, which TypeScript cannot see
  if (columns === null) throw fileError(ref, null, "is empty; a CSV needs a header row naming its columns");
  if (rows === 0) throw fileError(ref, null, "has a header but no data rows");
  const features = columns.length - 1;
  const labels = opts.task === "regression"
    ? { y: targets.slice(0, rows), classes: null }
    : opts.classes ? indexNamedLabels(names, opts.classes) : indexLabels(names);
  return {
    x: x.slice(0, rows * features),
    shape: [rows, features],
    ...labels,
    columns: columns.filter((_, c) => c !== labelAt),
  };
}

function unknownClass(label: string, classes: readonly string[]): string {
  const near = nearestName(label, classes);
  const list = classes.length > 12 ? `${classes.slice(0, 12).join(", ")}, …` : classes.join(", ");
  return `label "${label}" is not one of the classes (${list})${near ? `; did you mean "${near}"?` : ""}`;
}

/** The label column's index; refuses a header the rows could not be read against. */
function checkHeader(header: string[], ref: DataFileRef, opts: CsvOptions): number {
  const seen = new Map<string, number>();
  header.forEach((name, c) => {
    const first = seen.get(name);
    if (first !== undefined) throw fileError(ref, "line 1", `column "${name}" appears twice in the header (columns ${first + 1} and ${c + 1})`);
    seen.set(name, c);
  });
  const labelAt = header.indexOf(opts.label);
  if (labelAt < 0) {
    // A header read as one column is usually a file separated by something other than commas.
    const hint = header.length === 1 && /[;\t|]/.test(header[0]!) ? "; only commas separate columns" : "";
    throw new DatasetFileError(opts.labelField, null, null, `column "${opts.label}" is not in ${ref.file} (columns: ${header.join(", ")})${hint}`);
  }
  if (header.length === 1) throw fileError(ref, "line 1", `has no feature columns besides the label "${opts.label}"`);
  return labelAt;
}

/** A feature or target cell as f32: decimal notation only, finite, within the f32 range. */
function cellNumber(text: string, ref: DataFileRef, place: string): number {
  if (DECIMAL.test(text)) {
    const value = Math.fround(Number(text));
    if (Number.isFinite(value)) return value;
    throw fileError(ref, place, `${text} is beyond the float32 range`);
  }
  if (/^[+-]?nan$/i.test(text)) throw fileError(ref, place, "NaN is not allowed (drop or impute missing values first)");
  if (/^[+-]?inf(inity)?$/i.test(text)) throw fileError(ref, place, `${text} is not allowed (values must be finite)`);
  if (text === "") throw fileError(ref, place, "the cell is empty (drop or impute missing values first)");
  throw fileError(ref, place, `"${text}" is not a number`);
}

/** A copy with room for at least `need` values, doubling so that appending stays linear. */
function grow(a: Float32Array, need: number): Float32Array {
  const out = new Float32Array(Math.max(need, a.length * 2, 1024));
  out.set(a);
  return out;
}
