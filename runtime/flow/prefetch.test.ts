import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_LEASE_REQUEST, MIN_PREFETCH, leaseRequest, queueTarget } from "./prefetch.ts";

test("the queue holds two trials per live thread, or half a second of work; nothing without workers", () => {
  assert.equal(queueTarget(0, 5000), 0);
  assert.equal(queueTarget(1, 0), MIN_PREFETCH);
  assert.equal(queueTarget(8, 0), 16);
  assert.equal(queueTarget(8, 1000), 500);
});

const base = { queued: 0, target: 16, extra: 0, again: false, upstreamPaused: false, waiting: false };

test("refilled once down to half, to the target, in one request", () => {
  assert.equal(leaseRequest({ ...base, queued: 0 }), 16);
  assert.equal(leaseRequest({ ...base, queued: 9 }), 0, "more than half left: not yet");
  assert.equal(leaseRequest({ ...base, queued: 8 }), 8);
  assert.equal(leaseRequest({ ...base, queued: 16 }), 0);
  assert.equal(leaseRequest({ ...base, target: 5000 }), MAX_LEASE_REQUEST, "one transaction's worth at most");
});

test("a waiting worker's extra trials, or a request the controller could not fill, go at once", () => {
  assert.equal(leaseRequest({ ...base, queued: 12, extra: 2 }), 6);
  assert.equal(leaseRequest({ ...base, queued: 10, again: true }), 6);
});

test("while upstream is paused, only for a worker that waits", () => {
  assert.equal(leaseRequest({ ...base, upstreamPaused: true }), 0);
  assert.equal(leaseRequest({ ...base, upstreamPaused: true, waiting: true }), 16);
  assert.equal(leaseRequest({ ...base, upstreamPaused: true, extra: 1 }), 17);
});
