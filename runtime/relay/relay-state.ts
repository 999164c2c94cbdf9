// A relay's bookkeeping and decisions, free of I/O: its queue of leased trials, its workers and
// what each holds, the polls waiting for an answer, trials asked back at a sweep's end. Events
// come in with the time (`handle(event, now)`); instructions go out (answer this poll, fetch so
// many leases, buffer these results); relay.ts carries them out with timers, promises and the
// upstream. Sizes and timings come from runtime/flow/.
import { maxReportsOf } from "../experiments/report-bounds.ts";
import { RateWindow } from "../rate-window.ts";
import type {
  TrialLease, TrialRef, TrialResult, Command, WorkResponse, MetricsBatch, WorkerStats,
} from "../../protocol/messages.ts";
import { MAX_UNSTARTED_LISTED } from "../../protocol/messages.ts";
import { trialKey as key } from "../../protocol/routes.ts";
import type { EventLevel } from "../log.ts";
import { planHandBacks, tailCap, RECALL_MS } from "../flow/hand-back.ts";
import { relayGrant, workerFinishes, workerRate } from "../flow/reserve.ts";
import { leaseRequest, queueTarget, MIN_PREFETCH, RELAY_RATE_FAST_MS, RELAY_RATE_SLOW_MS } from "../flow/prefetch.ts";

/** What a worker's poll says. */
export interface PollQuery {
  free: number;
  wait?: number;
  seq?: number;
  threads?: number;
  host?: string;
  gflops?: number;
  running?: TrialRef[];
  reserve?: TrialRef[];
}

export type RelayEvent =
  /** A worker's poll (its heartbeat): `pollId` names it in the instructions that answer it. */
  | { type: "poll"; pollId: number; workerId: string; query: PollQuery }
  /** A held poll's wait is over. */
  | { type: "poll-expired"; pollId: number }
  /** A worker's results (answered with `result-statuses`). */
  | { type: "results"; workerId: string; results: TrialResult[] }
  /** A worker's live reports (answered with `store-metrics`). */
  | { type: "metrics"; workerId: string; items: MetricsBatch["items"] }
  /** A worker was heard from otherwise (a rung post): it is alive. */
  | { type: "worker-seen"; workerId: string }
  /** Trials are wanted beyond the queue's target (a rung decision waits for a trial queued upstream). */
  | { type: "refill"; extra: number }
  | { type: "leases-arrived"; asked: number; trials: TrialLease[]; paused: boolean }
  | { type: "lease-fetch-failed"; message: string }
  /** A result batch reached upstream: results can make work (a tpe sweep's next batch, a retry). */
  | { type: "results-uploaded" }
  /** The periodic look for silent workers. */
  | { type: "reap" }
  /** A heartbeat is due: `send-heartbeat` says what it carries. */
  | { type: "heartbeat-due" }
  | { type: "heartbeat-answered"; revoked: TrialRef[]; commands: Command[]; pausedSweeps: number[] }
  /** The heartbeat failed: what it would have released goes with the next. */
  | { type: "heartbeat-failed"; released: TrialRef[]; message: string }
  /** Closing: no more work handed out, every held poll answered. */
  | { type: "close" }
  /** A draining close: the queue goes back upstream. */
  | { type: "release-queue" }
  /** A draining close's wait is over: what workers still run goes back upstream. */
  | { type: "release-running" };

export type RelayInstruction =
  | { type: "answer-poll"; pollId: number; response: WorkResponse }
  /** Answer the poll after `waitMs` (poll-expired) unless an answer-poll comes first. */
  | { type: "hold-poll"; pollId: number; waitMs: number }
  | { type: "fetch-upstream"; n: number }
  | { type: "result-statuses"; statuses: Array<"stored" | "refused"> }
  /** Results taken from workers, to upload in batches. */
  | { type: "store-results"; results: TrialResult[] }
  | { type: "store-metrics"; items: MetricsBatch["items"] }
  | { type: "send-heartbeat"; held: TrialRef[]; released: TrialRef[]; started: Record<string, number> }
  /** An update or shutdown command, for the shell to act on. */
  | { type: "run-command"; command: Command }
  | { type: "log"; level: EventLevel; event: string; message: string };

