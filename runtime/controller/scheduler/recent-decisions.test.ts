import { test } from "node:test";
import assert from "node:assert/strict";
import { RecentDecisions } from "./recent-decisions.ts";

const prune = { decision: "prune" as const, reason: "rung 1: below the cutoff" };
const go = { decision: "continue" as const, reason: null };

test("a decided rung is answered only to the relay whose attempt got it, and memory stays at its capacity", () => {
  const d = new RecentDecisions(3);
  d.remember("1:1:1", "r-1", prune);
  assert.deepEqual(d.get("1:1:1", "r-1"), prune);
  assert.equal(d.get("1:1:1", "r-2"), undefined, "another relay asks afresh (and is refused there)");
  for (let t = 2; t <= 10; t++) d.remember(`${t}:1:1`, "r-1", go);
  assert.equal(d.size, 3);
  assert.equal(d.get("1:1:1", "r-1"), undefined, "the oldest went first");
  assert.deepEqual(d.get("10:1:1", "r-1"), go);
});
