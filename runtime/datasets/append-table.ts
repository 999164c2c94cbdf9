// A separate validation or test file joins the training rows in one table: its rows after
// the others, one class list over both, and only when the two files describe the same samples.
import { fileError, type DataFileRef } from "./dataset-file-error.ts";
import { remapLabels, sortClasses } from "./class-labels.ts";
import { sampleCount, type RawTable } from "./raw-table.ts";

/** Both tables' rows in one table; `test`'s rows (a test or validation file's) start at sampleCount(train). */
export function appendTable(train: RawTable, test: RawTable, trainRef: DataFileRef, testRef: DataFileRef): RawTable {
  const trainSample = train.shape.slice(1).join(", ");
  const testSample = test.shape.slice(1).join(", ");
  if (train.columns && test.columns && train.columns.join("\n") !== test.columns.join("\n")) {
    throw fileError(testRef, "line 1", `feature columns (${test.columns.join(", ")}) differ from those of ${trainRef.file} (${train.columns.join(", ")})`);
  }
  if (trainSample !== testSample) {
    throw fileError(testRef, null, `samples have shape [${testSample}], those of ${trainRef.file} have [${trainSample}]`);
  }
  if (train.x.constructor !== test.x.constructor) {
    const dtype = (t: RawTable) => (t.x instanceof Uint8Array ? "u8" : "not u8");
    throw fileError(testRef, null, `values are ${dtype(test)}, those of ${trainRef.file} are ${dtype(train)}; save both with the same dtype`);
  }

  const x = train.x instanceof Uint8Array ? new Uint8Array(train.x.length + test.x.length) : new Float32Array(train.x.length + test.x.length);
  x.set(train.x);
  x.set(test.x, train.x.length);
  const shape = [sampleCount(train) + sampleCount(test), ...train.shape.slice(1)];

  if (train.classes === null || test.classes === null) {
    const y = new Float32Array(train.y.length + test.y.length);
    y.set(train.y);
    y.set(test.y, train.y.length);
    return { x, shape, y, classes: null, ...(train.columns && { columns: train.columns }) };
  }
  // Classes the spec names are the same list on both sides, in its order; found ones merge, sorted.
  const classes = train.classes.join("\n") === test.classes.join("\n") ? train.classes : sortClasses([...train.classes, ...test.classes]);
  const y = new Int32Array(train.y.length + test.y.length);
  y.set(remapLabels(train.y as Int32Array, train.classes, classes));
  y.set(remapLabels(test.y as Int32Array, test.classes, classes), train.y.length);
  return { x, shape, y, classes, ...(train.columns && { columns: train.columns }) };
}
