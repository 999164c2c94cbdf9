// Threads granted at join: the ask, capped, and never raised by a renewal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { grantThreads, DEFAULT_MAX_THREADS } from "./join-threads.ts";

test("a join gets what it asks up to --max-threads; a renewal never more than before", () => {
  assert.equal(grantThreads(8, DEFAULT_MAX_THREADS), 8);
  assert.equal(grantThreads(1024, DEFAULT_MAX_THREADS), 256, "capped, not refused");
  assert.equal(grantThreads(1024, 1024), 1024);
  assert.equal(grantThreads(64, 256, 1), 1, "joined with 1: a renewal asking 64 keeps 1");
  assert.equal(grantThreads(4, 256, 16), 4, "asking fewer is fine");
  assert.equal(grantThreads(512, 128, 300), 128, "a lowered cap applies at renewal");
});
