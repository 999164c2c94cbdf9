// The relay's decisions, driven by events and a clock by hand: no sockets, no timers, no sleeps.
// An upstream of `n` trials answers each lease request when the test says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RelayState, type PollQuery, type RelayEvent, type RelayInstruction } from "./relay-state.ts";
import { fakeLease } from "./fake-upstream.ts";
import type { TrialRef, TrialResult, WorkResponse } from "../../protocol/messages.ts";
import { RECALL_MS } from "../flow/hand-back.ts";

class Harness {
  readonly state: RelayState;
  now = 1_000_000;
  /** Answers by poll id. */
  readonly answers = new Map<number, WorkResponse>();
  /** Polls held, with their wait. */
  readonly holding = new Map<number, number>();
  /** Every lease request, and those not answered yet. */
  readonly requests: number[] = [];
  private unanswered: number[] = [];
  readonly logs: string[] = [];
  private left: ReturnType<typeof fakeLease>[];
  private pollId = 0;

  constructor(trials: number, opts: { silentMs?: number } = {}) {
    this.state = new RelayState({ silentMs: opts.silentMs ?? 5000 });
    this.left = Array.from({ length: trials }, (_, i) => fakeLease(i + 1));
  }

  step(event: RelayEvent): RelayInstruction[] {
    const out = this.state.handle(event, this.now);
    for (const i of out) {
      if (i.type === "answer-poll") this.answers.set(i.pollId, i.response), this.holding.delete(i.pollId);
      if (i.type === "hold-poll") this.holding.set(i.pollId, i.waitMs);
      if (i.type === "fetch-upstream") this.requests.push(i.n), this.unanswered.push(i.n);
      if (i.type === "log") this.logs.push(i.message);
    }
    return out;
  }

  /** Answers the lease requests made so far (and any they lead to), from the trials left. */
  serve(): void {
    while (this.unanswered.length) {
      const n = this.unanswered.shift()!;
      this.step({ type: "leases-arrived", asked: n, trials: this.left.splice(0, n), paused: false });
    }
  }

  /** A poll; its id (its answer, if it came at once, is in `answers`). */
  poll(workerId: string, query: PollQuery): number {
    const pollId = ++this.pollId;
    this.step({ type: "poll", pollId, workerId, query });
    return pollId;
  }

  /** A poll answered at once: its answer. */
  ask(workerId: string, query: PollQuery): WorkResponse {
    const id = this.poll(workerId, query);
    const a = this.answers.get(id);
    assert.ok(a, `poll ${id} of ${workerId} was answered at once`);
    return a;
  }

  results(workerId: string, results: TrialResult[]): Array<"stored" | "refused"> {
    const out = this.step({ type: "results", workerId, results });
    return out.find((i) => i.type === "result-statuses")!.statuses;
  }

  heartbeat(): { held: TrialRef[]; released: TrialRef[]; started: Record<string, number> } {
    const report = this.step({ type: "heartbeat-due" }).find((i) => i.type === "send-heartbeat")!;
    this.step({ type: "heartbeat-answered", revoked: [], commands: [], pausedSweeps: [] });
    return report;
  }
}

const ids = (res: WorkResponse | undefined) => res?.trials.map((t) => t.trialId);
const ref = (trialId: number): TrialRef => ({ trialId, attempt: 1 });
const refs = (ls: TrialRef[]) => ls.map((l) => ref(l.trialId));
const result = (workerId: string, trialId: number, status: TrialResult["status"] = "done", at = 0): TrialResult =>
  ({ trialId, attempt: 1, status, workerId, error: null, outcome: null, finishedAt: at });

