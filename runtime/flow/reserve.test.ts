import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_RESERVE, RESERVE_HORIZON_S, agentAsk, relayGrant, reserveSize, workerFinishes, workerRate } from "./reserve.ts";

test("a reserve is a horizon of work at the rate, at least a trial per thread, at most MAX_RESERVE", () => {
  assert.equal(reserveSize(0, 8, RESERVE_HORIZON_S.agent), 8, "no rate yet: one per thread");
  assert.equal(reserveSize(1000, 8, RESERVE_HORIZON_S.agent), 250);
  assert.equal(reserveSize(1000, 8, RESERVE_HORIZON_S.relayCap), MAX_RESERVE);
  assert.equal(reserveSize(10, 2, 0.25), 3, "rounded up");
});

test("the relay's cap never binds before the agent's own target", () => {
  for (const rate of [0, 5, 100, 700, 2000, 50_000]) {
    for (const threads of [1, 4, 64]) {
      const target = reserveSize(rate, threads, RESERVE_HORIZON_S.agent);
      // A worker with nothing held asks for its idle threads and its reserve: the relay grants it all.
      assert.equal(relayGrant(agentAsk(threads, threads, 0, rate), threads, 0, rate), threads + target, `rate ${rate}, ${threads} threads`);
    }
  }
});

test("results in flight are granted again: a worker listing results it posted still gets work for its idle threads", () => {
  // 2 threads, reserve 2: threads + reserve = 4, and 4 more for results on their way.
  assert.equal(relayGrant(2, 2, 4, 0), 2, "4 listed (2 of them results in flight): the 2 idle threads get trials");
  assert.equal(relayGrant(100, 2, 6, 0), 2, "at most 8 listed");
  assert.equal(relayGrant(100, 2, 8, 0), 0);
  assert.equal(relayGrant(100, 2, 20, 0), 0, "never negative");
});

test("an agent asks for its idle threads and its reserve, less what already waits", () => {
  assert.equal(agentAsk(2, 4, 0, 0), 6);
  assert.equal(agentAsk(0, 4, 3, 0), 1);
  assert.equal(agentAsk(0, 4, 10, 0), 0);
});

test("a rising rate shows within half a second; a falling one is forgotten over two", () => {
  const finished = workerFinishes();
  for (let t = 0; t < 250; t++) finished.add(10_000 + t); // 1,000 trials/s for a quarter second
  assert.ok(workerRate(finished, 10_250) >= 500, `${workerRate(finished, 10_250)}/s`);
  assert.ok(reserveSize(workerRate(finished, 10_250), 4, RESERVE_HORIZON_S.agent) > 4, "the reserve grows at once");
  assert.equal(workerRate(finished, 13_000), 0, "two seconds later, nothing");
});