export interface RelayStateOptions {
  /** A worker that has not polled for this long is silent; its trials are handed back. */
  silentMs: number;
  /** The fewest trials kept ready while any worker is live. */
  prefetch?: number;
  /** The command sequence current at the relay's join: only later commands apply. */
  startSeq?: number;
}

export interface WorkerRecord {
  id: string;
  host: string;
  threads: number;
  lastPoll: number;
  running: Map<string, TrialLease>;
  stop: TrialRef[];
  trialsDone: number;
  /** Its finished trials: how large a reserve it may hold. */
  done: RateWindow;
  gflops: number;
  /** Which of `running` it has not started, as it last said (empty for workers that do not say). */
  reserve: TrialRef[];
  /** Reserved trials to ask back in the next answer. */
  handBack: TrialRef[];
  /** The last command sequence number it reported applying or was sent. */
  seq: number;
}

interface HeldPoll {
  pollId: number;
  workerId: string;
  free: number;
  seq: number;
  /** A worker with all threads busy that holds a reserve, waiting to hear whether to hand some back. */
  holding: boolean;
}

const ref = (l: TrialRef): TrialRef => ({ trialId: l.trialId, attempt: l.attempt });
/** Commands kept for workers that poll late. */
const COMMANDS_KEPT = 1000;
/** A worker silent this many times silentMs is forgotten. */
const FORGET_AFTER_SILENCES = 10;

export class RelayState {
  private queue: TrialLease[] = [];
  private readonly workers = new Map<string, WorkerRecord>();
  private held: HeldPoll[] = [];
  private commands: Command[] = [];
  lastSeq: number;
  private paused = { all: false, sweeps: new Set<number>() };
  private released: TrialRef[] = [];
  /** Reserved trials asked back from a worker and not yet returned (or found started), by trialId:attempt. */
  private recalls = new Map<string, { workerId: string; at: number }>();
  /** A lease request is under way. */
  fetching = false;
  private upstreamPaused = false;
  /** The last lease request came back empty while nothing was paused: the controller has no work. */
  private upstreamDry = false;
  /** Trials finished here over the last minute. */
  readonly done = new RateWindow(60_000);
  closed = false;
  readonly counters = { polls: 0, handedBack: 0 };
  private readonly silentMs: number;
  private readonly prefetch: number;
  /** The time of the event being handled. */
  private now = 0;
  private out: RelayInstruction[] = [];

  constructor(o: RelayStateOptions) {
    this.silentMs = o.silentMs;
    this.prefetch = o.prefetch ?? MIN_PREFETCH;
    this.lastSeq = o.startSeq ?? 0;
  }

