// One relay: prefetches leases so workers never wait on the controller, answers worker
// long-polls with trials and commands, treats polls as heartbeats, buffers results and
// uploads them in batches (dropped only once acknowledged), fans commands out, caches blobs.
// At a sweep's end it moves unstarted trials from busy workers' reserves to idle threads
// (hand-back.ts). Knows nothing of HTTP: routes.ts maps requests onto it.
import { randomBytes } from "node:crypto";
import { maxReportsOf } from "../experiments/report-bounds.ts";
import { batchPrefix, jsonBytes, RESULT_BATCH_BYTES, METRICS_BATCH, METRICS_BATCH_BYTES } from "../../protocol/batch-bytes.ts";
import type { Upstream } from "./upstream.ts";
import { RateWindow } from "../rate-window.ts";
import type {
  TrialLease, TrialRef, TrialResult, Command, WorkResponse, MetricsBatch, RelayStats, WorkerStats, RungRequest,
} from "../../protocol/messages.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import { MAX_UNSTARTED_LISTED } from "../../protocol/messages.ts";
import { RungRefusal } from "../stopping/rung-answer.ts";
import { planHandBacks, tailCap } from "./hand-back.ts";
import { trialKey as key } from "../../protocol/routes.ts";
import type { EventLog } from "../log.ts";

export interface RelayOptions {
  relayId: string;
  url: string;
  heartbeatMs?: number;
  /** A worker that has not polled for this long is silent; its trials are handed back. */
  silentMs?: number;
  /** Results are uploaded when this many are buffered, or after flushMs. */
  batchMax?: number;
  flushMs?: number;
  /** Trials kept ready beyond what the workers asked for. */
  prefetch?: number;
  log?: EventLog;
  /** Called when a shutdown command arrives (relay daemons stop; the root relay ignores it). */
  onShutdown?: () => void;
  /** The command sequence current at the relay's join: it applies only later commands, never a replay of history. */
  startSeq?: number;
  /** Each heartbeat answer's identity tokens (a rotated token revokes its identities at once). */
  onIdentityTokens?: (tokens: string[]) => void;
  /**
   * Called with each `update` command (after the new bundle is fetched for the workers): a relay
   * daemon drains and reloads on it. Without it (the root relay, which runs in the controller's
   * process) the relay only caches and serves the new bundle.
   */
  onUpdate?: (command: Command) => void;
}

interface WorkerState {
  id: string;
  host: string;
  threads: number;
  lastPoll: number;
  running: Map<string, TrialLease>;
  stop: TrialRef[];
  trialsDone: number;
  /** Its trials finished over the last 2 s: how large a reserve it may hold. */
  done: RateWindow;
  gflops: number;
  /** Which of `running` it has not started, as it last said (empty for workers that do not say). */
  reserve: TrialRef[];
  /** Reserved trials to ask back in the next answer. */
  handBack: TrialRef[];
  /** The last command sequence number it reported applying or was sent. */
  seq: number;
}

/** Trials a worker may hold beyond its threads: a reserve of half a second of its own work, within [threads, 256]. */
const MAX_RESERVE = 256;
/**
 * A trial asked back counts as on its way for at most this long. The worker's next poll says
 * sooner whether it started it instead (agents send what they hand back before polling again).
 */
const RECALL_MS = 5000;

interface Waiter {
  workerId: string;
  free: number;
  seq: number;
  /** A worker with all threads busy that holds a reserve, waiting to hear whether to hand some back. */
  holding: boolean;
  resolve: (r: WorkResponse) => void;
  timer: NodeJS.Timeout;
}

const ref = (l: TrialRef): TrialRef => ({ trialId: l.trialId, attempt: l.attempt });

