import { test } from "node:test";
import assert from "node:assert/strict";
import { POLL_TIMEOUT_MS, POLL_WAIT_MS, pollAgainAtOnce, pollBackoffMs, pollDueOnFinish, pollShape, reapEveryMs, rungBackoffMs } from "./poll-timing.ts";

test("failed polls back off, growing and capped", () => {
  assert.deepEqual([1, 2, 3, 6, 20].map(pollBackoffMs), [500, 1000, 1500, 3000, 3000]);
  assert.deepEqual([1, 4, 8, 20].map(rungBackoffMs), [250, 1000, 2000, 2000]);
  assert.ok(POLL_TIMEOUT_MS > POLL_WAIT_MS, "a long-poll's wait is not taken for a dead relay");
});

test("a silent worker is looked for at least twice per silence period", () => {
  assert.equal(reapEveryMs(5000), 1000);
  assert.equal(reapEveryMs(600), 300);
});

const s = { running: true, free: 0, idleThreads: 0, waiting: 0, relayTakesBack: true, relayDry: false };

test("a thread with nothing to run long-polls; a full agent does not", () => {
  assert.deepEqual(pollShape({ ...s, free: 3, idleThreads: 1 }), { longPoll: true, tellReserve: true });
  assert.deepEqual(pollShape({ ...s, free: 3, idleThreads: 1, waiting: 2 }), { longPoll: false, tellReserve: true }, "trials wait for it already");
  assert.deepEqual(pollShape({ ...s, free: 0, waiting: 4 }), { longPoll: false, tellReserve: true });
});

test("at a sweep's end a reserve waits at the relay, listed, to be asked back the moment a thread elsewhere idles", () => {
  assert.deepEqual(pollShape({ ...s, relayDry: true, waiting: 2 }), { longPoll: true, tellReserve: true });
  assert.equal(pollShape({ ...s, relayDry: true, waiting: 2, relayTakesBack: false }).longPoll, false, "a relay that does not read reserves");
  assert.equal(pollShape({ ...s, relayDry: true, waiting: 2, running: false }).tellReserve, false, "an agent that stops keeps none");
});

test("after an answer: again at once only when more is coming or the poll already waited", () => {
  assert.equal(pollAgainAtOnce(8, 3, false, false), true, "3 of 8 came: the rest is on its way upstream");
  assert.equal(pollAgainAtOnce(8, 8, false, false), false);
  assert.equal(pollAgainAtOnce(8, 0, false, false), false, "nothing came: wait");
  assert.equal(pollAgainAtOnce(8, 0, true, false), true, "commands came");
  assert.equal(pollAgainAtOnce(0, 0, false, true), true);
});

test("a finished trial brings the poll forward only once the reserve is down to half", () => {
  const r = { running: true, relayDry: false, idleThreads: 0, waiting: 5, reserveTarget: 8 };
  assert.equal(pollDueOnFinish(r), false);
  assert.equal(pollDueOnFinish({ ...r, waiting: 4 }), true);
  assert.equal(pollDueOnFinish({ ...r, relayDry: true }), true, "at a sweep's end every change is told");
  assert.equal(pollDueOnFinish({ ...r, running: false }), true);
  assert.equal(pollDueOnFinish({ ...r, waiting: 0, idleThreads: 1 }), true);
});