  handle(event: RelayEvent, now: number): RelayInstruction[] {
    this.now = now;
    this.out = [];
    switch (event.type) {
      case "poll": this.poll(event.pollId, event.workerId, event.query); break;
      case "poll-expired": {
        const p = this.held.find((x) => x.pollId === event.pollId);
        if (p) this.answerHeld(p, p.free);
        break;
      }
      case "results": this.acceptResults(event.workerId, event.results); break;
      case "metrics": this.acceptMetrics(event.workerId, event.items); break;
      case "worker-seen": this.worker(event.workerId).lastPoll = now; break;
      case "refill": this.ensureQueue(event.extra); break;
      case "leases-arrived": this.leasesArrived(event.asked, event.trials, event.paused); break;
      case "lease-fetch-failed":
        this.fetching = false;
        this.log("warn", "lease", `lease fetch failed: ${event.message}`);
        break;
      case "results-uploaded":
        if (this.held.length && this.queue.length === 0) this.ensureQueue(0);
        break;
      case "reap": this.reapSilentWorkers(); break;
      case "heartbeat-due": this.emit({ type: "send-heartbeat", ...this.heartbeatReport() }); break;
      case "heartbeat-answered":
        if (event.revoked.length) this.revoke(event.revoked);
        for (const c of event.commands) this.apply(c);
        // Which sweeps are paused is state, not history: the answer says it whole every time.
        this.paused = { all: false, sweeps: new Set(event.pausedSweeps) };
        this.ensureQueue(0);
        break;
      case "heartbeat-failed":
        this.released.unshift(...event.released);
        this.log("warn", "heartbeat", `heartbeat failed: ${event.message}`);
        this.ensureQueue(0);
        break;
      case "close":
        this.closed = true;
        for (const p of this.held.splice(0)) this.emit({ type: "answer-poll", pollId: p.pollId, response: this.answer(p.workerId, 0, p.seq) });
        break;
      case "release-queue":
        for (const l of this.queue.splice(0)) this.released.push(ref(l));
        break;
      case "release-running":
        for (const w of this.workers.values()) {
          for (const l of w.running.values()) this.released.push(ref(l));
          w.running.clear();
        }
        break;
    }
    return this.out;
  }

  // ---- reads (no change to the state)

  /** Trials queued here for workers. */
  get queued(): number {
    return this.queue.length;
  }

  /** No worker runs a trial of ours, and every live one has been sent command `seq`. */
  drained(seq: number | undefined, now: number): boolean {
    for (const w of this.workers.values()) {
      if (w.running.size > 0) return false;
      if (seq !== undefined && w.seq < seq && now - w.lastPoll <= this.silentMs) return false;
    }
    return true;
  }

  /** A trial a worker runs (a rung post names it), with the earlier trials of its sweep this relay holds unstarted. */
  rungContext(workerId: string, r: TrialRef): { lease: TrialLease; unstarted: number[] } | undefined {
    const lease = this.workers.get(workerId)?.running.get(key(r));
    return lease && { lease, unstarted: this.unstartedBefore(lease.sweepId, r.trialId) };
  }

  workerStats(now: number): WorkerStats[] {
    return [...this.workers.values()].map((w) => {
      const reserved = w.reserve.filter((r) => w.running.has(key(r))).length;
      return {
        workerId: w.id, host: w.host, threads: w.threads, busy: Math.min(w.threads, w.running.size - reserved), reserved, lastPoll: w.lastPoll,
        silent: now - w.lastPoll > this.silentMs, trialsDone: w.trialsDone, gflops: w.gflops,
      };
    });
  }

  // ---- worker side

  private poll(pollId: number, workerId: string, q: PollQuery): void {
    this.counters.polls++;
    const w = this.worker(workerId, q.host, q.threads);
    w.lastPoll = this.now;
    if (q.gflops !== undefined) w.gflops = q.gflops;
    if (q.seq !== undefined) w.seq = Math.max(w.seq, q.seq);
    if (q.running !== undefined) this.reconcile(w, q.running);
    if (q.reserve !== undefined) this.noteReserve(w, q.reserve);
    // Idle threads elsewhere may want this worker's reserve: ask in this very answer.
    this.recallReserves();
    const free = relayGrant(q.free, w.threads, w.running.size, workerRate(w.done, this.now));
    const seq = q.seq ?? 0;
    const now = this.answer(workerId, free, seq);
    // A worker holding a reserve may wait with free=0: to hear at once that it should hand some back.
    const holding = w.reserve.length > 0;
    if (hasNews(now) || !q.wait || (free === 0 && !holding) || this.closed) {
      this.emit({ type: "answer-poll", pollId, response: now });
      return;
    }
    this.ensureQueue(free);
    // One long-poll per worker: an earlier one still waiting is answered now, empty.
    for (const old of this.held.filter((x) => x.workerId === workerId)) this.answerHeld(old, 0);
    this.held.push({ pollId, workerId, free, seq, holding });
    this.emit({ type: "hold-poll", pollId, waitMs: q.wait });
    // A new idle thread: maybe a reserve elsewhere should come to it.
    if (free > 0) this.recallReserves();
  }