export class Relay {
  private queue: TrialLease[] = [];
  private workers = new Map<string, WorkerState>();
  private waiters: Waiter[] = [];
  private commands: Command[] = [];
  private lastSeq = 0;
  private paused = { all: false, sweeps: new Set<number>() };
  private released: TrialRef[] = [];
  /** Reserved trials asked back from a worker and not yet returned (or found started), by trialId:attempt. */
  private recalls = new Map<string, { workerId: string; at: number }>();
  /** Until when a draining close waits for workers (hurry() brings it forward). */
  private drainUntil = 0;
  private resultBuffer: TrialResult[] = [];
  /** Each buffered result's share of the JSON body it came in: batches are sized without another stringify. */
  private resultBytes = new WeakMap<TrialResult, number>();
  private metricsBuffer: MetricsBatch["items"] = [];
  private blobs = new Map<string, Promise<Uint8Array>>();
  private fetching = false;
  private flushing = false;
  private upstreamPaused = false;
  /** The last lease request came back empty while nothing was paused: the controller has no work. */
  private upstreamDry = false;
  private timers: NodeJS.Timeout[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** Trials finished here over the last minute. */
  private done = new RateWindow(60_000);
  private closed = false;
  bundleSha = "";
  counters = { resultsUploaded: 0, polls: 0, uploadFailures: 0, handedBack: 0 };
  private readonly o: Required<RelayOptions>;

  constructor(private readonly upstream: Upstream, opts: RelayOptions) {
    this.o = {
      heartbeatMs: 1000, silentMs: 5000, batchMax: 256, flushMs: 50, prefetch: 4, log: () => {}, onShutdown: () => {},
      startSeq: 0, onIdentityTokens: () => {},
      onUpdate: (c) => this.o.log("info", "update", `update to bundle ${c.bundleSha?.slice(0, 12)}: this relay keeps the code it runs in (the controller's); it serves the new bundle to its workers`),
      ...opts,
    };
    this.lastSeq = this.o.startSeq;
  }

  get id(): string {
    return this.o.relayId;
  }

  /** The URL workers reach this relay by (known once it listens). */
  set url(url: string) {
    this.o.url = url;
  }

  start(port?: number): void {
    this.timers.push(setInterval(() => void this.heartbeat(port), this.o.heartbeatMs));
    this.timers.push(setInterval(() => this.reapSilentWorkers(), Math.min(1000, this.o.silentMs / 2)));
    void this.heartbeat(port);
  }

  /**
   * Stops handing out work and answers pending polls. With `drain`, hands queued trials back
   * at once, gives workers up to `drainMs` to report the trials they are running (the routes
   * and heartbeats keep going, so their leases stay renewed), and, with `commandSeq`, until
   * every live worker has been sent that command (an update: each must hear it before this
   * relay goes); then hands back what is still out, uploads every result it holds, and sends
   * a last heartbeat, so no trial has to wait for its lease to expire.
   */
  async close(drain = true, drainMs = 5000, opts: { commandSeq?: number } = {}): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) clearTimeout(w.timer), w.resolve(this.answer(w.workerId, 0, w.seq));
    if (drain) {
      // Let a lease request in flight land (its trials are then handed back too).
      for (let i = 0; i < 50 && this.fetching; i++) await new Promise((r) => setTimeout(r, 100));
      for (const l of this.queue.splice(0)) this.released.push(ref(l));
      this.drainUntil = Date.now() + drainMs;
      while (Date.now() < this.drainUntil && !this.drained(opts.commandSeq)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const w of this.workers.values()) {
        for (const l of w.running.values()) this.released.push(ref(l));
        w.running.clear();
      }
    }
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.flushTimer);
    if (!drain) return;
    for (let i = 0; i < 5 && this.resultBuffer.length; i++) await this.flush();
    await this.flushMetrics();
    await this.heartbeat(undefined).catch(() => {});
  }

  /** A draining close waits at most `ms` more (a SIGTERM during a long drain for an update). */
  hurry(ms: number): void {
    this.drainUntil = Math.min(this.drainUntil, Date.now() + ms);
  }

  /** No worker runs a trial of ours, and every live one has been sent command `seq`. */
  private drained(seq: number | undefined): boolean {
    const now = Date.now();
    for (const w of this.workers.values()) {
      if (w.running.size > 0) return false;
      if (seq !== undefined && w.seq < seq && now - w.lastPoll <= this.o.silentMs) return false;
    }
    return true;
  }

  // ---- worker side

  /** A worker's poll: its heartbeat, and up to `free` trials plus pending commands. */
  async poll(
    workerId: string,
    q: { free: number; wait?: number; seq?: number; threads?: number; host?: string; gflops?: number; running?: TrialRef[]; reserve?: TrialRef[] },
  ): Promise<WorkResponse> {
    this.counters.polls++;
    const w = this.worker(workerId, q.host, q.threads);
    w.lastPoll = Date.now();
    if (q.gflops !== undefined) w.gflops = q.gflops;
    if (q.seq !== undefined) w.seq = Math.max(w.seq, q.seq);
    if (q.running !== undefined) this.reconcile(w, q.running);
    if (q.reserve !== undefined) this.noteReserve(w, q.reserve);
    // Idle threads elsewhere may want this worker's reserve: ask in this very answer.
    this.recallReserves();
    const free = this.boundFree(w, q.free);
    const seq = q.seq ?? 0;
    const now = this.answer(workerId, free, seq);
    // A worker holding a reserve may wait with free=0: to hear at once that it should hand some back.
    const holding = w.reserve.length > 0;
    if (now.trials.length || now.commands.length || now.stop.length || now.handBack?.length || !q.wait || (free === 0 && !holding) || this.closed) return now;
    this.ensureQueue(free);
    // One long-poll per worker: an earlier one still waiting is answered now, empty.
    for (const old of this.waiters.filter((x) => x.workerId === workerId)) this.answerNow(old);
    const answer = new Promise<WorkResponse>((resolve) => {
      const waiter: Waiter = {
        workerId, free, seq, holding, resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== waiter);
          resolve(this.answer(workerId, waiter.free, seq));
        }, q.wait),
      };
      this.waiters.push(waiter);
    });
    // A new idle thread: maybe a reserve elsewhere should come to it.
    if (free > 0) this.recallReserves();
    return answer;
  }

  private answerNow(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters = this.waiters.filter((x) => x !== waiter);
    waiter.resolve(this.answer(waiter.workerId, 0, waiter.seq));
  }

  /**
   * What the worker says it has not started. A trial asked back that is neither returned nor
   * in the reserve any more was started (agents send what they hand back before polling
   * again): it no longer counts as on its way.
   */
  private noteReserve(w: WorkerState, reserve: TrialRef[]): void {
    const listed = new Set(reserve.map(key));
    w.reserve = reserve.filter((r) => w.running.has(key(r)));
    w.handBack = w.handBack.filter((r) => listed.has(key(r)));
    for (const [k, r] of this.recalls) if (r.workerId === w.id && !listed.has(k)) this.recalls.delete(k);
  }

  /** Threads of this worker with nothing to run, as far as this relay knows. */
  private idleThreads(w: WorkerState): number {
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
   * unstarted trials to hand some back (hand-back.ts decides which); a returned trial goes
   * back into this relay's queue, to the idle threads, under the same lease.
   */
  private recallReserves(): void {
    if (!this.upstreamDry || this.upstreamPaused || this.paused.all || this.closed) return;
    const now = Date.now();
    for (const [k, r] of this.recalls) if (now - r.at > RECALL_MS) this.recalls.delete(k);
    const holders = [];
    for (const w of this.workers.values()) {
      if (now - w.lastPoll > this.o.silentMs) continue;
      const reserve = w.reserve.filter((r) => w.running.has(key(r)) && !this.recalls.has(key(r)));
      if (reserve.length) holders.push({ workerId: w.id, reserve });
    }
    if (!holders.length) return;
    let idle = 0;
    for (const x of this.waiters) if (x.free > 0) idle += Math.min(x.free, this.idleThreads(this.workers.get(x.workerId)!));
    const queued = this.queue.filter((l) => !this.paused.sweeps.has(l.sweepId)).length;
    const plan = planHandBacks(idle, queued + this.recalls.size, holders);
    for (const [id, refs] of plan) {
      this.workers.get(id)!.handBack.push(...refs);
      for (const r of refs) this.recalls.set(key(r), { workerId: id, at: now });
      this.o.log("info", "worker", `${idle} idle thread(s) and nothing upstream: asking worker ${id} to hand back ${refs.map(key).join(", ")}`);
    }
    if (plan.size) this.wakeWaiters();
  }

  /**
   * What the worker says it holds is the truth about it: a trial this relay thinks it handed
   * over but the worker does not list (an answer lost on the way, a crashed thread) goes back
   * upstream now rather than when its lease expires.
   */
  private reconcile(w: WorkerState, listed: TrialRef[]): void {
    const held = new Set(listed.map(key));
    for (const [k, lease] of w.running) {
      if (held.has(k)) continue;
      w.running.delete(k);
      this.recalls.delete(k);
      this.released.push(ref(lease));
      this.o.log("info", "worker", `worker ${w.id} does not hold trial ${k}: handing it back`);
    }
  }

  /**
   * A worker gets at most its threads plus a reserve of half a second of its own work, and as
   * many again for finished trials whose results are on their way, minus what it lists. A
   * worker lists a result until this relay has it; counted as a held trial, a result in flight
   * left threads without work whenever posts took longer than the reserve lasts (tiny trials,
   * whose reserve lasts only milliseconds). What the worker asks for
   * (its own reserve) is what it runs; this is the cap.
   */
  private boundFree(w: WorkerState, asked: number): number {
    const reserve = Math.min(MAX_RESERVE, Math.max(w.threads, Math.ceil(w.done.risingRate(Date.now(), 500) * 0.5)));
    return Math.max(0, Math.min(asked, 2 * (w.threads + reserve) - w.running.size));
  }

  /** A worker's state; `threads` as its poll says (a result, report or rung post says none: it keeps what its last poll said). */
  private worker(id: string, host = "?", threads?: number): WorkerState {
    let w = this.workers.get(id);
    if (!w) {
      w = {
        id, host, threads: threads ?? 1, lastPoll: Date.now(), running: new Map(), stop: [], trialsDone: 0, done: new RateWindow(2000), gflops: 0,
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
   * Workers' results: buffered, acknowledged at once, uploaded in batches. Only for trials this
   * relay handed to that worker and still counts as running: anything else is refused.
   */
  acceptResults(workerId: string, results: TrialResult[], bodyBytes?: number): Array<"stored" | "refused"> {
    const w = this.worker(workerId);
    let requeued = false;
    const now = Date.now();
    w.lastPoll = now;
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
      this.resultBuffer.push(r);
      // Each result counts an even share of its request: a batch made of whole requests is
      // measured exactly, one that splits a request of unequal results may pass the target a
      // little (RESULT_BATCH_BYTES is a quarter of the route's cap).
      if (bodyBytes !== undefined) this.resultBytes.set(r, Math.ceil(bodyBytes / results.length));
      return "stored" as const;
    });
    if (this.resultBuffer.length >= this.o.batchMax) void this.flush();
    else this.scheduleFlush();
    // A thread of this worker freed: if it waits holding a reserve, it polls again with what it holds now.
    for (const x of this.waiters.filter((x) => x.workerId === workerId && x.holding)) this.answerNow(x);
    // In the tail, threads freeing change who may take the last trials, and may want a reserve from elsewhere.
    if (requeued || this.inTail()) this.wakeWaiters();
    this.recallReserves();
    return statuses;
  }

  /** Reports of trials this worker runs, within the count its trial's config allows; returns how many were taken. */
  acceptMetrics(workerId: string, items: MetricsBatch["items"]): number {
    const w = this.worker(workerId);
    w.lastPoll = Date.now();
    const taken = items.filter((item) => {
      const lease = w.running.get(key(item));
      return lease !== undefined && item.step <= maxReportsOf(lease.experiment, lease.config);
    });
    this.metricsBuffer.push(...taken);
    return taken.length;
  }

  /**
   * A worker's trial at a rung: only a trial it runs; the decision comes from upstream (asked no
   * longer once `gone` fires). Upstream learns which earlier trials of its sweep this relay
   * holds unstarted: only the relay knows, and a trial that waits for them must not hold a
   * thread they need. When the decision waits for a trial queued upstream (a retry), that
   * trial is fetched now: the queue runs in trial order, so it comes before the waiting ones.
   */
  async rung(workerId: string, r: TrialRef, step: number, body: RungRequest, waitMs: number, gone?: AbortSignal): Promise<RungDecision> {
    const w = this.worker(workerId);
    w.lastPoll = Date.now();
    const lease = w.running.get(key(r));
    if (!lease) throw new RungRefusal(`trial ${r.trialId} attempt ${r.attempt} is not running on worker ${workerId}`);
    const unstarted = this.unstartedBefore(lease.sweepId, r.trialId);
    try {
      const d = await this.upstream.rung(r, step, { reports: body.reports, unstarted }, waitMs, gone);
      if (d.waitingFor?.some((t) => t.state === "queued")) this.ensureQueue(1);
      return d;
    } catch (err) {
      // The worker is gone: nobody reads the answer, and the aborted call is not an error.
      if (gone?.aborted) return { decision: "pending", reason: null };
      throw err;
    }
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

  blob(sha: string): Promise<Uint8Array> {
    let p = this.blobs.get(sha);
    if (!p) {
      p = this.upstream.blob(sha);
      this.blobs.set(sha, p);
      p.catch(() => this.blobs.delete(sha));
    }
    return p;
  }

  /** Workers that stopped polling: their trials go back upstream at once. */
  private reapSilentWorkers(): void {
    const now = Date.now();
    for (const w of this.waiters) this.workers.get(w.workerId)!.lastPoll = now;
    for (const w of this.workers.values()) {
      if (now - w.lastPoll > this.o.silentMs && w.running.size) {
        this.o.log("warn", "worker", `worker ${w.id} silent for ${now - w.lastPoll} ms: handing back ${w.running.size} trial(s)`);
        for (const l of w.running.values()) this.released.push(ref(l)), this.recalls.delete(key(l));
        w.running.clear();
        w.reserve = [];
        w.handBack = [];
      }
      if (now - w.lastPoll > 10 * this.o.silentMs) this.workers.delete(w.id);
    }
    // No one left to run the prefetched trials: hand them back rather than renew them forever.
    if (this.queue.length && !this.liveThreads() && !this.waiters.length) {
      this.o.log("info", "no-live-workers", `no live workers: handing back ${this.queue.length} queued trial(s)`);
      for (const l of this.queue.splice(0)) this.released.push(ref(l));
    }
    this.recallReserves();
  }

  // ---- upstream side

  /**
   * Trials worth holding: two per live worker thread, or half a second of work when trials
   * are short, so workers never wait on the controller; none without workers. The queue is
   * refilled to this once it is down to half (ensureQueue).
   */
  private wanted(): number {
    const threads = this.liveThreads();
    return threads ? Math.max(this.o.prefetch, 2 * threads, Math.ceil(this.recentRate() * 0.5)) : 0;
  }

  /** Trials finished per second over the last five seconds, or the last second when that is higher. */
  private recentRate(): number {
    return this.done.risingRate(Date.now(), 1000, 5000);
  }

  private liveThreads(): number {
    let threads = 0;
    for (const w of this.workers.values()) if (Date.now() - w.lastPoll <= this.o.silentMs) threads += w.threads;
    return threads;
  }

  /**
   * Fetches leases when the queue is down to half of what it should hold, or at once for
   * `extra` trials a waiting worker asked for, or (`again`) after a fetch the controller could
   * not fill: the next answer says whether it is dry, which the tail's rules wait for.
   */
  private ensureQueue(extra: number, again = false): void {
    if (this.fetching || this.closed) return;
    const wanted = this.wanted() + extra;
    const want = wanted - this.queue.length;
    if (want <= 0 || (this.upstreamPaused && !this.waiters.length && !extra)) return;
    // Not after every poll: each lease fetch is a transaction upstream (a commit on the
    // controller's disk), worth making for many trials at once.
    if (extra === 0 && !again && this.queue.length > wanted / 2) return;
    this.fetching = true;
    const asked = Math.min(want, 1000);
    this.upstream.leases(asked).then(
      ({ trials, paused }) => {
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
        this.wakeWaiters();
        if (trials.length && !this.closed) this.ensureQueue(0, trials.length < asked);
        else this.recallReserves();
      },
      (err) => {
        this.fetching = false;
        this.o.log("warn", "lease", `lease fetch failed: ${(err as Error).message}`);
      },
    );
  }

  private wakeWaiters(): void {
    // Workers with idle threads first: a trial handed back must reach an idle thread, not a reserve.
    const idle = new Map(this.waiters.map((x) => [x, this.idleThreads(this.workers.get(x.workerId)!)]));
    for (const w of [...this.waiters].sort((a, b) => idle.get(b)! - idle.get(a)!)) {
      const answer = this.answer(w.workerId, w.free, w.seq);
      if (answer.trials.length || answer.commands.length || answer.stop.length || answer.handBack?.length) {
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(answer);
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.o.flushMs);
  }

  /** Uploads one batch; the results leave the buffer only when the controller acknowledges. */
  async flush(): Promise<void> {
    if (this.flushing || !this.resultBuffer.length) return;
    this.flushing = true;
    const batch = this.resultBuffer.slice(0, batchPrefix(this.resultBuffer, this.o.batchMax * 4, RESULT_BATCH_BYTES, (r) => this.resultBytes.get(r) ?? jsonBytes(r)));
    try {
      await this.upstream.results({ batchId: `${this.o.relayId}-${randomBytes(4).toString("hex")}`, results: batch });
      this.resultBuffer.splice(0, batch.length);
      this.counters.resultsUploaded += batch.length;
      // Results can make work (a tpe sweep's next batch, a retry): workers waiting on an empty
      // queue should not wait for the next poll or heartbeat to learn of it.
      if (this.waiters.length && this.queue.length === 0) this.ensureQueue(0);
    } catch (err) {
      this.counters.uploadFailures++;
      this.o.log("warn", "result", `result upload failed (${batch.length} kept for retry): ${(err as Error).message}`);
    } finally {
      this.flushing = false;
    }
    if (this.resultBuffer.length && !this.closed) this.scheduleFlush();
  }

  private async flushMetrics(): Promise<void> {
    // In batches the controller's caps take (count and bytes).
    while (this.metricsBuffer.length) {
      const items = this.metricsBuffer.splice(0, batchPrefix(this.metricsBuffer, METRICS_BATCH, METRICS_BATCH_BYTES));
      try {
        await this.upstream.metrics({ items });
      } catch {
        // Metrics are for live curves; the final result carries every report again.
      }
    }
  }

  /** Heartbeat: stats up; leases held renewed, released ones handed back; commands down. */
  async heartbeat(port: number | undefined): Promise<void> {
    void this.flushMetrics();
    const held: TrialRef[] = this.queue.map(ref);
    for (const w of this.workers.values()) for (const l of w.running.values()) held.push(ref(l));
    const released = this.released.splice(0);
    try {
      const res = await this.upstream.heartbeat({ stats: this.stats(), held, released, started: this.startedBySweep() }, this.lastSeq, port);
      this.bundleSha = res.bundleSha;
      if (res.revoked.length) this.revoke(res.revoked);
      for (const c of res.commands) this.apply(c);
      // Which sweeps are paused is state, not history: the answer says it whole every time.
      this.paused = { all: false, sweeps: new Set(res.pausedSweeps) };
      this.o.onIdentityTokens(res.identityTokens);
    } catch (err) {
      this.released.unshift(...released);
      this.o.log("warn", "heartbeat", `heartbeat failed: ${(err as Error).message}`);
    }
    this.ensureQueue(0);
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
    this.wakeWaiters();
  }

  private apply(c: Command): void {
    if (c.seq <= this.lastSeq) return;
    this.lastSeq = c.seq;
    this.commands.push(c);
    if (this.commands.length > 1000) this.commands.splice(0, this.commands.length - 1000);
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
        if (c.bundleSha) void this.blob(c.bundleSha).catch((err) => this.o.log("warn", "blob", `cannot fetch bundle ${c.bundleSha}: ${err.message}`));
        this.o.onUpdate(c);
        break;
      case "shutdown":
        this.o.onShutdown();
        break;
      default:
        break;
    }
    this.wakeWaiters();
  }

  stats(): RelayStats {
    const now = Date.now();
    const workers: WorkerStats[] = [...this.workers.values()].map((w) => {
      const reserved = w.reserve.filter((r) => w.running.has(key(r))).length;
      return {
        workerId: w.id, host: w.host, threads: w.threads, busy: Math.min(w.threads, w.running.size - reserved), reserved, lastPoll: w.lastPoll,
        silent: now - w.lastPoll > this.o.silentMs, trialsDone: w.trialsDone, gflops: w.gflops,
      };
    });
    return {
      relayId: this.o.relayId, url: this.o.url, queued: this.queue.length,
      running: workers.reduce((s, w) => s + w.busy, 0), reserved: workers.reduce((s, w) => s + w.reserved, 0), bufferedResults: this.resultBuffer.length,
      workers, trialsPerMinute: this.done.count(now, 60_000), resultsUploaded: this.counters.resultsUploaded,
      bytesBeforeCompression: this.upstream.bytes?.().raw ?? 0, bytesAfterCompression: this.upstream.bytes?.().sent ?? 0,
    };
  }
}
