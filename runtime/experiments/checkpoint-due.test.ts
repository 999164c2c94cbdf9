import { test } from "node:test";
import assert from "node:assert/strict";
import { checkpointDue, DEFAULT_CHECKPOINT_MS } from "./checkpoint-due.ts";

test("checkpoint.every: due at multiples of N only", () => {
  const due = [1, 2, 3, 4, 5, 6].filter((step) => checkpointDue({ step, every: 3, sinceMs: 0, asked: false }));
  assert.deepEqual(due, [3, 6]);
});

test("without every: due once about 30 s of compute passed since the last checkpoint", () => {
  assert.equal(checkpointDue({ step: 1, sinceMs: DEFAULT_CHECKPOINT_MS - 1, asked: false }), false);
  assert.equal(checkpointDue({ step: 1, sinceMs: DEFAULT_CHECKPOINT_MS, asked: false }), true);
  assert.equal(checkpointDue({ step: 1, sinceMs: 50, asked: false, intervalMs: 40 }), true);
});

test("asked (SIGTERM): due at once, even between multiples of every", () => {
  assert.equal(checkpointDue({ step: 7, every: 5, sinceMs: 0, asked: true }), true);
});

test("never twice at the step of the last checkpoint (a restored one included)", () => {
  assert.equal(checkpointDue({ step: 6, every: 3, lastStep: 6, sinceMs: 1e9, asked: true }), false);
  assert.equal(checkpointDue({ step: 9, every: 3, lastStep: 6, sinceMs: 0, asked: false }), true);
});
