import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeCheckpoint, decodeCheckpoint } from "./checkpoint-envelope.ts";

test("a checkpoint keeps its step, reports and state bytes", () => {
  const state = new Uint8Array([1, 2, 3, 250]);
  const bytes = encodeCheckpoint({ step: 12, reports: [{ loss: 0.5 }, { loss: 0.25, step: 2 }], state });
  const back = decodeCheckpoint(bytes);
  assert.equal(back.step, 12);
  assert.deepEqual(back.reports, [{ loss: 0.5 }, { loss: 0.25, step: 2 }]);
  assert.deepEqual([...back.state], [1, 2, 3, 250]);
});

test("bytes that are not a checkpoint are refused with a reason", () => {
  assert.throws(() => decodeCheckpoint(new Uint8Array([1, 2, 3])), /not a discalc checkpoint/);
  const bytes = encodeCheckpoint({ step: 1, reports: [], state: new Uint8Array(0) });
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, 12)), /truncated/);
});
