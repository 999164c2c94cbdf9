// DSC2 blobs: round trips, the byte layout, identical bytes for identical tables, corruption.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { decodeDatasetBlob, encodeDatasetBlob } from "./dataset-blob.ts";
import type { RawTable } from "./raw-table.ts";

const images: RawTable = {
  x: Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 7),
  shape: [3, 2, 2, 1],
  y: Int32Array.from([2, 0, 1]),
  classes: ["cat", "dog", "émeu"],
};
const targets: RawTable = { x: Float32Array.from([1.5, -2, 3e-7, 4]), shape: [2, 2], y: Float32Array.from([0.25, -8]), classes: null };

test("u8 classification and f32 regression tables round-trip", () => {
  for (const [table, testStart] of [[images, 2], [targets, null]] as const) {
    const decoded = decodeDatasetBlob(encodeDatasetBlob(table, { testStart }));
    assert.equal(decoded.testStart, testStart);
    assert.deepEqual(decoded.table, table);
  }
});

test("the layout: magic, header length, JSON header, x at an 8-byte boundary, then y", () => {
  const bytes = encodeDatasetBlob(images, { testStart: null });
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "DSC2");
  const length = new DataView(bytes.buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  assert.deepEqual(header, { version: 1, x: "u8", shape: [3, 2, 2, 1], y: "class", classes: ["cat", "dog", "émeu"], count: 3, testStart: null });
  const xStart = Math.ceil((8 + length) / 8) * 8;
  assert.deepEqual(bytes.subarray(xStart, xStart + 12), images.x);
  assert.deepEqual(Array.from(bytes.subarray(xStart + 12)), [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
});

test("identical tables give identical bytes (the blob's hash names the data)", () => {
  const copy: RawTable = { x: targets.x.slice(), shape: [...targets.shape], y: targets.y.slice(), classes: null };
  const hash = (t: RawTable) => createHash("sha256").update(encodeDatasetBlob(t, { testStart: 1 })).digest("hex");
  assert.equal(hash(copy), hash(targets));
});

test("a corrupted or inconsistent blob is refused", () => {
  const good = encodeDatasetBlob(images, { testStart: null });
  const length = new DataView(good.buffer).getUint32(4, true);
  assert.notEqual((8 + length) % 8, 0, "this header is followed by padding");
  const mutate = (f: (b: Uint8Array) => void) => {
    const b = good.slice();
    f(b);
    return b;
  };
  const withHeader = (header: object) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const b = new Uint8Array(8 + json.length);
    b.set(new TextEncoder().encode("DSC2"));
    new DataView(b.buffer).setUint32(4, json.length, true);
    b.set(json, 8);
    return b;
  };
  const header = { version: 1, x: "u8", shape: [3, 2, 2, 1], y: "class", classes: ["a", "b"], count: 3, testStart: null };
  const cases: Array<[Uint8Array, string | RegExp]> = [
    [good.subarray(0, 5), "dataset blob: 5 bytes, too short for a header"],
    [mutate((b) => b.set([0x44, 0x53, 0x43, 0x31])), 'dataset blob: starts with "DSC1", not "DSC2"'],
    [mutate((b) => new DataView(b.buffer).setUint32(4, 1 << 20, true)), `dataset blob: header of 1048576 bytes runs past the end (${good.length} bytes)`],
    [mutate((b) => (b[8] = 0x7c)), /^dataset blob: header is not JSON: /],
    [good.subarray(0, good.length - 1), `dataset blob: ${good.length - 1} bytes, the header describes ${good.length}`],
    [mutate((b) => b.set([9, 0, 0, 0], b.length - 4)), "dataset blob: label 9 at row 2 is not an index into 3 classes"],
    [mutate((b) => (b[8 + length] = 1)), "dataset blob: padding after the header is not zero"],
    [withHeader({ ...header, version: 2 }), /^dataset blob: bad header: version: /],
    [withHeader({ ...header, count: 4 }), "dataset blob: count 4 differs from shape[0] 3"],
    [withHeader({ ...header, testStart: 3 }), "dataset blob: testStart 3 leaves no test rows among 3"],
    [withHeader({ ...header, classes: null }), 'dataset blob: y "class" with classes null'],
    [withHeader({ ...header, classes: ["a", "a"] }), "dataset blob: classes has duplicates"],
    [withHeader({ ...header, extra: 1 }), /^dataset blob: bad header: \(root\): /],
  ];
  for (const [bytes, message] of cases) assert.throws(() => decodeDatasetBlob(bytes), { name: "DatasetBlobError", message });
});

test("encoding refuses a table that does not match its shape", () => {
  assert.throws(() => encodeDatasetBlob({ ...targets, y: Float32Array.from([1]) }, { testStart: null }), {
    message: "dataset blob: y has 1 values for 2 samples",
  });
  assert.throws(() => encodeDatasetBlob({ ...targets, x: Float32Array.from([1, 2, NaN, 4]) }, { testStart: null }), {
    message: "dataset blob: x value NaN at flat index 2 is not finite",
  });
});