test("the queue is refilled once half used, not after every poll, and every poll gets its trials", () => {
  const h = new Harness(1000);
  // 8 threads: the relay holds 16 trials for them; each poll takes 2 and returns their results.
  h.ask("a", { threads: 8, free: 0, running: [] });
  h.heartbeat();
  assert.deepEqual(h.requests, [16], "the first heartbeat fills the queue");
  h.serve();
  const before = h.requests.length;
  const polls = 40;
  for (let i = 0; i < polls; i++) {
    h.now += 100; // slow trials: the rate keeps the target at two per thread
    const res = h.ask("a", { threads: 8, free: 2, running: [] });
    assert.equal(res.trials.length, 2, `poll ${i + 1} got its trials`);
    h.results("a", res.trials.map((t) => result("a", t.trialId)));
    h.serve();
  }
  const made = h.requests.slice(before);
  // Every 4 polls take 8 trials, half the queue: 10 requests of 8, where refilling after each poll made 40 of 2.
  assert.equal(made.length, polls / 4, `requests of ${made.join(", ")}`);
  assert.ok(made.every((k) => k >= 8), `requests of ${made.join(", ")} trials`);
});

test("a lease request the controller cannot fill is followed at once by another, so the relay learns it is dry", () => {
  const h = new Harness(10);
  h.ask("a", { threads: 8, free: 0, running: [] });
  h.heartbeat();
  h.serve();
  assert.deepEqual(h.requests, [16, 6], "the queue holds 10 of 16: asked again at once");
  const res = h.ask("a", { threads: 8, free: 2, running: [] });
  assert.equal(res.trials.length, 2);
  assert.equal(res.dry, true, "the sweep's last trials are out: its tail rules apply from now");
});

test("results in flight do not take a worker's reserve; the cap still holds", () => {
  const h = new Harness(1000);
  h.ask("a", { threads: 2, free: 0, running: [] });
  h.heartbeat();
  h.serve();
  // 2 threads and a reserve of 2 (no rate yet): the worker takes 4.
  const first = h.ask("a", { threads: 2, free: 4, running: [] });
  assert.equal(first.trials.length, 4);
  h.serve();
  // Two have finished; their results are still being posted, so the worker lists all four.
  // Its two idle threads get work: counted as held, the results left them idle.
  const second = h.ask("a", { threads: 2, free: 2, running: refs(first.trials) });
  assert.equal(second.trials.length, 2, "the idle threads' trials");
  h.serve();
  // A worker asking for more than it should still gets at most twice (threads + reserve) listed.
  const greedy = h.ask("a", { threads: 2, free: 100, running: refs([...first.trials, ...second.trials]) });
  assert.equal(greedy.trials.length, 2, "8 listed at most: 6 held, 2 more");
  h.serve();
  const capped = h.ask("a", { threads: 2, free: 100, running: refs([...first.trials, ...second.trials, ...greedy.trials]) });
  assert.equal(capped.trials.length, 0);
});

test("a rising rate grows both the worker's cap and the queue, within half a second", () => {
  const h = new Harness(100_000);
  h.ask("a", { threads: 2, free: 0, running: [] });
  h.heartbeat();
  h.serve();
  // Tiny trials: every millisecond, the worker returns what it ran and asks for more.
  let held: TrialRef[] = [];
  for (let t = 0; t < 300; t++) {
    h.now += 1;
    const done = held.splice(0, 4);
    h.results("a", done.map((r) => result("a", r.trialId)));
    const res = h.ask("a", { threads: 2, free: 4, running: held });
    held.push(...refs(res.trials));
    h.serve();
  }
  const bigger = h.ask("a", { threads: 2, free: 1000, running: held });
  assert.ok(held.length + bigger.trials.length > 200, `a cap of ${held.length + bigger.trials.length} after a rise to thousands a second`);
  h.serve();
  assert.ok(Math.max(...h.requests.slice(-3)) > 100, `the queue is refilled by the rate too: requests of ${h.requests.slice(-3).join(", ")}`);
});

