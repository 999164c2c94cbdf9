// The join rate limit: a burst at once, then the refill rate; keys apart; the wait it names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JoinLimiter, parseJoinLimit, DEFAULT_JOIN_LIMIT } from "./join-limiter.ts";

test("a burst passes at once, the next waits for the refill, and the wait is named", () => {
  const l = new JoinLimiter({ burst: 3, perSecond: 2 });
  for (let i = 0; i < 3; i++) assert.deepEqual(l.take("a", 1000), { ok: true });
  assert.deepEqual(l.take("a", 1000), { ok: false, retryAfterMs: 500 });
  assert.deepEqual(l.take("a", 1250), { ok: false, retryAfterMs: 250 }, "half earned");
  assert.deepEqual(l.take("a", 1500), { ok: true });
  assert.deepEqual(l.take("b", 1500), { ok: true }, "another token has its own bucket");
  // Idle for a minute: back to the burst, never past it.
  for (let i = 0; i < 3; i++) assert.deepEqual(l.take("a", 61_500), { ok: true });
  assert.equal(l.take("a", 61_500).ok, false);
});

test("a clock that steps back earns nothing", () => {
  const l = new JoinLimiter({ burst: 1, perSecond: 1 });
  assert.equal(l.take("a", 10_000).ok, true);
  assert.equal(l.take("a", 5_000).ok, false);
  assert.equal(l.take("a", 10_500).ok, false, "the step back did not reset the bucket's time");
  assert.equal(l.take("a", 11_000).ok, true);
});

test("the default takes a fleet of hundreds booting at once", () => {
  const l = new JoinLimiter();
  for (let i = 0; i < 1000; i++) assert.equal(l.take("fleet", 0).ok, true, `join ${i}`);
});

test("DISCALC_JOIN_LIMIT is BURST/PER_SECOND", () => {
  assert.deepEqual(parseJoinLimit(undefined), DEFAULT_JOIN_LIMIT);
  assert.deepEqual(parseJoinLimit("60/0.5"), { burst: 60, perSecond: 0.5 });
  assert.throws(() => parseJoinLimit("60"), /DISCALC_JOIN_LIMIT must be BURST\/PER_SECOND/);
  assert.throws(() => parseJoinLimit("0/1"), /DISCALC_JOIN_LIMIT/);
});