  private answerHeld(p: HeldPoll, free: number): void {
    this.held = this.held.filter((x) => x !== p);
    this.emit({ type: "answer-poll", pollId: p.pollId, response: this.answer(p.workerId, free, p.seq) });
  }

  /**
   * What the worker says it has not started. A trial asked back that is neither returned nor
   * in the reserve any more was started (agents send what they hand back before polling
   * again): it no longer counts as on its way.
   */
  private noteReserve(w: WorkerRecord, reserve: TrialRef[]): void {
    const listed = new Set(reserve.map(key));
    w.reserve = reserve.filter((r) => w.running.has(key(r)));
    w.handBack = w.handBack.filter((r) => listed.has(key(r)));
    for (const [k, r] of this.recalls) if (r.workerId === w.id && !listed.has(k)) this.recalls.delete(k);
  }

  /** Threads of this worker with nothing to run, as far as this relay knows. */
  private idleThreads(w: WorkerRecord): number {
    return Math.max(0, w.threads - (w.running.size - w.reserve.length));
  }

  /**
   * The sweep's last trials are out: the controller had nothing more to lease and this relay
   * holds no more than one trial per live thread.
   */
  private inTail(): boolean {
    return this.upstreamDry && !this.upstreamPaused && this.queue.length <= this.liveThreads();
  }

  /**
   * When threads wait for work that is not coming from upstream, asks workers holding
   * unstarted trials to hand some back (flow/hand-back.ts decides which); a returned trial goes
   * back into this relay's queue, to the idle threads, under the same lease.
   */
  private recallReserves(): void {
    if (!this.upstreamDry || this.upstreamPaused || this.paused.all || this.closed) return;
    const now = this.now;
    for (const [k, r] of this.recalls) if (now - r.at > RECALL_MS) this.recalls.delete(k);
    const holders = [];
    for (const w of this.workers.values()) {
      if (now - w.lastPoll > this.silentMs) continue;
      const reserve = w.reserve.filter((r) => w.running.has(key(r)) && !this.recalls.has(key(r)));
      if (reserve.length) holders.push({ workerId: w.id, reserve });
    }
    if (!holders.length) return;
    let idle = 0;
    for (const x of this.held) if (x.free > 0) idle += Math.min(x.free, this.idleThreads(this.workers.get(x.workerId)!));
    const queued = this.queue.filter((l) => !this.paused.sweeps.has(l.sweepId)).length;
    const plan = planHandBacks(idle, queued + this.recalls.size, holders);
    for (const [id, refs] of plan) {
      this.workers.get(id)!.handBack.push(...refs);
      for (const r of refs) this.recalls.set(key(r), { workerId: id, at: now });
      this.log("info", "worker", `${idle} idle thread(s) and nothing upstream: asking worker ${id} to hand back ${refs.map(key).join(", ")}`);
    }
    if (plan.size) this.wakeHeld();
  }

  /**
   * What the worker says it holds is the truth about it: a trial this relay thinks it handed
   * over but the worker does not list (an answer lost on the way, a crashed thread) goes back
   * upstream now rather than when its lease expires.
   */
  private reconcile(w: WorkerRecord, listed: TrialRef[]): void {
    const held = new Set(listed.map(key));
    for (const [k, lease] of w.running) {
      if (held.has(k)) continue;
      w.running.delete(k);
      this.recalls.delete(k);
      this.released.push(ref(lease));
      this.log("info", "worker", `worker ${w.id} does not hold trial ${k}: handing it back`);
    }
  }

