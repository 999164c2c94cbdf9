import { test } from "node:test";
import assert from "node:assert/strict";
import { CHUNK_MS, CHUNK_RETURN_MS, MAX_CHUNK, chunkRunsLong, chunkSize, nextTrialMs } from "./chunk-size.ts";

test("one trial a chunk until the sweep's time per trial is known, and for trials of CHUNK_MS or more", () => {
  assert.equal(chunkSize(undefined, 100, 4), 1);
  assert.equal(chunkSize(CHUNK_MS, 100, 4), 1);
  assert.equal(chunkSize(1000, 100, 4), 1);
});

test("tiny trials go about CHUNK_MS to a chunk, at most MAX_CHUNK, at most an even share of what waits", () => {
  assert.equal(chunkSize(0.5, 1000, 4), 10);
  assert.equal(chunkSize(0.001, 1000, 4), MAX_CHUNK);
  assert.equal(chunkSize(0, 1000, 4), MAX_CHUNK, "a time of zero does not divide by zero");
  assert.equal(chunkSize(0.01, 12, 4), 3, "12 waiting for 4 threads: 3 each");
});

test("a sweep's time per trial follows its chunks as a moving average", () => {
  assert.equal(nextTrialMs(undefined, 4), 4);
  assert.equal(nextTrialMs(4, 9), 5);
});

test("a chunk gives back its unstarted trials once it has run CHUNK_RETURN_MS, never its first", () => {
  assert.equal(chunkRunsLong(0, 10 * CHUNK_RETURN_MS), false);
  assert.equal(chunkRunsLong(3, CHUNK_RETURN_MS - 1), false);
  assert.equal(chunkRunsLong(3, CHUNK_RETURN_MS), true);
});
