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

test("the rising rate follows a rise at once and a fall only as the slow period forgets", () => {
  const w = new RateWindow(5000, 100);
  for (let t = 0; t < 4000; t += 10) w.add(t); // 100/s for 4 s
  for (let t = 4000; t < 5000; t += 1) w.add(t); // then 1,000/s for 1 s
  assert.equal(w.perSecond(4999, 5000), 280, "the 5 s rate lags the rise: (400 + 1,000) events in 5 s");
  assert.equal(w.risingRate(4999, 1000, 5000), 1000, "the last second's rate");
  // Silence after the burst: the last second says 0, the 5 s window still remembers it.
  assert.equal(w.risingRate(5999, 1000, 5000), w.perSecond(5999, 5000));
  assert.ok(w.risingRate(5999, 1000, 5000) > 0);
  assert.equal(w.risingRate(4999, 1000), w.risingRate(4999, 1000, 5000), "the slow period defaults to the window");
});
