// Good files of every format, written to a temp dir, packed and decoded back.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { packFileDataset } from "./pack-file-dataset.ts";
import { decodeDatasetBlob } from "./dataset-blob.ts";
import type { FileDatasetSpec } from "./file-spec.ts";
import { idx, npy, tempDataDir } from "./test-files.ts";

const files = tempDataDir();
after(() => files.remove());

const spec = (fields: Partial<FileDatasetSpec> & { file: string }): FileDatasetSpec =>
  ({ task: "classification", normalize: "none", seed: 0, validation: 0, ...fields });

function pack(fields: Partial<FileDatasetSpec> & { file: string }) {
  const packed = packFileDataset(spec(fields), files.dir);
  const { table, testStart } = decodeDatasetBlob(packed.bytes);
  return { ...packed, table, testStart };
}

test("CSV with string labels: BOM, CRLF, quotes and a blank line; classes sorted by code unit", () => {
  const name = files.write("iris.csv", '\ufeffsepal,"petal",species\r\n1.5,2,setosa\r\n3,4.25,virginica\r\n\r\n5,-6,setosa\r\n 7e-1 ,8,versicolor\r\n');
  const { table, summary, testStart } = pack({ file: name, label: "species" });
  assert.deepEqual(table.shape, [4, 2]);
  assert.ok(table.x instanceof Float32Array);
  assert.deepEqual(Array.from(table.x), [1.5, 2, 3, 4.25, 5, -6, Math.fround(0.7), 8]);
  assert.deepEqual(table.classes, ["setosa", "versicolor", "virginica"]);
  assert.deepEqual(Array.from(table.y), [0, 2, 0, 1]);
  assert.equal(testStart, null);
  assert.deepEqual(summary, { samples: 4, testSamples: null, validationSamples: null, shape: [2], classes: ["setosa", "versicolor", "virginica"] });
});