test("a held poll is answered when its wait is over, with trials that came meanwhile", () => {
  const h = new Harness(4);
  const id = h.poll("a", { threads: 1, free: 1, wait: 2000, running: [] });
  assert.equal(h.holding.get(id), 2000, "nothing queued: the poll waits");
  assert.deepEqual(h.requests, [5], "and the queue is filled for it at once: its target and the trial asked");
  h.serve();
  assert.deepEqual(ids(h.answers.get(id)), [1], "the trials wake it");
  const id2 = h.poll("a", { threads: 1, free: 0, wait: 2000, running: [ref(1)] });
  assert.deepEqual(ids(h.answers.get(id2)), [], "a worker with nothing to ask and no reserve is not held");
  const id3 = h.poll("b", { threads: 1, free: 0, wait: 2000, running: [], reserve: [] });
  assert.ok(h.answers.has(id3));
  h.step({ type: "poll-expired", pollId: id });
  assert.equal(h.answers.get(id)!.trials.length, 1, "an expiry after the answer changes nothing");
});

test("a silent worker's trials, and a queue no live worker can run, go back upstream", () => {
  const h = new Harness(10, { silentMs: 5000 });
  h.ask("a", { threads: 2, free: 0, running: [] });
  h.heartbeat();
  h.serve();
  assert.deepEqual(ids(h.ask("a", { threads: 2, free: 3, running: [] })), [1, 2, 3]);
  h.serve();
  const held = h.heartbeat().held.map((r) => r.trialId).sort((a, b) => a - b);
  assert.ok(held.length > 3 && [1, 2, 3].every((t) => held.includes(t)), `renewed: what it runs and the queue (${held.join(", ")})`);
  h.now += 5000;
  h.step({ type: "reap" });
  assert.deepEqual(h.heartbeat().released, [], "silent for exactly silentMs: not yet");
  h.now += 1;
  h.step({ type: "reap" });
  const hb = h.heartbeat();
  assert.deepEqual(hb.released.map((r) => r.trialId).sort((a, b) => a - b), held, "its trials, and the queue no live worker can run");
  assert.deepEqual(hb.held, []);
  assert.deepEqual(h.results("a", [result("a", 1)]), ["refused"], "a late result of a trial handed back is refused");
});

