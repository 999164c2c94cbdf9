// The relay's queue of leased trials, in process with a fake controller: it is refilled in
// few, large lease requests (each a transaction upstream), never at the cost of a worker's trials.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Relay } from "./relay.ts";
import { fakeUpstream } from "./fake-upstream.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));

test("the queue is refilled once half used, not after every poll, and every poll gets its trials", async () => {
  const { upstream, leaseRequests } = fakeUpstream(1000);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  const polls = 40;
  try {
    // 8 threads: the relay holds 16 trials for them; each poll takes 2 and returns their results.
    await relay.poll("a", { threads: 8, free: 0, running: [] });
    await relay.heartbeat(undefined); // which fills the queue
    await tick();
    const requestsBefore = leaseRequests.length;
    for (let i = 0; i < polls; i++) {
      const res = await relay.poll("a", { threads: 8, free: 2, running: [] });
      assert.equal(res.trials.length, 2, `poll ${i + 1} got its trials`);
      relay.acceptResults("a", res.trials.map((t) => ({ ...t, status: "done" as const, workerId: "a", error: null, outcome: null, finishedAt: Date.now() })));
      await tick(); // any lease request the poll made is answered
    }
    const requests = leaseRequests.length - requestsBefore;
    // Every 4 polls take 8 trials, half the queue: about 10 requests of 8, where refilling
    // after each poll made 40 requests of 2.
    assert.ok(requests <= polls / 3, `${requests} lease requests for ${polls} polls`);
    assert.ok(leaseRequests.slice(requestsBefore).every((k) => k >= 8), `requests of ${leaseRequests.slice(requestsBefore).join(", ")} trials`);
  } finally {
    await relay.close(false);
  }
});

test("a lease request the controller cannot fill is followed at once by another, so the relay learns it is dry", async () => {
  const { upstream, leaseRequests } = fakeUpstream(10);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  try {
    await relay.poll("a", { threads: 8, free: 0, running: [] });
    await relay.heartbeat(undefined); // asks for 16, gets the controller's last 10
    await tick();
    assert.deepEqual(leaseRequests.slice(0, 2), [16, 6], "the queue holds 10 of 16: asked again at once");
    const res = await relay.poll("a", { threads: 8, free: 2, running: [] });
    assert.equal(res.trials.length, 2);
    assert.equal(res.dry, true, "the sweep's last trials are out: its tail rules apply from now");
  } finally {
    await relay.close(false);
  }
});

test("results on their way do not take a worker's reserve; the cap still holds", async () => {
  const { upstream } = fakeUpstream(1000);
  const relay = new Relay(upstream, { relayId: "r", url: "", heartbeatMs: 60_000 });
  const refs = (ls: { trialId: number; attempt: number }[]) => ls.map(({ trialId, attempt }) => ({ trialId, attempt }));
  try {
    await relay.poll("a", { threads: 2, free: 0, running: [] });
    await relay.heartbeat(undefined);
    await tick();
    // 2 threads and a reserve of 2 (no rate yet): the worker takes 4.
    const first = await relay.poll("a", { threads: 2, free: 4, running: [] });
    assert.equal(first.trials.length, 4);
    // Two have finished; their results are still being posted, so the worker lists all four.
    // Its two idle threads get work: counted as held, the results left them idle.
    const second = await relay.poll("a", { threads: 2, free: 2, running: refs(first.trials) });
    assert.equal(second.trials.length, 2, "the idle threads' trials");
    // A worker asking for more than it should still gets at most twice (threads + reserve) listed.
    const greedy = await relay.poll("a", { threads: 2, free: 100, running: refs([...first.trials, ...second.trials]) });
    assert.equal(greedy.trials.length, 2, "8 listed at most: 6 held, 2 more");
    const capped = await relay.poll("a", { threads: 2, free: 100, running: refs([...first.trials, ...second.trials, ...greedy.trials]) });
    assert.equal(capped.trials.length, 0);
  } finally {
    await relay.close(false);
  }
});
