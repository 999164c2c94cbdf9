// Batches by bytes: the first items that fit, never none, never past the count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchPrefix, jsonBytes } from "./batch-bytes.ts";

test("takes the leading items that fit the bytes and the count, and always at least one", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i, pad: "x".repeat(90) }));
  const each = jsonBytes(items[0]) + 1;
  assert.equal(batchPrefix(items, 100, each * 3), 3);
  assert.equal(batchPrefix(items, 2, each * 3), 2, "the count binds first");
  assert.equal(batchPrefix(items, 100, 10), 1, "an item over the cap alone still goes, so the sender can decide");
  assert.equal(batchPrefix([], 100, 10), 0);
  assert.equal(batchPrefix(items, 100, 1e9), 10);
});

test("sizes the sender measured are used as given", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i }));
  // Each claims 99 bytes (+1 separator): three fit in 300, whatever their JSON.
  assert.equal(batchPrefix(items, 100, 300, () => 99), 3);
  assert.equal(batchPrefix(items, 100, 300, (x) => (x.i === 1 ? 1000 : 10)), 1, "a large second item ends the batch");
  assert.equal(batchPrefix(items, 4, 1e9, () => 10), 4, "the count binds first");
});