test("at the sweep's end, a reserve behind a busy thread goes to the thread that idles, under the same lease", () => {
  const h = new Harness(4);
  const w = { threads: 1, wait: 1000 };
  // A asks for a thread's trial and a reserve: it waits for the first lease request, then gets 1 (runs) and 2 (reserve).
  const a0 = h.poll("a", { ...w, free: 2, running: [], reserve: [] });
  h.serve();
  assert.deepEqual(ids(h.answers.get(a0)), [1, 2]);
  assert.deepEqual(h.answers.get(a0)!.handBack, [], "the field is there: this relay reads reserves");
  // B is idle: with the controller dry and no more queued than there are threads, it gets one trial per idle thread, no reserve.
  const b1 = h.ask("b", { ...w, free: 2, running: [] });
  assert.deepEqual(ids(b1), [3]);
  assert.equal(b1.dry, true);
  h.results("b", [result("b", 3)]);
  assert.deepEqual(ids(h.ask("b", { ...w, free: 2, running: [] })), [4]);

  // A waits holding its reserve (free=0); B finishes its last trial and idles.
  const aWaiting = h.poll("a", { ...w, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
  assert.ok(h.holding.has(aWaiting), "a worker holding a reserve waits, to hear at once if it should hand some back");
  h.results("b", [result("b", 4)]);
  const bWaiting = h.poll("b", { ...w, free: 2, running: [] });
  assert.deepEqual(h.answers.get(aWaiting)?.handBack, [ref(2)], "A's long-poll is answered at once: hand trial 2 back");
  assert.ok(h.holding.has(bWaiting), "B waits for it");
  assert.deepEqual(h.results("a", [result("a", 2, "released")]), ["stored"]);
  const b2 = h.answers.get(bWaiting);
  assert.deepEqual(ids(b2), [2], "B gets it as soon as A returns it");
  assert.equal(b2!.trials[0]!.attempt, 1, "the same attempt: no round trip to the controller");
  assert.equal(h.state.counters.handedBack, 1);
  const hb = h.heartbeat();
  assert.deepEqual(hb.released, [], "nothing was released upstream");
  assert.ok(hb.held.some((r) => r.trialId === 2), "its lease is renewed as B's");
  // B's result for it is taken; A's would not be.
  assert.deepEqual(h.results("b", [result("b", 2)]), ["stored"]);
  assert.deepEqual(h.results("a", [result("a", 2)]), ["refused"]);
});

test("a trial asked back that its worker started meanwhile stops counting: another reserve is asked", () => {
  const h = new Harness(6);
  const w = { threads: 1, wait: 1000 };
  const a0 = h.poll("a", { ...w, free: 2, running: [], reserve: [] });
  h.serve();
  assert.deepEqual(ids(h.answers.get(a0)), [1, 2]);
  assert.deepEqual(ids(h.ask("c", { ...w, free: 2, running: [], reserve: [] })), [3, 4]);
  h.serve();
  assert.deepEqual(ids(h.ask("b", { ...w, free: 2, running: [] })), [5]);
  h.results("b", [result("b", 5)]);
  assert.deepEqual(ids(h.ask("b", { ...w, free: 2, running: [] })), [6]);
  // a and c each hold one trial in reserve (2 and 4); b finishes and idles.
  h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
  h.ask("c", { ...w, wait: 0, free: 0, running: [ref(3), ref(4)], reserve: [ref(4)] });
  h.results("b", [result("b", 6)]);
  const bWaiting = h.poll("b", { ...w, free: 2, running: [] });
  // 2 is asked back from a, but a's thread freed first and started it: its poll lists no reserve.
  h.results("a", [result("a", 1)]);
  const a = h.ask("a", { ...w, wait: 0, free: 1, running: [ref(2)], reserve: [] });
  assert.deepEqual(a.handBack, [], "a is not asked for a trial it runs");
  const c = h.ask("c", { ...w, wait: 0, free: 0, running: [ref(3), ref(4)], reserve: [ref(4)] });
  assert.deepEqual(c.handBack, [ref(4)], "c's reserve is asked instead");
  h.results("c", [result("c", 4, "released")]);
  assert.deepEqual(ids(h.answers.get(bWaiting)), [4]);
});

test("a trial asked back counts as on its way for RECALL_MS, then another is asked", () => {
  const h = new Harness(3);
  const w = { threads: 1, wait: 1000 };
  const a0 = h.poll("a", { ...w, free: 3, running: [], reserve: [] });
  h.serve();
  assert.deepEqual(ids(h.answers.get(a0)), [1, 2, 3]);
  // A runs 1 and holds 2 and 3; B idles: one trial is asked back.
  h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2), ref(3)], reserve: [ref(2), ref(3)] });
  const b = h.poll("b", { ...w, free: 2, running: [] });
  assert.ok(h.holding.has(b));
  assert.deepEqual(h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2), ref(3)], reserve: [ref(2), ref(3)] }).handBack, [ref(3)]);
  // A says nothing of it (its answer was lost): trial 3 still counts as on its way to B.
  h.now += RECALL_MS;
  assert.deepEqual(h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2), ref(3)], reserve: [ref(2), ref(3)] }).handBack, []);
  h.now += 1;
  assert.deepEqual(h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2), ref(3)], reserve: [ref(2), ref(3)] }).handBack, [ref(3)], "asked again");
});

test("before the sweep's end, workers keep their reserves", () => {
  const h = new Harness(100);
  const w = { threads: 1, wait: 1000 };
  const a0 = h.poll("a", { ...w, free: 2, running: [], reserve: [] });
  h.serve();
  assert.deepEqual(ids(h.answers.get(a0)), [1, 2]);
  const b = h.ask("b", { ...w, free: 2, running: [] });
  assert.equal(b.trials.length, 2, "a reserve as usual");
  assert.equal(b.dry, false);
  const a = h.ask("a", { ...w, wait: 0, free: 0, running: [ref(1), ref(2)], reserve: [ref(2)] });
  assert.deepEqual(a.handBack, [], "nothing asked back while the controller has work");
});
