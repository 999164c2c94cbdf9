// The agent's flow decisions, driven by events and a clock by hand: no threads, no relay, no sleeps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentState, type AgentEvent, type AgentInstruction, type Threads } from "./agent-state.ts";
import type { UnsignedLease } from "../../protocol/messages.ts";
import { fakeLease } from "../relay/fake-upstream.ts";
import { IDLE_POLL_MS, POLL_WAIT_MS } from "../flow/poll-timing.ts";
import { MAX_CHUNK } from "../flow/chunk-size.ts";

const lease = (trialId: number, sweepId = 1, earlyStopping = false): UnsignedLease => {
  const { manifest: _, ...l } = fakeLease(trialId);
  return { ...l, sweepId, ...(earlyStopping ? { earlyStopping: { rule: "median", min_steps: 1, every: 1, max_wait_seconds: 10 } as never } : {}) };
};
const pool = (size: number, idle: number, trialMs: Array<[number, number]> = []): Threads => ({ size, idle, trialMs: new Map(trialMs) });
const ids = (ls: UnsignedLease[] | undefined) => ls?.map((l) => l.trialId);

class Clocked {
  readonly state = new AgentState();
  now = 5_000_000;
  step(e: AgentEvent): AgentInstruction[] {
    return this.state.handle(e, this.now);
  }
  poll(threads: Threads, running = true) {
    const p = this.step({ type: "poll-due", running, threads }).find((i) => i.type === "poll");
    assert.ok(p, "a poll is planned");
    return p;
  }
  receive(...leases: UnsignedLease[]): void {
    for (const l of leases) this.step({ type: "trial-ready", lease: l });
    this.step({ type: "trials-received", received: leases.length });
  }
}

test("an agent asks for its idle threads and a reserve, and long-polls only when a thread has nothing to run", () => {
  const a = new Clocked();
  assert.deepEqual(a.poll(pool(4, 4)), { type: "poll", free: 8, waitMs: POLL_WAIT_MS, reserve: undefined }, "no rate yet: a reserve of one per thread");
  a.receive(lease(1), lease(2));
  assert.deepEqual(a.poll(pool(4, 0)), { type: "poll", free: 2, waitMs: 0, reserve: undefined }, "busy, two waiting: two more for the reserve, no wait");
  assert.equal(a.poll(pool(4, 4), false).free, 0, "an agent that updates or exits asks for nothing");
});

test("a rising rate grows the reserve asked for within half a second", () => {
  const a = new Clocked();
  assert.equal(a.state.reserveTarget(4, a.now), 4);
  for (let t = 0; t < 200; t++) {
    a.now += 1;
    a.step({ type: "trial-ended", running: true, threads: pool(4, 1) });
  }
  // 200 trials in 0.2 s: 400 a second over the last half second, a quarter second of it is 100.
  assert.equal(a.state.reserveTarget(4, a.now), 100);
  assert.equal(a.poll(pool(4, 1)).free, 101);
  a.now += 2600;
  assert.equal(a.state.reserveTarget(4, a.now), 4, "and shrinks once the rate is forgotten");
});

test("a finished trial brings the poll forward only once the reserve is down to half", () => {
  const a = new Clocked();
  a.receive(lease(1), lease(2), lease(3), lease(4));
  const ended = (idle: number) => a.step({ type: "trial-ended", running: true, threads: pool(4, idle) });
  // A thread frees: it takes trial 1 (chunks of one: no time per trial yet); 3 wait, more than half of 4.
  assert.deepEqual(ended(1).map((i) => i.type === "run-chunk" && ids(i.leases)), [[1]]);
  const next = ended(1);
  assert.deepEqual(next.map((i) => i.type), ["run-chunk", "wake"], "2 wait: the reserve is down to half, poll now");
});

test("waiting trials go to idle threads in chunks of one sweep, about CHUNK_MS each; a trial that may wait at a rung goes alone", () => {
  const a = new Clocked();
  a.receive(...Array.from({ length: 1000 }, (_, i) => lease(i + 1)));
  const chunks = (threads: Threads) => a.step({ type: "threads-free", threads }).map((i) => (i.type === "run-chunk" ? ids(i.leases) : i.type));
  assert.deepEqual(chunks(pool(2, 2, [[1, 0.01]])).map((c) => c?.length), [MAX_CHUNK, MAX_CHUNK], "tiny trials: full chunks");
  assert.deepEqual(chunks(pool(2, 2, [[1, 1]])).map((c) => c?.length), [5, 5], "1 ms a trial: CHUNK_MS of them");
  assert.deepEqual(chunks(pool(2, 1, [[1, 50]])).map((c) => c?.length), [1], "long trials: one at a time");
  const c = new Clocked();
  c.receive(lease(1), lease(2), lease(3), lease(4, 2), lease(5, 2), lease(6), lease(7));
  const from = (threads: Threads) => c.step({ type: "threads-free", threads }).map((i) => (i.type === "run-chunk" ? ids(i.leases) : i.type));
  assert.deepEqual(from(pool(1, 1, [[1, 0.01]])), [[1, 2, 3]], "one sweep to a chunk");
  assert.deepEqual(from(pool(1, 1, [[1, 0.01]])), [[4]], "sweep 2 is not timed yet: one at a time");
  assert.deepEqual(from(pool(4, 2, [[1, 0.01]])), [[5], [6]], "never more than an even share of what waits (3 for 4 threads)");

  const b = new Clocked();
  b.receive(lease(1, 1, true), lease(2, 1, true));
  assert.deepEqual(b.step({ type: "threads-free", threads: pool(2, 1, [[1, 0.01]]) }).map((i) => i.type === "run-chunk" && ids(i.leases)), [[1]]);
});

