import { test } from "node:test";
import assert from "node:assert/strict";
import { pastStopStep, stopStepDue, stopStepReached } from "./stop-step.ts";

test("without a stopStep nothing changes", () => {
  assert.equal(pastStopStep(undefined, 1_000), false);
  assert.equal(stopStepDue(undefined, 4, undefined), false);
  assert.equal(stopStepReached(undefined, 1_000, true), false);
});

test("a checkpoint is due at the stopStep once; the trial stops once it is reported and checkpointed; later steps are past it", () => {
  assert.deepEqual([3, 4, 5].map((step) => stopStepDue(4, step, 2)), [false, true, false]);
  assert.equal(stopStepDue(4, 4, 4), false, "not twice (resumed at it, or taken already)");
  assert.equal(stopStepReached(4, 4, false), false, "reported but not checkpointed: goes on to its checkpoint");
  assert.equal(stopStepReached(4, 3, true), false);
  assert.equal(stopStepReached(4, 4, true), true);
  assert.deepEqual([4, 5].map((step) => pastStopStep(4, step)), [false, true]);
});
