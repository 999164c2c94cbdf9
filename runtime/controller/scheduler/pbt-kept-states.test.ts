import { test } from "node:test";
import assert from "node:assert/strict";
import { statesStartedFrom } from "./pbt-kept-states.ts";

// Population 3: generation 0 is trials 1–3, generation 1 is 4–6 (4 and 5 start from 1, 6 from 3).
const gen0 = [1, 2, 3].map((trialId) => ({ trialId, generation: 0, parentTrialId: null }));
const gen1 = [{ trialId: 4, generation: 1, parentTrialId: 1 }, { trialId: 5, generation: 1, parentTrialId: 1 }, { trialId: 6, generation: 1, parentTrialId: 3 }];

test("while the next generation is to come, the newest generation's states all stay", () => {
  assert.deepEqual([...statesStartedFrom(gen0, true)].sort(), [1, 2, 3]);
});

test("once a generation is proposed, only the states its members start from stay of the one before", () => {
  assert.deepEqual([...statesStartedFrom([...gen0, ...gen1], true)].sort(), [1, 3, 4, 5, 6]);
});

test("after the last generation, parents stay and the last members are left to keep", () => {
  assert.deepEqual([...statesStartedFrom([...gen0, ...gen1], false)].sort(), [1, 3]);
  assert.deepEqual([...statesStartedFrom([], false)], []);
});