  /** A worker's record; `threads` as its poll says (a result, report or rung post says none: it keeps what its last poll said). */
  private worker(id: string, host = "?", threads?: number): WorkerRecord {
    let w = this.workers.get(id);
    if (!w) {
      w = {
        id, host, threads: threads ?? 1, lastPoll: this.now, running: new Map(), stop: [], trialsDone: 0, done: workerFinishes(), gflops: 0,
        reserve: [], handBack: [], seq: 0,
      };
      this.workers.set(id, w);
    }
    if (host !== "?") w.host = host;
    if (threads !== undefined) w.threads = threads;
    return w;
  }

  private answer(workerId: string, free: number, seq: number): WorkResponse {
    const w = this.workers.get(workerId)!;
    const trials: TrialLease[] = [];
    const give = tailCap(free, this.idleThreads(w), this.inTail());
    if (give > 0 && !this.paused.all && !this.closed) {
      // The first `give` of sweeps not paused, in one pass (a splice per trial moved the whole queue each time).
      if (!this.paused.sweeps.size) trials.push(...this.queue.splice(0, give));
      else {
        const rest: TrialLease[] = [];
        for (const l of this.queue) (trials.length < give && !this.paused.sweeps.has(l.sweepId) ? trials : rest).push(l);
        this.queue = rest;
      }
      for (const l of trials) w.running.set(key(l), l);
    }
    if (trials.length) this.ensureQueue(0);
    const stop = w.stop.splice(0);
    const idle = trials.length === 0 && this.queue.length === 0 && this.upstreamDry && !this.upstreamPaused;
    // Always present (empty too): it tells the worker this relay reads `reserve`.
    const handBack = w.handBack.splice(0).filter((r) => w.running.has(key(r)));
    const dry = this.upstreamDry && !this.upstreamPaused;
    const commands = this.commands.filter((c) => c.seq > seq);
    if (commands.length) w.seq = Math.max(w.seq, commands.at(-1)!.seq);
    return { trials, commands, stop, idle, handBack, dry };
  }

  /**
   * Workers' results: taken only for trials this relay handed to that worker and still counts
   * as running; anything else is refused.
   */
  private acceptResults(workerId: string, results: TrialResult[]): void {
    const w = this.worker(workerId);
    let requeued = false;
    const now = this.now;
    w.lastPoll = now;
    const stored: TrialResult[] = [];
    const statuses = results.map((r) => {
      const k = key(r);
      const lease = w.running.get(k);
      if (!lease || r.workerId !== workerId) return "refused" as const;
      if (r.outcome && r.outcome.reports.length > maxReportsOf(lease.experiment, lease.config)) return "refused" as const;
      w.running.delete(k);
      const recalled = this.recalls.delete(k);
      if (r.status === "released") {
        // Asked back for an idle thread: it goes to the front of the queue under the same
        // lease (which this relay renews while it holds it); otherwise back upstream.
        if (recalled && !this.closed) {
          this.queue.unshift(lease);
          this.counters.handedBack++;
          requeued = true;
        } else this.released.push(ref(r));
        return "stored" as const;
      }
      if (r.status === "done") {
        w.trialsDone++;
        w.done.add(now);
        this.done.add(now);
      }
      stored.push(r);
      return "stored" as const;
    });
    this.emit({ type: "result-statuses", statuses });
    if (stored.length) this.emit({ type: "store-results", results: stored });
    // A thread of this worker freed: if it waits holding a reserve, it polls again with what it holds now.
    for (const x of this.held.filter((x) => x.workerId === workerId && x.holding)) this.answerHeld(x, 0);
    // In the tail, threads freeing change who may take the last trials, and may want a reserve from elsewhere.
    if (requeued || this.inTail()) this.wakeHeld();
    this.recallReserves();
  }

  /** Reports of trials this worker runs, within the count its trial's config allows. */
  private acceptMetrics(workerId: string, items: MetricsBatch["items"]): void {
    const w = this.worker(workerId);
    w.lastPoll = this.now;
    const taken = items.filter((item) => {
      const lease = w.running.get(key(item));
      return lease !== undefined && item.step <= maxReportsOf(lease.experiment, lease.config);
    });
    this.emit({ type: "store-metrics", items: taken });
  }

