import { test } from "node:test";
import assert from "node:assert/strict";
import { broadcastShapes, broadcastStrides, collapseDims, contiguousStrides, normalizeDim } from "./shape.ts";

test("broadcastShapes follows PyTorch: right-aligned, equal or 1", () => {
  assert.deepEqual(broadcastShapes([3, 1, 5], [4, 1], "add"), [3, 4, 5]);
  assert.deepEqual(broadcastShapes([], [2, 3], "add"), [2, 3]);
  assert.throws(() => broadcastShapes([2, 3], [4], "mul"), /mul: shapes \[2,3\] and \[4\] do not broadcast \(dimension 1 of the result: 3 vs 4\)/);
});

test("broadcastStrides reads a repeated dimension with stride 0", () => {
  assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(broadcastStrides([3, 1], [2, 3, 4]), [0, 1, 0]);
});

test("collapseDims merges what every operand walks contiguously, and only that", () => {
  assert.deepEqual(collapseDims([2, 3, 4], [[12, 4, 1], [12, 4, 1]]), { shape: [24], strides: [[1], [1]] });
  assert.deepEqual(collapseDims([2, 3, 4], [[12, 4, 1], [0, 1, 0]]), { shape: [2, 3, 4], strides: [[12, 4, 1], [0, 1, 0]] });
  assert.deepEqual(collapseDims([2, 3, 4], [[12, 4, 1], [0, 0, 1]]), { shape: [6, 4], strides: [[4, 1], [0, 1]] });
  assert.deepEqual(collapseDims([], [[], []]), { shape: [1], strides: [[1], [1]] });
});

test("normalizeDim counts negatives from the end and refuses the rest", () => {
  assert.equal(normalizeDim(-1, 3, "sum"), 2);
  assert.throws(() => normalizeDim(3, 3, "sum"), /sum: dim 3 is out of range for a tensor of rank 3/);
});
