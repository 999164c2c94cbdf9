// The relay's shell, in process with a fake controller: polls held and answered later, lease
// requests and heartbeats carried out upstream. The decisions themselves are tested without
// I/O in relay-state.test.ts; this is the one scenario that shows the shell carries them out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Relay } from "./relay.ts";
import { fakeUpstream } from "./fake-upstream.ts";
import type { TrialResult, WorkResponse } from "../../protocol/messages.ts";

/** Lets the fake controller's answers land (they resolve on the next turns of the event loop). */
const tick = () => new Promise((r) => setImmediate(r));
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

test("trial states: only a worker's running trial may store one or fetch the checkpoint its lease names, which is fetched upstream once", async () => {
  const { upstream } = fakeUpstream(2);
  const named = "c".repeat(64);
  let fetched = 0;
  const stored: string[] = [];
  const withCheckpoints = {
    ...upstream,
    leases: async (k: number) => {
      const r = await upstream.leases(k);
      for (const t of r.trials) t.restore = { step: 5, sha256: named };
      return r;
    },
    putState: async (q: { trial: number; kind: string }) => (stored.push(`${q.trial}:${q.kind}`), { stored: true, bytes: 1 }),
    checkpoint: async () => (fetched++, new Uint8Array([1, 2, 3])),
  };
  const relay = new Relay(withCheckpoints, { relayId: "r", url: "", heartbeatMs: 60_000 });
  try {
    assert.deepEqual(ids(await relay.poll("a", { threads: 1, wait: 1000, free: 1, running: [] })), [1]);
    const q = { trial: 1, attempt: 1, step: 5, sha: named, kind: "checkpoint" as const };
    assert.deepEqual(await relay.putState("a", q, new Uint8Array([9])), { stored: true, bytes: 1 });
    await assert.rejects(relay.putState("b", q, new Uint8Array([9])), /not running on worker b/);
    await assert.rejects(relay.putState("a", { ...q, trial: 2 }, new Uint8Array([9])), /trial 2 attempt 1 is not running on worker a/);
    assert.deepEqual(stored, ["1:checkpoint"]);

    assert.deepEqual([...await relay.checkpoint("a", ref(1), named)], [1, 2, 3]);
    assert.deepEqual([...await relay.checkpoint("a", ref(1), named)], [1, 2, 3]);
    assert.equal(fetched, 1, "a checkpoint asked again comes from the relay's cache");
    await assert.rejects(relay.checkpoint("a", ref(1), "d".repeat(64)), /lease names no checkpoint d{64}/);
    await assert.rejects(relay.checkpoint("b", ref(1), named), /not running on worker b/);
  } finally {
    await relay.close(false);
  }
});