  /** Trials of a sweep before `trialId` that this relay holds and no thread has started: in its queue or its workers' reserves. */
  private unstartedBefore(sweepId: number, trialId: number): number[] {
    const ids: number[] = [];
    for (const l of this.queue) if (l.sweepId === sweepId && l.trialId < trialId) ids.push(l.trialId);
    for (const w of this.workers.values()) {
      for (const r of w.reserve) {
        const l = w.running.get(key(r));
        if (l && l.sweepId === sweepId && l.trialId < trialId) ids.push(l.trialId);
      }
    }
    // The earliest matter first (the earliest trial no thread runs is what unblocks the rest).
    return ids.sort((a, b) => a - b).slice(0, MAX_UNSTARTED_LISTED);
  }

  /** Workers that stopped polling: their trials go back upstream at once. */
  private reapSilentWorkers(): void {
    const now = this.now;
    for (const p of this.held) this.workers.get(p.workerId)!.lastPoll = now;
    for (const w of this.workers.values()) {
      if (now - w.lastPoll > this.silentMs && w.running.size) {
        this.log("warn", "worker", `worker ${w.id} silent for ${now - w.lastPoll} ms: handing back ${w.running.size} trial(s)`);
        for (const l of w.running.values()) this.released.push(ref(l)), this.recalls.delete(key(l));
        w.running.clear();
        w.reserve = [];
        w.handBack = [];
      }
      if (now - w.lastPoll > FORGET_AFTER_SILENCES * this.silentMs) this.workers.delete(w.id);
    }
    // No one left to run the prefetched trials: hand them back rather than renew them forever.
    if (this.queue.length && !this.liveThreads() && !this.held.length) {
      this.log("info", "no-live-workers", `no live workers: handing back ${this.queue.length} queued trial(s)`);
      for (const l of this.queue.splice(0)) this.released.push(ref(l));
    }
    this.recallReserves();
  }

  // ---- upstream side

  private liveThreads(): number {
    let threads = 0;
    for (const w of this.workers.values()) if (this.now - w.lastPoll <= this.silentMs) threads += w.threads;
    return threads;
  }

  /**
   * Fetches leases as flow/prefetch.ts says: when the queue is down to half its target, at once
   * for `extra` trials a waiting worker asked for, or (`again`) after a fetch the controller
   * could not fill: the next answer says whether it is dry, which the tail's rules wait for.
   */
  private ensureQueue(extra: number, again = false): void {
    if (this.fetching || this.closed) return;
    const rate = this.done.risingRate(this.now, RELAY_RATE_FAST_MS, RELAY_RATE_SLOW_MS);
    const n = leaseRequest({
      queued: this.queue.length, target: queueTarget(this.liveThreads(), rate, this.prefetch), extra, again,
      upstreamPaused: this.upstreamPaused, waiting: this.held.length > 0,
    });
    if (n === 0) return;
    this.fetching = true;
    this.emit({ type: "fetch-upstream", n });
  }

  private leasesArrived(asked: number, trials: TrialLease[], paused: boolean): void {
    this.fetching = false;
    this.upstreamPaused = paused;
    this.upstreamDry = trials.length === 0 && !paused;
    // Leases that arrive after close began go straight back: nobody will hand them out.
    if (this.closed) for (const l of trials) this.released.push(ref(l));
    else {
      // In trial order: a retry fetched after later trials runs before them, and trials
      // that wait at a rung for earlier ones do not take the threads those need. Batches come
      // in id order, so only one that starts below the queue's last trial needs a sort (a
      // sort per refill of a long queue was work on the tiny trials' hot path).
      const behind = trials.length > 0 && this.queue.length > 0 && trials[0]!.trialId < this.queue.at(-1)!.trialId;
      this.queue.push(...trials);
      if (behind) this.queue.sort((a, b) => a.trialId - b.trialId);
    }
    this.wakeHeld();
    if (trials.length && !this.closed) this.ensureQueue(0, trials.length < asked);
    else this.recallReserves();
  }