test("CSV with integer labels in the middle column: classes sorted numerically", () => {
  const name = files.write("ints.csv", "a,digit,b\n1,10,2\n3,9,4\n5,2,6\n7,10,8\n");
  const { table } = pack({ file: name, label: "digit" });
  assert.deepEqual(table.classes, ["2", "9", "10"]); // by code unit it would be 10, 2, 9
  assert.deepEqual(Array.from(table.y), [2, 1, 0, 2]);
  assert.deepEqual(Array.from(table.x), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test("CSV regression: the target column becomes f32 targets, no classes", () => {
  const name = files.write("houses.csv", "rooms,area,price\n3,70.5,1.25\n4,90,-3\n2,40,2e3\n");
  const { table, summary } = pack({ file: name, label: "price", task: "regression" });
  assert.ok(table.y instanceof Float32Array);
  assert.deepEqual(Array.from(table.y), [1.25, -3, 2000]);
  assert.equal(table.classes, null);
  assert.deepEqual(Array.from(table.x), [3, 70.5, 4, 90, 2, 40]);
  assert.equal(summary.classes, null);
});

const XS = [1.5, 2, 3, 4, 5, 6.25];
const LABELS = npy(BigInt64Array.from([7n, 3n, 7n]), [3]);
for (const [dtype, values] of [
  ["f4", Float32Array.from(XS)],
  ["f8", Float64Array.from(XS)],
  ["u1", Uint8Array.from([0, 128, 255, 1, 2, 3])],
  ["i4", Int32Array.from([-1, 2, 3, 4, 5, 2_000_000])],
  ["i8", BigInt64Array.from([-1n, 2n, 3n, 4n, 5n, 2n ** 40n])],
] as const) {
  test(`NPY ${dtype} features with an i8 labels file`, () => {
    const name = files.write(`x-${dtype}.npy`, npy(values, [3, 2]));
    files.write("labels.npy", LABELS);
    const { table } = pack({ file: name, labels: "labels.npy" });
    assert.deepEqual(table.shape, [3, 2]);
    assert.equal(table.x instanceof Uint8Array, dtype === "u1", "u1 stays u8, everything else becomes f32");
    assert.deepEqual(Array.from(table.x), Array.from(values, Number));
    assert.deepEqual(table.classes, ["3", "7"]);
    assert.deepEqual(Array.from(table.y), [1, 0, 1]);
  });
}

test("NPY images [n, h, w] keep their shape; labels of shape [n, 1] in u1 and i4", () => {
  files.write("img.npy", npy(Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i), [2, 3, 3]));
  files.write("y-u1.npy", npy(Uint8Array.from([4, 1]), [2, 1]));
  files.write("y-i4.npy", npy(Int32Array.from([-5, 1]), [2]));
  const a = pack({ file: "img.npy", labels: "y-u1.npy" });
  assert.deepEqual(a.table.shape, [2, 3, 3]);
  assert.deepEqual(a.table.classes, ["1", "4"]);
  assert.deepEqual(Array.from(a.table.y), [1, 0]);
  const b = pack({ file: "img.npy", labels: "y-i4.npy" });
  assert.deepEqual(b.table.classes, ["-5", "1"]);
  assert.deepEqual(Array.from(b.table.y), [0, 1]);
});

test("NPY regression with f4 targets", () => {
  files.write("reg-x.npy", npy(Float32Array.from(XS), [3, 2]));
  files.write("reg-y.npy", npy(Float32Array.from([0.5, -1, 3]), [3]));
  const { table } = pack({ file: "reg-x.npy", labels: "reg-y.npy", task: "regression" });
  assert.deepEqual(Array.from(table.y), [0.5, -1, 3]);
  assert.equal(table.classes, null);
});

test("NPZ with x.npy and y.npy, stored and deflated", () => {
  const entries = { "x.npy": npy(Float32Array.from(XS), [3, 2]), "y.npy": npy(Int32Array.from([1, 0, 1]), [3]) };
  files.write("stored.npz", zipSync(entries, { level: 0 }));
  files.write("deflated.npz", zipSync(entries, { level: 9 }));
  for (const name of ["stored.npz", "deflated.npz"]) {
    const { table } = pack({ file: name });
    assert.deepEqual(table.shape, [3, 2]);
    assert.deepEqual(Array.from(table.x), XS);
    assert.deepEqual(table.classes, ["0", "1"]);
    assert.deepEqual(Array.from(table.y), [1, 0, 1]);
  }
});

// Written by numpy 2.4: np.savez("d.npz", x=np.array([[1.5, 2], [3, 4], [5, 6.25]], "<f4"),
// y=np.array([2, 0, 2], "<i8")). Its local headers carry zip64 extras, as numpy always writes.
const NUMPY_NPZ =
  "UEsDBC0AAAAAAAAAIQAwFtU3//////////8FABQAeC5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAADAPwAAAEAAAEBAAACAQAAAoEAAAMhAUEsDBC0AAAAAAAAAIQBpHUGd//////////8FABQAeS5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAgAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAUEsBAi0DLQAAAAAAAAAhADAW1TeYAAAAmAAAAAUAAAAAAAAAAAAAAIABAAAAAHgubnB5UEsBAi0DLQAAAAAAAAAhAGkdQZ2YAAAAmAAAAAUAAAAAAAAAAAAAAIABzwAAAHkubnB5UEsFBgAAAAACAAIAZgAAAJ4BAAAAAA==";

test("an NPZ written by numpy's np.savez", () => {
  files.write("numpy.npz", Buffer.from(NUMPY_NPZ, "base64"));
  const { table } = pack({ file: "numpy.npz" });
  assert.deepEqual(table.shape, [3, 2]);
  assert.deepEqual(Array.from(table.x), XS);
  assert.deepEqual(table.classes, ["0", "2"]);
  assert.deepEqual(Array.from(table.y), [1, 0, 1]);
});

const PIXELS = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
for (const gz of [false, true]) {
  test(`IDX images and labels${gz ? ", gzipped" : ""}: [n, h, w] gains a channel axis`, () => {
    const wrap = (bytes: Uint8Array) => (gz ? gzipSync(bytes) : bytes);
    const images = files.write(`train-images-idx3-ubyte${gz ? ".gz" : ""}`, wrap(idx(0x08, [3, 2, 2], PIXELS)));
    const labels = files.write(`train-labels-idx1-ubyte${gz ? ".gz" : ""}`, wrap(idx(0x08, [3], [9, 0, 9])));
    const { table, summary } = pack({ file: images, labels });
    assert.deepEqual(table.shape, [3, 2, 2, 1]);
    assert.ok(table.x instanceof Uint8Array);
    assert.deepEqual(Array.from(table.x), PIXELS);
    assert.deepEqual(table.classes, ["0", "9"]);
    assert.deepEqual(Array.from(table.y), [1, 0, 1]);
    assert.deepEqual(summary.shape, [2, 2, 1]);
  });
}

test("IDX f64 features and i16 targets for regression", () => {
  files.write("feat.idx", idx(0x0e, [2, 3], [0.5, -1, 2, 3, 4, 1e10]));
  files.write("target.idx", idx(0x0b, [2], [-300, 7]));
  const { table } = pack({ file: "feat.idx", labels: "target.idx", task: "regression" });
  assert.deepEqual(table.shape, [2, 3]);
  assert.deepEqual(Array.from(table.x), [0.5, -1, 2, 3, 4, Math.fround(1e10)]);
  assert.deepEqual(Array.from(table.y), [-300, 7]);
});

test("a CSV test file: its rows follow the training rows, classes span both files", () => {
  files.write("train.csv", "a,b,y\n1,2,b\n3,4,a\n5,6,b\n");
  files.write("test.csv", "a,b,y\n7,8,c\n9,10,b\n");
  const { table, testStart, summary } = pack({ file: "train.csv", label: "y", testFile: "test.csv" });
  assert.equal(testStart, 3);
  assert.deepEqual(table.shape, [5, 2]);
  assert.deepEqual(Array.from(table.x), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(table.classes, ["a", "b", "c"]);
  assert.deepEqual(Array.from(table.y), [1, 0, 1, 2, 1]);
  assert.deepEqual(summary, { samples: 5, testSamples: 2, validationSamples: null, shape: [2], classes: ["a", "b", "c"] });
});

test("CSV with named classes: indices in the spec's order, a class no row holds still counts, a test file shares them", () => {
  files.write("named-train.csv", "a,y\n1,dog\n2,cat\n3,dog\n");
  files.write("named-test.csv", "a,y\n4,cat\n");
  const { table, summary } = pack({ file: "named-train.csv", label: "y", classes: ["dog", "cat", "bird"], testFile: "named-test.csv" });
  assert.deepEqual(table.classes, ["dog", "cat", "bird"]);
  assert.deepEqual(Array.from(table.y), [0, 1, 0, 1]);
  assert.deepEqual(summary.classes, ["dog", "cat", "bird"]);
});

test("an IDX test file with its labels file, by absolute path", () => {
  files.write("t-images.idx", idx(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
  files.write("t-labels.idx", idx(0x08, [2], [3, 0]));
  files.write("tr-images.idx", idx(0x08, [1, 2, 2], [9, 9, 9, 9]));
  files.write("tr-labels.idx", idx(0x08, [1], [2]));
  const { table, testStart } = pack({
    file: "tr-images.idx", labels: "tr-labels.idx", testFile: `${files.dir}/t-images.idx`, testLabels: "t-labels.idx",
  });
  assert.equal(testStart, 1);
  assert.deepEqual(table.shape, [3, 2, 2, 1]);
  assert.deepEqual(table.classes, ["0", "2", "3"]);
  assert.deepEqual(Array.from(table.y), [1, 2, 0]);
});

test("packing the same files twice gives byte-identical blobs", () => {
  files.write("same.csv", "a,b,y\n1,2,x\n3,4,y\n");
  const once = packFileDataset(spec({ file: "same.csv", label: "y" }), files.dir).bytes;
  const twice = packFileDataset(spec({ file: "same.csv", label: "y", test: 0.5, seed: 9, normalize: "standard" }), files.dir).bytes;
  assert.deepEqual(once, twice);
});

test("a CSV validation file: its rows after the training rows and before a test file's, classes span all three", () => {
  files.write("v-train.csv", "a,y\n1,b\n2,a\n3,b\n");
  files.write("v-val.csv", "a,y\n4,c\n5,a\n");
  files.write("v-test.csv", "a,y\n6,d\n");
  const packed = packFileDataset(spec({ file: "v-train.csv", label: "y", validationFile: "v-val.csv", testFile: "v-test.csv" }), files.dir);
  const { table, testStart, validationStart } = decodeDatasetBlob(packed.bytes);
  assert.deepEqual([validationStart, testStart], [3, 5]);
  assert.deepEqual(Array.from(table.x), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(table.classes, ["a", "b", "c", "d"]);
  assert.deepEqual(Array.from(table.y), [1, 0, 1, 2, 0, 3]);
  assert.deepEqual(packed.summary, { samples: 6, testSamples: 1, validationSamples: 2, shape: [1], classes: ["a", "b", "c", "d"] });
  // Without a validation file the blob is what it always was: no validationStart in its header.
  const plain = packFileDataset(spec({ file: "v-train.csv", label: "y", testFile: "v-test.csv" }), files.dir);
  assert.equal(decodeDatasetBlob(plain.bytes).validationStart, null);
  assert.ok(!new TextDecoder().decode(plain.bytes.subarray(0, 200)).includes("validationStart"));
  assert.throws(() => packFileDataset(spec({ file: "v-train.csv", label: "y", validationFile: "missing.csv" }), files.dir), {
    name: "DatasetFileError", message: /dataset\.validationFile.*missing\.csv/,
  });
});
