// The relay at a sweep's end, in process with a fake controller: the last trials go to idle
// threads only, and a reserve waiting behind a busy thread is asked back and re-queued here
// (same lease, no round trip upstream) for the thread that idles.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Relay } from "./relay.ts";
import { fakeUpstream } from "./fake-upstream.ts";
import type { TrialResult, WorkResponse } from "../../protocol/messages.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));
const ids = (res: WorkResponse) => res.trials.map((t) => t.trialId);
const result = (workerId: string, trialId: number, status: TrialResult["status"] = "done"): TrialResult =>
  ({ trialId, attempt: 1, status, workerId, error: null, outcome: null, finishedAt: Date.now() });
const ref = (trialId: number) => ({ trialId, attempt: 1 });

test("a reserve behind a busy thread goes to the thread that idles, under the same lease", async () => {
  const { upstream, heartbeats } = fakeUpstream(4);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  const w = { threads: 1, wait: 1000 };
  try {
    // A asks for a thread's trial and a reserve: it gets trials 1 (runs) and 2 (reserve).
    const a1 = await relay.poll("a", { ...w, free: 2, running: [], reserve: [] });
    assert.deepEqual(ids(a1), [1, 2]);
    assert.deepEqual(a1.handBack, [], "the field is there: this relay reads reserves");
    await tick(); // the next lease request comes back empty: the controller is dry
    // B is idle: with the controller dry and no more queued than there are threads, it gets
    // one trial per idle thread, no reserve.
    const b1 = await relay.poll("b", { ...w, free: 2, running: [] });
    assert.deepEqual(ids(b1), [3]);
    assert.equal(b1.dry, true);
    relay.acceptResults("b", [result("b", 3)]);
    assert.deepEqual(ids(await relay.poll("b", { ...w, free: 2, running: [] })), [4]);

    // A waits holding its reserve (free=0); B finishes its last trial and idles.
    const aWaiting = relay.poll("a", { ...w, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
    relay.acceptResults("b", [result("b", 4)]);
    const bWaiting = relay.poll("b", { ...w, free: 2, running: [] });
    const a2 = await aWaiting;
    assert.deepEqual(a2.handBack, [ref(2)], "A's long-poll is answered at once: hand trial 2 back");
    assert.deepEqual(relay.acceptResults("a", [result("a", 2, "released")]), ["stored"]);
    const b2 = await bWaiting;
    assert.deepEqual(ids(b2), [2], "B gets it as soon as A returns it");
    assert.equal(b2.trials[0]!.attempt, 1, "the same attempt: no round trip to the controller");
    assert.equal(relay.counters.handedBack, 1);
    await relay.heartbeat(undefined);
    assert.deepEqual(heartbeats.at(-1)!.released, [], "nothing was released upstream");
    assert.ok(heartbeats.at(-1)!.held.some((h) => h.trialId === 2), "its lease is renewed as B's");
    // B's result for it is taken; A's would not be.
    assert.deepEqual(relay.acceptResults("b", [result("b", 2)]), ["stored"]);
    assert.deepEqual(relay.acceptResults("a", [result("a", 2)]), ["refused"]);
  } finally {
    await relay.close(false);
  }
});

test("a trial asked back that its worker started meanwhile stops counting: another reserve is asked", async () => {
  const { upstream } = fakeUpstream(6);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  const w = { threads: 1, wait: 1000 };
  try {
    assert.deepEqual(ids(await relay.poll("a", { ...w, free: 2, running: [], reserve: [] })), [1, 2]);
    assert.deepEqual(ids(await relay.poll("c", { ...w, free: 2, running: [], reserve: [] })), [3, 4]);
    await tick();
    assert.deepEqual(ids(await relay.poll("b", { ...w, free: 2, running: [] })), [5]);
    relay.acceptResults("b", [result("b", 5)]);
    assert.deepEqual(ids(await relay.poll("b", { ...w, free: 2, running: [] })), [6]);
    // a and c each hold one trial in reserve (2 and 4); b finishes and idles.
    await relay.poll("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
    await relay.poll("c", { ...w, wait: 0, free: 0, running: [ref(3), ref(4)], reserve: [ref(4)] });
    relay.acceptResults("b", [result("b", 6)]);
    const bWaiting = relay.poll("b", { ...w, free: 2, running: [] });
    // 2 is asked back from a, but a's thread freed first and started it: its poll lists no reserve.
    relay.acceptResults("a", [result("a", 1)]);
    const a = await relay.poll("a", { ...w, wait: 0, free: 1, running: [ref(2)], reserve: [] });
    assert.deepEqual(a.handBack, [], "a is not asked for a trial it runs");
    const c = await relay.poll("c", { ...w, wait: 0, free: 0, running: [ref(3), ref(4)], reserve: [ref(4)] });
    assert.deepEqual(c.handBack, [ref(4)], "c's reserve is asked instead");
    relay.acceptResults("c", [result("c", 4, "released")]);
    assert.deepEqual(ids(await bWaiting), [4]);
  } finally {
    await relay.close(false);
  }
});

test("before the sweep's end, workers keep their reserves", async () => {
  const { upstream } = fakeUpstream(100);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  const w = { threads: 1, wait: 1000 };
  try {
    assert.deepEqual(ids(await relay.poll("a", { ...w, free: 2, running: [], reserve: [] })), [1, 2]);
    await tick();
    const b = await relay.poll("b", { ...w, free: 2, running: [] });
    assert.equal(b.trials.length, 2, "a reserve as usual");
    assert.equal(b.dry, false);
    const a = await relay.poll("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
    assert.deepEqual(a.handBack, [], "nothing asked back while the controller has work");
  } finally {
    await relay.close(false);
  }
});