  /** Answers every held poll that now has something to say. */
  private wakeHeld(): void {
    // Workers with idle threads first: a trial handed back must reach an idle thread, not a reserve.
    const idle = new Map(this.held.map((x) => [x, this.idleThreads(this.workers.get(x.workerId)!)]));
    for (const p of [...this.held].sort((a, b) => idle.get(b)! - idle.get(a)!)) {
      const answer = this.answer(p.workerId, p.free, p.seq);
      if (hasNews(answer)) {
        this.held = this.held.filter((x) => x !== p);
        this.emit({ type: "answer-poll", pollId: p.pollId, response: answer });
      }
    }
  }

  /** What a heartbeat carries: leases held (renewed), released ones (handed back), trials started by sweep. */
  private heartbeatReport(): { held: TrialRef[]; released: TrialRef[]; started: Record<string, number> } {
    const held: TrialRef[] = this.queue.map(ref);
    for (const w of this.workers.values()) for (const l of w.running.values()) held.push(ref(l));
    return { held, released: this.released.splice(0), started: this.startedBySweep() };
  }

  /**
   * Trials on a thread now, by sweep: what workers hold less what they say they have not started
   * (their reserve), at most their threads each (a finished trial is held until its result
   * reaches this relay, while its thread runs the next).
   */
  private startedBySweep(): Record<string, number> {
    const started: Record<string, number> = {};
    for (const w of this.workers.values()) {
      const unstarted = new Set(w.reserve.map(key));
      let n = 0;
      for (const [k, l] of w.running) {
        if (n >= w.threads) break;
        if (!unstarted.has(k)) started[l.sweepId] = (started[l.sweepId] ?? 0) + 1, n++;
      }
    }
    return started;
  }

  private revoke(refs: TrialRef[]): void {
    const gone = new Set(refs.map(key));
    for (const k of gone) this.recalls.delete(k);
    this.queue = this.queue.filter((l) => !gone.has(key(l)));
    for (const w of this.workers.values()) {
      for (const k of gone) {
        const l = w.running.get(k);
        if (l) w.running.delete(k), w.stop.push(ref(l));
      }
    }
    this.wakeHeld();
  }

  private apply(c: Command): void {
    if (c.seq <= this.lastSeq) return;
    this.lastSeq = c.seq;
    this.commands.push(c);
    if (this.commands.length > COMMANDS_KEPT) this.commands.splice(0, this.commands.length - COMMANDS_KEPT);
    const inScope = (l: TrialLease) => (c.trialId === null || l.trialId === c.trialId) && (c.sweepId === null || l.sweepId === c.sweepId);
    switch (c.kind) {
      case "pause":
        if (c.sweepId === null) this.paused.all = true;
        else this.paused.sweeps.add(c.sweepId);
        break;
      case "resume":
        if (c.sweepId === null) this.paused.all = false, this.paused.sweeps.clear();
        else this.paused.sweeps.delete(c.sweepId);
        break;
      case "cancel":
        this.queue = this.queue.filter((l) => !inScope(l));
        for (const w of this.workers.values()) {
          for (const [k, l] of w.running) if (inScope(l)) w.running.delete(k), w.stop.push(ref(l)), this.recalls.delete(k);
        }
        break;
      case "update":
      case "shutdown":
        this.emit({ type: "run-command", command: c });
        break;
      default:
        break;
    }
    this.wakeHeld();
  }

  private emit(i: RelayInstruction): void {
    this.out.push(i);
  }

  private log(level: EventLevel, event: string, message: string): void {
    this.emit({ type: "log", level, event, message });
  }
}

/** An answer worth sending before the poll's wait is over. */
function hasNews(r: WorkResponse): boolean {
  return r.trials.length > 0 || r.commands.length > 0 || r.stop.length > 0 || (r.handBack?.length ?? 0) > 0;
}
