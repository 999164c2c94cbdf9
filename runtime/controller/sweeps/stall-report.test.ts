import { test } from "node:test";
import assert from "node:assert/strict";
import { stallOf, type StallInput } from "./stall-report.ts";

const base: StallInput = { now: 100_000, progressAt: 60_000, afterMs: 30_000, queued: 1, leased: 2, waiting: [] };

test("no stall while progress is recent or nothing is left", () => {
  assert.equal(stallOf({ ...base, progressAt: 80_000 }), null);
  assert.equal(stallOf({ ...base, queued: 0, leased: 0 }), null);
  // Exactly at the limit it is a stall (a watch that ticks at the limit reports it).
  assert.notEqual(stallOf({ ...base, progressAt: 70_000 }), null);
});

test("a stall names the trials waiting at a rung and what each waits for, earliest first", () => {
  const s = stallOf({
    ...base,
    waiting: [
      { trialId: 3, step: 1, waitingFor: [{ trialId: 1, state: "queued" }, { trialId: 2, state: "leased" }] },
      { trialId: 2, step: 1, waitingFor: [{ trialId: 1, state: "unstarted" }] },
    ],
  })!;
  assert.equal(s.seconds, 40);
  assert.equal(s.since, 60_000);
  assert.deepEqual(s.waiting.map((w) => w.trialId), [2, 3]);
  assert.equal(s.summary, "no trial has made progress for 40 s (2 leased, 1 queued): trial 2 waits at step 1 for 1 (unstarted); trial 3 waits at step 1 for 1 (queued), 2 (leased)");
});

test("without waits the summary says what else holds the sweep", () => {
  assert.match(stallOf(base)!.summary, /none waits at a rung: the leased trials report nothing/);
  assert.match(stallOf({ ...base, leased: 0 })!.summary, /none is leased: no agent takes work/);
});

test("long lists are cut, saying how many more", () => {
  const waitingFor = Array.from({ length: 8 }, (_, i) => ({ trialId: i + 1, state: "leased" as const }));
  const waiting = Array.from({ length: 12 }, (_, i) => ({ trialId: 20 + i, step: 2, waitingFor }));
  const s = stallOf({ ...base, waiting })!;
  assert.equal(s.waiting.length, 10);
  assert.match(s.summary, /trial 20 waits at step 2 for 1 \(leased\), 2 \(leased\), 3 \(leased\), 4 \(leased\), 5 \(leased\) and 3 more;/);
  assert.match(s.summary, /; 2 more waiting$/);
});
