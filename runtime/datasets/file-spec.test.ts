// The spec schema: defaults, the fields each format needs, messages, and the blob key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FileDatasetSpec, datasetBlobKey, parseFileDatasetSpec } from "./file-spec.ts";

test("defaults: classification, no normalisation, seed 0, test left to DEFAULT_TEST_FRACTION", () => {
  assert.deepEqual(parseFileDatasetSpec({ file: "iris.csv", label: "species" }), {
    file: "iris.csv", label: "species", task: "classification", validation: 0.1, normalize: "none", seed: 0,
  });
});

test("each format asks for its own label fields", () => {
  assert.equal(FileDatasetSpec.safeParse({ file: "d.npz" }).success, true);
  assert.equal(FileDatasetSpec.safeParse({ file: "train-images-idx3-ubyte.gz", labels: "train-labels-idx1-ubyte.gz" }).success, true);
  assert.equal(FileDatasetSpec.safeParse({ file: "X.NPY", labels: "y.npy", testFile: "t.npy", testLabels: "ty.npy" }).success, true);
  const messages = (input: unknown) => FileDatasetSpec.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.deepEqual(messages({ file: "iris.csv" }), ["label: required for a CSV file: the name of the label column"]);
  assert.deepEqual(messages({ file: "iris.csv", label: "y", labels: "y.npy" }), [
    "labels: only for NPY and IDX files; iris.csv is CSV, whose labels are the label column",
  ]);
  assert.deepEqual(messages({ file: "d.npz", labels: "y.npy" }), ["labels: only for NPY and IDX files; d.npz is NPZ, whose labels are its array y"]);
  assert.deepEqual(messages({ file: "images.idx", labels: "l.idx", testFile: "t.idx" }), [
    "testLabels: required with testFile for an IDX file: the test file's labels",
  ]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", testFile: "b.npy" }), ["testFile: must be in the same format as file (CSV), not NPY"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", testLabels: "b.csv" }), ["testLabels: only with testFile"]);
  assert.deepEqual(messages({ file: "d.npz", classes: ["a", "b"] }), ["classes: only for a CSV file; d.npz is NPZ, whose classes are its integer labels"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", task: "regression", classes: ["a", "b"] }), [
    "classes: only for task classification (regression has no classes)",
  ]);
});

test("classes: names or integers (read as the labels' text), at least two, each once", () => {
  assert.deepEqual(parseFileDatasetSpec({ file: "a.csv", label: "y", classes: [0, 1, "two"] }).classes, ["0", "1", "two"]);
  const messages = (input: unknown) => FileDatasetSpec.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.deepEqual(messages({ file: "a.csv", label: "y", classes: ["cat"] }), ["classes: must name at least 2 classes"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", classes: "cat, dog" }), ["classes: must be a list of class names"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", classes: ["cat", "dog", "cat", " ", 1.5] }), [
    "classes.4: each class must be a name or an integer",
  ]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", classes: ["cat", "dog", "cat", " "] }), [
    'classes.2: "cat" is listed twice (also at 0)',
    "classes.3: must not be empty",
  ]);
});

test("bad values name the field and the rule", () => {
  const cases: Array<[unknown, string]> = [
    [{ file: "" }, "dataset.file: must be the path of a .csv, .npy, .npz or IDX data file"],
    [{ file: "a.csv", label: "y", test: 0 }, "dataset.test: must be a fraction in (0, 1)"],
    [{ file: "a.csv", label: "y", test: "0.2" }, "dataset.test: must be a fraction in (0, 1)"],
    [{ file: "a.csv", label: "y", seed: 2 ** 32 }, "dataset.seed: must be an integer 0..4294967295"],
    [{ file: "a.csv", label: "y", seed: 1.5 }, "dataset.seed: must be an integer 0..4294967295"],
    [{ file: "a.csv", label: "y", normalize: "zscore" }, 'dataset.normalize: must be "none", "standard" or "minmax"'],
    [{ file: "a.csv", label: "y", task: "ranking" }, 'dataset.task: must be "classification" or "regression"'],
    ["iris.csv", "dataset: must be a mapping with fields file, label, classes, labels, task, test, testFile, testLabels, validation, validationFile, validationLabels, normalize, seed"],
  ];
  for (const [input, message] of cases) assert.throws(() => parseFileDatasetSpec(input), { name: "DatasetFileError", message });
  assert.throws(() => parseFileDatasetSpec({ file: "a.csv", label: "y", test: 2 }, "datasets.train."), {
    message: "datasets.train.test: must be a fraction in (0, 1)",
  });
});

test("datasetBlobKey covers exactly the fields that change the packed bytes", () => {
  const base = parseFileDatasetSpec({ file: "x.npy", labels: "y.npy" });
  const key = datasetBlobKey(base);
  assert.equal(key, '{"file":"x.npy","label":null,"labels":"y.npy","testFile":null,"testLabels":null,"task":"classification"}');
  assert.equal(datasetBlobKey({ ...base, test: 0.5, seed: 7, normalize: "minmax" }), key);
  assert.notEqual(datasetBlobKey({ ...base, task: "regression" }), key);
  assert.notEqual(datasetBlobKey({ ...base, labels: "z.npy" }), key);
  assert.notEqual(datasetBlobKey({ ...base, testFile: "t.npy", testLabels: "ty.npy" }), key);
  // Named classes set the class indices in the blob; a spec without them keeps the key it always had.
  const csv = parseFileDatasetSpec({ file: "a.csv", label: "y" });
  assert.notEqual(datasetBlobKey({ ...csv, classes: ["a", "b"] }), datasetBlobKey(csv));
  assert.notEqual(datasetBlobKey({ ...csv, classes: ["a", "b"] }), datasetBlobKey({ ...csv, classes: ["b", "a"] }));
});

test("a validation file: the same format, its own labels where the format needs them, and no fraction beside it", () => {
  const messages = (input: unknown) => FileDatasetSpec.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  const parsed = parseFileDatasetSpec({ file: "x.npy", labels: "y.npy", validationFile: "vx.npy", validationLabels: "vy.npy" });
  assert.equal(parsed.validation, 0, "no train row held out");
  assert.deepEqual(parseFileDatasetSpec(parsed), parsed, "a parsed spec parses to itself");
  assert.deepEqual(messages({ file: "x.npy", labels: "y.npy", validationFile: "vx.npy" }), [
    "validationLabels: required with validationFile for an NPY file: the validation file's labels",
  ]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", validationFile: "v.npy" }), ["validationFile: must be in the same format as file (CSV), not NPY"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", validationLabels: "v.csv" }), ["validationLabels: only with validationFile"]);
  assert.deepEqual(messages({ file: "a.csv", label: "y", validationFile: "v.csv", validation: 0.2 }), [
    "validation: must be 0 or left out with validationFile (the validation file is the validation split)",
  ]);
});