test("a retry that arrives behind later trials starts before them; a chunk run long comes back first", () => {
  const a = new Clocked();
  a.receive(lease(5), lease(6));
  a.receive(lease(2));
  assert.deepEqual(ids(a.state.pending), [2, 5, 6]);
  a.step({ type: "chunk-returned", leases: [lease(8), lease(9)] });
  assert.deepEqual(ids(a.state.pending), [8, 9, 2, 5, 6]);
});

test("at a sweep's end the reserve is listed in a long-poll, and what the relay asks back goes back, started trials aside", () => {
  const a = new Clocked();
  a.step({ type: "poll-answered", handBack: [], dry: false });
  a.receive(lease(1), lease(2), lease(3));
  const before = a.poll(pool(1, 0));
  assert.equal(before.waitMs, 0, "the controller has work: no wait");
  assert.deepEqual(ids(before.reserve), [1, 2, 3], "the relay reads reserves: it is listed");
  a.step({ type: "poll-answered", handBack: [], dry: true });
  const tail = a.poll(pool(1, 0));
  assert.equal(tail.waitMs, POLL_WAIT_MS, "dry: the reserve waits at the relay, to be asked back at once");
  a.step({ type: "threads-free", threads: pool(1, 1) }); // trial 1 starts meanwhile
  const back = a.step({ type: "poll-answered", handBack: [{ trialId: 1, attempt: 1 }, { trialId: 3, attempt: 1 }], dry: true });
  assert.deepEqual(back.map((i) => i.type === "hand-back" && ids(i.leases)), [[3]], "trial 1 runs: only 3 goes back");
  assert.deepEqual(ids(a.state.pending), [2]);
  assert.equal(a.step({ type: "trial-ended", running: true, threads: pool(1, 0) }).at(-1)?.type, "wake", "at a sweep's end every change is told at once");
});

test("a relay that does not read reserves is never sent one, and a reserve does not wait there", () => {
  const a = new Clocked();
  a.step({ type: "poll-answered", handBack: undefined, dry: true });
  a.receive(lease(1));
  assert.deepEqual(a.poll(pool(1, 0)), { type: "poll", free: 0, waitMs: 0, reserve: undefined });
});

test("failed polls back off, a third in a row (or a 401) rejoins, and an answer resets the count", () => {
  const a = new Clocked();
  const failed = (unauthorized = false) => a.step({ type: "poll-failed", unauthorized });
  assert.deepEqual(failed(), [{ type: "pause", ms: 500 }]);
  assert.deepEqual(failed(), [{ type: "pause", ms: 1000 }]);
  assert.deepEqual(failed(), [{ type: "rejoin" }, { type: "pause", ms: 1500 }]);
  assert.equal(a.state.failures, 3);
  a.step({ type: "poll-answered", handBack: [], dry: false });
  assert.deepEqual(failed(), [{ type: "pause", ms: 500 }]);
  assert.deepEqual(failed(true), [{ type: "rejoin" }, { type: "pause", ms: 1000 }]);
});

test("after an answer the agent polls again at once only when more is coming, or when its poll already waited", () => {
  const a = new Clocked();
  a.poll(pool(4, 4));
  assert.deepEqual(a.step({ type: "answer-applied", trials: 3, commands: 0 }), [], "3 of 8 after a long-poll: again at once");
  a.receive(lease(1), lease(2));
  a.poll(pool(4, 0));
  assert.deepEqual(a.step({ type: "answer-applied", trials: 1, commands: 0 }), [], "1 of 2: the rest is coming");
  a.poll(pool(4, 0));
  assert.deepEqual(a.step({ type: "answer-applied", trials: 0, commands: 0 }), [{ type: "wait-for-wake", ms: IDLE_POLL_MS }], "nothing: wait for a thread to free, or the idle poll");
});

test("cancelled trials that wait are reported at once; a terminating agent releases its whole reserve", () => {
  const a = new Clocked();
  a.receive(lease(1), lease(2), lease(3));
  const out = (is: AgentInstruction[]) => is.map((i) => ("leases" in i ? [i.type, ids(i.leases)] : [i.type]));
  assert.deepEqual(out(a.step({ type: "stop-trials", refs: [{ trialId: 2, attempt: 1 }, { trialId: 9, attempt: 1 }] })), [["cancel", [2]]]);
  assert.deepEqual(out(a.step({ type: "terminate" })), [["release", [1, 3]]]);
  assert.deepEqual(a.state.pending, []);
});

test("a trial at a rung is handed back when an earlier one of its sweep waits in the reserve with no thread free", () => {
  const a = new Clocked();
  a.receive(lease(3), lease(9, 2));
  assert.equal(a.state.waitsOnReserve(lease(5), 0), true);
  assert.equal(a.state.waitsOnReserve(lease(5), 1), false, "a free thread will run it");
  assert.equal(a.state.waitsOnReserve(lease(2), 0), false, "only later trials wait");
  assert.equal(a.state.waitsOnReserve(lease(5, 3), 0), false, "another sweep's");
});
