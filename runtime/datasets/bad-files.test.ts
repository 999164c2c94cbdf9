// Bad data files and bad specs, one row each: the files, the spec, and the exact message the
// researcher sees. A message is the product here, so it is compared whole.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { packFileDataset } from "./pack-file-dataset.ts";
import { DatasetFileError } from "./dataset-file-error.ts";
import type { FileDatasetSpec } from "./file-spec.ts";
import { f32Bytes, idx, npy, npyWithHeader, tempDataDir } from "./test-files.ts";

const files = tempDataDir();
after(() => files.remove());

interface Row {
  name: string;
  files: Record<string, string | Uint8Array>;
  spec: Record<string, unknown>;
  error: string | RegExp;
  maxFileBytes?: number;
  field?: string;
}

const x100 = npy(new Float32Array(200), [100, 2]);
const FOUR_CLASS_LABELS = npy(Int32Array.from([0, 1]), [2]);

const rows: Row[] = [
  {
    name: "ragged row",
    files: { "iris.csv": "a,b,c,d,species\n1,2,3,4,x\n5,6,7,x\n" },
    spec: { file: "./iris.csv", label: "species" },
    error: "dataset.file ./iris.csv line 3: row has 4 fields, the header has 5",
  },
  {
    name: "not a number, with line and column",
    files: { "iris.csv": "a,b,petal_width,species\n1,2,3,x\n\n4,5,abc,y\n" },
    spec: { file: "./iris.csv", label: "species" },
    error: 'dataset.file ./iris.csv line 4, column 3 (petal_width): "abc" is not a number',
  },
  {
    name: "hexadecimal is not read as a number",
    files: { "hex.csv": "a,y\n0x10,1\n" },
    spec: { file: "hex.csv", label: "y" },
    error: 'dataset.file hex.csv line 2, column 1 (a): "0x10" is not a number',
  },
  {
    name: "an empty cell",
    files: { "gap.csv": "a,b,y\n1,,1\n" },
    spec: { file: "gap.csv", label: "y" },
    error: "dataset.file gap.csv line 2, column 2 (b): the cell is empty (drop or impute missing values first)",
  },
  {
    name: "an empty label",
    files: { "nolabel.csv": "a,y\n1,\n" },
    spec: { file: "nolabel.csv", label: "y" },
    error: "dataset.file nolabel.csv line 2, column 2 (y): the label is empty",
  },
  {
    name: "missing label column",
    files: { "iris.csv": "a,b,c\n1,2,3\n" },
    spec: { file: "./iris.csv", label: "species" },
    error: 'dataset.label: column "species" is not in ./iris.csv (columns: a, b, c)',
  },
  {
    name: "a label outside the classes the spec names (a typo is not one more class)",
    files: { "named.csv": "a,species\n1,setosa\n2,virginica\n\n3,setsoa\n" },
    spec: { file: "named.csv", label: "species", classes: ["setosa", "versicolor", "virginica"] },
    error: 'dataset.file named.csv line 5, column 2 (species): label "setsoa" is not one of the classes (setosa, versicolor, virginica); did you mean "setosa"?',
  },
  {
    name: "a test file's label outside the named classes",
    files: { "named-train.csv": "a,y\n1,0\n2,1\n", "named-test.csv": "a,y\n1,1\n2,7\n" },
    spec: { file: "named-train.csv", label: "y", classes: ["0", "1"], testFile: "named-test.csv" },
    error: 'dataset.testFile named-test.csv line 3, column 2 (y): label "7" is not one of the classes (0, 1)',
  },
  {
    name: "missing label column in a semicolon file",
    files: { "semi.csv": "a;b;species\n1;2;x\n" },
    spec: { file: "semi.csv", label: "species" },
    error: 'dataset.label: column "species" is not in semi.csv (columns: a;b;species); only commas separate columns',
  },
  {
    name: "a column twice in the header",
    files: { "dup.csv": "a,b,a,y\n1,2,3,4\n" },
    spec: { file: "dup.csv", label: "y" },
    error: 'dataset.file dup.csv line 1: column "a" appears twice in the header (columns 1 and 3)',
  },
  {
    name: "a regression target that is not a number",
    files: { "reg.csv": "a,price\n1,cheap\n" },
    spec: { file: "reg.csv", label: "price", task: "regression" },
    error: 'dataset.file reg.csv line 2, column 2 (price): "cheap" is not a number',
  },
  {
    name: "NaN in a CSV",
    files: { "n.csv": "a,y\nNaN,1\n" },
    spec: { file: "n.csv", label: "y" },
    error: "dataset.file n.csv line 2, column 1 (a): NaN is not allowed (drop or impute missing values first)",
  },
  {
    name: "Infinity in a CSV",
    files: { "inf.csv": "a,y\n1,1\n-Infinity,2\n" },
    spec: { file: "inf.csv", label: "y" },
    error: "dataset.file inf.csv line 3, column 1 (a): -Infinity is not allowed (values must be finite)",
  },
  {
    name: "a value beyond the f32 range in a CSV",
    files: { "huge.csv": "a,y\n1e39,1\n" },
    spec: { file: "huge.csv", label: "y" },
    error: "dataset.file huge.csv line 2, column 1 (a): 1e39 is beyond the float32 range",
  },
  {
    name: "an unclosed quote",
    files: { "quote.csv": 'a,y\n1,"x\n2,y\n' },
    spec: { file: "quote.csv", label: "y" },
    error: "dataset.file quote.csv line 3: is not valid CSV: Quote Not Closed: the parsing is finished with an opening quote at line 3",
  },
  {
    name: "empty CSV (header only)",
    files: { "empty.csv": "a,y\n" },
    spec: { file: "empty.csv", label: "y" },
    error: "dataset.file empty.csv: has a header but no data rows",
  },
  {
    name: "empty CSV (no header either)",
    files: { "nothing.csv": "\n\n" },
    spec: { file: "nothing.csv", label: "y" },
    error: "dataset.file nothing.csv: is empty; a CSV needs a header row naming its columns",
  },
  {
    name: "a CSV of one sample, with no test file to split against",
    files: { "one.csv": "a,y\n1,x\n" },
    spec: { file: "one.csv", label: "y" },
    error: "dataset.file one.csv: has 1 sample; a train/test split needs at least 2",
  },
  {
    name: "NaN in an NPY array",
    files: { "x.npy": npy(Float32Array.from([1, NaN, 3, 4]), [2, 2]), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.file x.npy array x, flat index 1: NaN is not allowed (drop or impute missing values first)",
  },
  {
    name: "Infinity in an NPY array",
    files: { "x.npy": npy(Float64Array.from([1, 2, Infinity, 4]), [2, 2]), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.file x.npy array x, flat index 2: Infinity is not allowed (values must be finite)",
  },
  {
    name: "a double beyond the f32 range",
    files: { "x.npy": npy(Float64Array.from([1, 2, 3, -1e300]), [2, 2]), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.file x.npy array x, flat index 3: -1e+300 is beyond the float32 range",
  },
  {
    name: "NaN in regression targets",
    files: { "x.npy": npy(new Float32Array(4), [2, 2]), "t.npy": npy(Float32Array.from([1, NaN]), [2]) },
    spec: { file: "x.npy", labels: "t.npy", task: "regression" },
    error: "dataset.labels t.npy array labels, flat index 1: NaN is not allowed (drop or impute missing values first)",
  },
  {
    name: "an int64 beyond 2^53",
    files: { "x.npy": npy(new Float32Array(4), [2, 2]), "y.npy": npy(BigInt64Array.from([1n, 2n ** 53n + 1n]), [2]) },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.labels y.npy array labels, flat index 1: 9007199254740993 is beyond ±2^53, where int64 stops being exact as a number",
  },
  {
    name: "unsupported dtype",
    files: { "x.npy": npyWithHeader("<c8", [2, 1], new Uint8Array(16)), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "./x.npy", labels: "y.npy" },
    error: "dataset.file ./x.npy: dtype <c8 is not supported (supported: f4, f8, u1, i4, i8)",
  },
  {
    name: "big-endian dtype",
    files: { "x.npy": npyWithHeader(">f4", [2, 1], new Uint8Array(8)), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: 'dataset.file x.npy: dtype >f4 is big-endian; save it little-endian (x.astype("<f4"))',
  },
  {
    name: "fortran order",
    files: { "x.npy": npyWithHeader("<f4", [2, 2], f32Bytes([1, 2, 3, 4]), true), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.file x.npy: array x is in Fortran order; save a C-ordered array (np.ascontiguousarray(x))",
  },
  {
    name: "a truncated NPY",
    files: { "x.npy": npyWithHeader("<f4", [2, 2], f32Bytes([1, 2, 3]).subarray(0, 10)), "y.npy": FOUR_CLASS_LABELS },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.file x.npy: is truncated: shape [2, 2] needs 16 bytes of data, the file has 10",
  },
  {
    name: "float labels for classification",
    files: { "x.npy": npy(new Float32Array(4), [2, 2]), "y.npy": npy(Float32Array.from([0, 1]), [2]) },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.labels y.npy: array labels has dtype <f4; class labels must be integers (or set task: regression)",
  },
  {
    name: "one-hot labels",
    files: { "x.npy": npy(new Float32Array(4), [2, 2]), "y.npy": npy(Uint8Array.from([1, 0, 0, 1]), [2, 2]) },
    spec: { file: "x.npy", labels: "y.npy" },
    error: "dataset.labels y.npy: array labels must have shape [samples] or [samples, 1], not [2, 2] (one-hot? save the class indices: y.argmax(axis=1))",
  },
  {
    name: "label count mismatch",
    files: { "x.npy": x100, "y.npy": npy(new Int32Array(99), [99]) },
    spec: { file: "./x.npy", labels: "./y.npy" },
    error: "dataset.labels ./y.npy: 99 labels for 100 samples in ./x.npy",
  },
  {
    name: "label count mismatch inside an NPZ",
    files: { "d.npz": zipSync({ "x.npy": x100, "y.npy": npy(new Int32Array(3), [3]) }) },
    spec: { file: "d.npz" },
    error: "dataset.file d.npz: array y has 3 labels for 100 samples in array x",
  },
  {
    name: "npz missing y",
    files: { "noy.npz": zipSync({ "x.npy": x100 }) },
    spec: { file: "noy.npz" },
    error: "dataset.file noy.npz: has no array y (found: x); save with np.savez(path, x=features, y=labels)",
  },
  {
    name: "npz that is not a zip",
    files: { "bad.npz": "not a zip at all, just text" },
    spec: { file: "bad.npz" },
    error: "dataset.file bad.npz: is not a readable NPZ (zip) file: invalid zip data",
  },
  {
    name: "bad IDX magic",
    files: { "images-idx3-ubyte": "hello world", "labels-idx1-ubyte": idx(0x08, [1], [0]) },
    spec: { file: "images-idx3-ubyte", labels: "labels-idx1-ubyte" },
    error: "dataset.file images-idx3-ubyte: is not a CSV, NPY, NPZ or IDX file: it is not named .csv, .npy or .npz, and an IDX file starts with 00 00 <type> <dims>, this one with 68 65 6c 6c",
  },
  {
    name: "unsupported IDX type byte",
    files: { "images-idx3-ubyte": Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), "labels-idx1-ubyte": idx(0x08, [1], [0]) },
    spec: { file: "images-idx3-ubyte", labels: "labels-idx1-ubyte" },
    error: "dataset.file images-idx3-ubyte: IDX type byte 0x0a is not supported (supported: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)",
  },
  {
    name: "truncated IDX",
    files: { "t-idx3-ubyte": idx(0x08, [3, 2, 2], new Uint8Array(12)).subarray(0, 16 + 10), "l-idx1-ubyte": idx(0x08, [3], [1, 2, 3]) },
    spec: { file: "t-idx3-ubyte", labels: "l-idx1-ubyte" },
    error: "dataset.file t-idx3-ubyte: is truncated: its header says shape [3, 2, 2] of u8 (12 bytes of data), the file has 10",
  },
  {
    name: "IDX label count mismatch, custom field prefix",
    files: { "i-idx3-ubyte": idx(0x08, [3, 2, 2], new Uint8Array(12)), "l-idx1-ubyte": idx(0x08, [2], [1, 2]) },
    spec: { file: "i-idx3-ubyte", labels: "l-idx1-ubyte" },
    field: "datasets.train.",
    error: "datasets.train.labels l-idx1-ubyte: 2 labels for 3 samples in i-idx3-ubyte",
  },
  {
    name: "a file over the cap",
    files: { "big.csv": `a,y\n${"1,2\n".repeat(30)}` },
    spec: { file: "big.csv", label: "y" },
    maxFileBytes: 64,
    error: "dataset.file big.csv: 124 bytes is over the 64-byte cap for a data file",
  },
  {
    name: "a gzipped file that inflates past the cap",
    files: { "zeros-idx3-ubyte.gz": gzipSync(idx(0x08, [100, 10, 10], new Uint8Array(10_000))) },
    spec: { file: "zeros-idx3-ubyte.gz", labels: "l-idx1-ubyte" },
    maxFileBytes: 4096,
    error: "dataset.file zeros-idx3-ubyte.gz: decompresses to more than the 4 KiB cap for a data file",
  },
  {
    name: "a missing file (ENOENT named)",
    files: {},
    spec: { file: "nope.csv", label: "y" },
    error: /^dataset\.file nope\.csv: no such file: \/.*\/nope\.csv \(ENOENT\)$/,
  },
  {
    name: "a missing labels file",
    files: { "x.npy": x100 },
    spec: { file: "x.npy", labels: "missing.npy" },
    error: /^dataset\.labels missing\.npy: no such file: \/.*\/missing\.npy \(ENOENT\)$/,
  },
  {
    name: "a test CSV with other columns",
    files: { "tr.csv": "a,b,y\n1,2,x\n3,4,y\n", "te.csv": "b,a,y\n1,2,x\n" },
    spec: { file: "tr.csv", label: "y", testFile: "te.csv" },
    error: "dataset.testFile te.csv line 1: feature columns (b, a) differ from those of tr.csv (a, b)",
  },
  {
    name: "a test file with another sample shape",
    files: { "tr.npy": npy(new Float32Array(4), [2, 2]), "te.npy": npy(new Float32Array(3), [1, 3]), "y.npy": FOUR_CLASS_LABELS, "ty.npy": npy(Int32Array.from([0]), [1]) },
    spec: { file: "tr.npy", labels: "y.npy", testFile: "te.npy", testLabels: "ty.npy" },
    error: "dataset.testFile te.npy: samples have shape [3], those of tr.npy have [2]",
  },
  {
    name: "spec: label on npy",
    files: {},
    spec: { file: "./x.npy", labels: "./y.npy", label: "species" },
    error: "dataset.label: only for a CSV file; ./x.npy is NPY, whose labels come from the labels file",
  },
  {
    name: "spec: test with testFile",
    files: {},
    spec: { file: "a.csv", label: "y", testFile: "b.csv", test: 0.3 },
    error: "dataset.test: not allowed with testFile (the test file is the test split)",
  },
  {
    name: "spec: every bad field at once",
    files: {},
    spec: { file: "x.npy", test: 1, seed: -1, shuffle: true },
    error: "dataset.test: must be a fraction in (0, 1); dataset.seed: must be an integer 0..4294967295; " +
      "dataset: unknown field shuffle (known: file, label, classes, labels, task, test, testFile, testLabels, validation, validationFile, validationLabels, normalize, seed); " +
      "dataset.labels: required for an NPY file: the file of labels, one per sample",
  },
];

for (const row of rows) {
  test(`refused: ${row.name}`, () => {
    for (const [name, content] of Object.entries(row.files)) files.write(name, content);
    const spec = { task: "classification", normalize: "none", seed: 0, ...row.spec } as FileDatasetSpec;
    const opts = { ...(row.maxFileBytes !== undefined && { maxFileBytes: row.maxFileBytes }), ...(row.field && { field: row.field }) };
    assert.throws(() => packFileDataset(spec, files.dir, opts), (err: unknown) => {
      assert.ok(err instanceof DatasetFileError, `expected a DatasetFileError, got ${String(err)}`);
      if (typeof row.error === "string") assert.equal(err.message, row.error);
      else assert.match(err.message, row.error);
      return true;
    });
  });
}

test("refused before reading: a 300 MB file against the default 256 MiB cap", () => {
  // A sparse file: its size is 300 MB, its blocks are never written.
  const fd = openSync(join(files.dir, "big.csv"), "w");
  ftruncateSync(fd, 300_000_000);
  closeSync(fd);
  const spec = { task: "classification", normalize: "none", seed: 0, validation: 0.1, file: "./big.csv", label: "y" } as const;
  assert.throws(() => packFileDataset(spec, files.dir), { message: "dataset.file ./big.csv: 300.0 MB is over the 256 MiB cap for a data file" });
});
