import { test } from "node:test";
import assert from "node:assert/strict";
import { RateWindow } from "./rate-window.ts";

test("counts the events of the last window, in whole buckets", () => {
  const w = new RateWindow(2000, 100);
  for (let t = 0; t < 5000; t += 10) w.add(t); // 100 events a second for 5 s
  assert.equal(w.count(4999, 2000), 200, "the last 2 s: 20 buckets of 10");
  assert.equal(w.count(4999, 500), 50);
  assert.equal(w.perSecond(4999, 2000), 100);
  assert.equal(w.count(4999, 60_000), 200, "never more than the window");
});

test("old buckets are forgotten as time passes, also across a long silence", () => {
  const w = new RateWindow(1000, 100);
  for (let i = 0; i < 50; i++) w.add(1000);
  assert.equal(w.count(1000), 50);
  assert.equal(w.count(1950), 50, "still within the window");
  assert.equal(w.count(2100), 0, "its bucket has left the window");
  w.add(1_000_000, 3);
  assert.equal(w.count(1_000_000), 3, "after a silence longer than the ring, only the new events");
});

test("a clock that goes back counts into the newest bucket, never into a stale one", () => {
  const w = new RateWindow(1000, 100);
  w.add(5000);
  w.add(100); // far in the past: would land in a slot of the ring that is reused
  assert.equal(w.count(5000), 2);
  assert.equal(w.count(6200), 0);
});

test("refuses a bucket longer than the window", () => {
  assert.throws(() => new RateWindow(50, 100), /0 < bucketMs <= windowMs/);
});

test("a rate is over the window at most, and needs a period", () => {
  const w = new RateWindow(1000, 100);
  for (let t = 0; t < 1000; t += 10) w.add(t);
  assert.equal(w.perSecond(999, 60_000), 100, "a minute asked of a 1 s window: the window's rate");
  assert.throws(() => w.perSecond(999, 0), /more than 0 ms/);
});
