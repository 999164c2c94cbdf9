// One relay: prefetches leases so workers never wait on the controller, answers worker
// long-polls with trials and commands, treats polls as heartbeats, buffers results and
// uploads them in batches (dropped only once acknowledged), fans commands out, caches blobs.
// Knows nothing of HTTP: routes.ts maps requests onto it.
import { randomBytes } from "node:crypto";
import { maxReportsOf } from "../experiments/report-bounds.ts";
import { batchPrefix, RESULT_BATCH_BYTES, METRICS_BATCH, METRICS_BATCH_BYTES } from "../../protocol/batch-bytes.ts";
import type { Upstream } from "./upstream.ts";
import type {
  TrialLease, TrialRef, TrialResult, Command, WorkResponse, MetricsBatch, RelayStats, WorkerStats, RungRequest,
} from "../../protocol/messages.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import { RungRefusal } from "../stopping/rung-answer.ts";

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
  log?: (msg: string) => void;
  /** Called when a shutdown command arrives (relay daemons stop; the root relay ignores it). */
  onShutdown?: () => void;
  /** The command sequence current at the relay's join: it applies only later commands, never a replay of history. */
  startSeq?: number;
  /** Each heartbeat answer's identity tokens (a rotated token revokes its identities at once). */
  onIdentityTokens?: (tokens: string[]) => void;
}

interface WorkerState {
  id: string;
  host: string;
  threads: number;
  lastPoll: number;
  running: Map<string, TrialLease>;
  stop: TrialRef[];
  trialsDone: number;
  /** When its recent trials finished: how large a reserve it may hold. */
  doneTimes: number[];
  gflops: number;
}

/** Trials a worker may hold beyond its threads: a reserve of half a second of its own work, within [threads, 256]. */
const MAX_RESERVE = 256;

interface Waiter {
  workerId: string;
  free: number;
  seq: number;
  resolve: (r: WorkResponse) => void;
  timer: NodeJS.Timeout;
}

const key = (r: TrialRef) => `${r.trialId}:${r.attempt}`;
const ref = (l: TrialRef): TrialRef => ({ trialId: l.trialId, attempt: l.attempt });

export class Relay {
  private queue: TrialLease[] = [];
  private workers = new Map<string, WorkerState>();
  private waiters: Waiter[] = [];
  private commands: Command[] = [];
  private lastSeq = 0;
  private paused = { all: false, sweeps: new Set<number>() };
  private released: TrialRef[] = [];
  private resultBuffer: TrialResult[] = [];
  private metricsBuffer: MetricsBatch["items"] = [];
  private blobs = new Map<string, Promise<Uint8Array>>();
  private fetching = false;
  private flushing = false;
  private upstreamPaused = false;
  /** The last lease request came back empty while nothing was paused: the controller has no work. */
  private upstreamDry = false;
  private timers: NodeJS.Timeout[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private doneTimes: number[] = [];
  private closed = false;
  bundleSha = "";
  counters = { resultsUploaded: 0, polls: 0, uploadFailures: 0 };
  private readonly o: Required<RelayOptions>;

  constructor(private readonly upstream: Upstream, opts: RelayOptions) {
    this.o = {
      heartbeatMs: 1000, silentMs: 5000, batchMax: 256, flushMs: 50, prefetch: 4, log: () => {}, onShutdown: () => {},
      startSeq: 0, onIdentityTokens: () => {}, ...opts,
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

  /** Stops timers and answers pending polls; with `drain`, uploads what is buffered first. */
  /**
   * Stops handing out work. With `drain`, hands queued trials back at once, gives workers
   * up to `drainMs` to report the trials they are running (the routes keep serving),
   * hands back what is still out, uploads every result it holds, and sends a last
   * heartbeat, so no trial has to wait for its lease to expire.
   */
  async close(drain = true, drainMs = 5000): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) clearTimeout(w.timer), w.resolve(this.answer(w.workerId, 0, w.seq));
    if (drain) {
      // Let a lease request in flight land (its trials are then handed back too).
      for (let i = 0; i < 50 && this.fetching; i++) await new Promise((r) => setTimeout(r, 100));
      for (const l of this.queue.splice(0)) this.released.push(ref(l));
      const until = Date.now() + drainMs;
      while (Date.now() < until && [...this.workers.values()].some((w) => w.running.size > 0)) {
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

  // ---- worker side

  /** A worker's poll: its heartbeat, and up to `free` trials plus pending commands. */
  async poll(
    workerId: string,
    q: { free: number; wait?: number; seq?: number; threads?: number; host?: string; gflops?: number; running?: TrialRef[] },
  ): Promise<WorkResponse> {
    this.counters.polls++;
    const w = this.worker(workerId, q.host, q.threads);
    w.lastPoll = Date.now();
    if (q.gflops !== undefined) w.gflops = q.gflops;
    if (q.running !== undefined) this.reconcile(w, q.running);
    const free = this.boundFree(w, q.free);
    const seq = q.seq ?? 0;
    const now = this.answer(workerId, free, seq);
    if (now.trials.length || now.commands.length || now.stop.length || !q.wait || free === 0 || this.closed) return now;
    this.ensureQueue(free);
    // One long-poll per worker: an earlier one still waiting is answered now, empty.
    for (const old of this.waiters.filter((x) => x.workerId === workerId)) {
      clearTimeout(old.timer);
      this.waiters = this.waiters.filter((x) => x !== old);
      old.resolve(this.answer(workerId, 0, old.seq));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        workerId, free, seq, resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== waiter);
          resolve(this.answer(workerId, waiter.free, seq));
        }, q.wait),
      };
      this.waiters.push(waiter);
    });
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
      this.released.push(ref(lease));
      this.o.log(`worker ${w.id} does not hold trial ${k}: handing it back`);
    }
  }

  /** A worker gets at most its threads plus a reserve of half a second of its own work, minus what it holds. */
  private boundFree(w: WorkerState, asked: number): number {
    const since = Date.now() - 2000;
    while (w.doneTimes.length && w.doneTimes[0]! < since) w.doneTimes.shift();
    const reserve = Math.min(MAX_RESERVE, Math.max(w.threads, Math.ceil((w.doneTimes.length / 2) * 0.5)));
    return Math.max(0, Math.min(asked, w.threads + reserve - w.running.size));
  }

  private worker(id: string, host = "?", threads = 1): WorkerState {
    let w = this.workers.get(id);
    if (!w) {
      w = { id, host, threads, lastPoll: Date.now(), running: new Map(), stop: [], trialsDone: 0, doneTimes: [], gflops: 0 };
      this.workers.set(id, w);
    }
    if (host !== "?") w.host = host;
    w.threads = threads;
    return w;
  }

  private answer(workerId: string, free: number, seq: number): WorkResponse {
    const w = this.workers.get(workerId)!;
    const trials: TrialLease[] = [];
    if (free > 0 && !this.paused.all && !this.closed) {
      for (let i = 0; i < this.queue.length && trials.length < free;) {
        const l = this.queue[i]!;
        if (this.paused.sweeps.has(l.sweepId)) { i++; continue; }
        this.queue.splice(i, 1);
        trials.push(l);
        w.running.set(key(l), l);
      }
    }
    if (trials.length) this.ensureQueue(0);
    const stop = w.stop.splice(0);
    const idle = trials.length === 0 && this.queue.length === 0 && this.upstreamDry && !this.upstreamPaused;
    return { trials, commands: this.commands.filter((c) => c.seq > seq), stop, idle };
  }

  /**
   * Workers' results: buffered, acknowledged at once, uploaded in batches. Only for trials this
   * relay handed to that worker and still counts as running: anything else is refused.
   */
  acceptResults(workerId: string, results: TrialResult[]): Array<"stored" | "refused"> {
    const w = this.worker(workerId);
    w.lastPoll = Date.now();
    const statuses = results.map((r) => {
      const lease = w.running.get(key(r));
      if (!lease || r.workerId !== workerId) return "refused" as const;
      if (r.outcome && r.outcome.reports.length > maxReportsOf(lease.experiment, lease.config)) return "refused" as const;
      w.running.delete(key(r));
      if (r.status === "released") {
        this.released.push(ref(r));
        return "stored" as const;
      }
      if (r.status === "done") {
        w.trialsDone++;
        w.doneTimes.push(Date.now());
        this.doneTimes.push(Date.now());
      }
      this.resultBuffer.push(r);
      return "stored" as const;
    });
    if (this.resultBuffer.length >= this.o.batchMax) void this.flush();
    else this.scheduleFlush();
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

  /** A worker's trial at a rung: only a trial it runs; the decision comes from upstream. */
  rung(workerId: string, r: TrialRef, step: number, body: RungRequest, waitMs: number): Promise<RungDecision> {
    const w = this.worker(workerId);
    w.lastPoll = Date.now();
    if (!w.running.has(key(r))) throw new RungRefusal(`trial ${r.trialId} attempt ${r.attempt} is not running on worker ${workerId}`);
    return this.upstream.rung(r, step, body, waitMs);
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
        this.o.log(`worker ${w.id} silent for ${now - w.lastPoll} ms: handing back ${w.running.size} trial(s)`);
        for (const l of w.running.values()) this.released.push(ref(l));
        w.running.clear();
      }
      if (now - w.lastPoll > 10 * this.o.silentMs) this.workers.delete(w.id);
    }
    // No one left to run the prefetched trials: hand them back rather than renew them forever.
    if (this.queue.length && !this.liveThreads() && !this.waiters.length) {
      this.o.log(`no live workers: handing back ${this.queue.length} queued trial(s)`);
      for (const l of this.queue.splice(0)) this.released.push(ref(l));
    }
  }

  // ---- upstream side

  /**
   * Trials worth holding: two per live worker thread, or half a second of work when trials
   * are short, so workers never wait on the controller; none without workers.
   */
  private wanted(): number {
    const threads = this.liveThreads();
    return threads ? Math.max(this.o.prefetch, 2 * threads, Math.ceil(this.recentRate() * 0.5)) : 0;
  }

  /** Trials finished per second over the last five seconds. */
  private recentRate(): number {
    const since = Date.now() - 5000;
    let n = 0;
    for (let i = this.doneTimes.length - 1; i >= 0 && this.doneTimes[i]! >= since; i--) n++;
    return n / 5;
  }

  private liveThreads(): number {
    let threads = 0;
    for (const w of this.workers.values()) if (Date.now() - w.lastPoll <= this.o.silentMs) threads += w.threads;
    return threads;
  }

  private ensureQueue(extra: number): void {
    if (this.fetching || this.closed) return;
    const want = this.wanted() + extra - this.queue.length;
    if (want <= 0 || (this.upstreamPaused && !this.waiters.length && !extra)) return;
    this.fetching = true;
    this.upstream.leases(Math.min(want, 1000)).then(
      ({ trials, paused }) => {
        this.fetching = false;
        this.upstreamPaused = paused;
        this.upstreamDry = trials.length === 0 && !paused;
        // Leases that arrive after close began go straight back: nobody will hand them out.
        if (this.closed) for (const l of trials) this.released.push(ref(l));
        else this.queue.push(...trials);
        this.wakeWaiters();
        if (trials.length && !this.closed) this.ensureQueue(0);
      },
      (err) => {
        this.fetching = false;
        this.o.log(`lease fetch failed: ${(err as Error).message}`);
      },
    );
  }

  private wakeWaiters(): void {
    for (const w of [...this.waiters]) {
      const answer = this.answer(w.workerId, w.free, w.seq);
      if (answer.trials.length || answer.commands.length || answer.stop.length) {
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
    const batch = this.resultBuffer.slice(0, batchPrefix(this.resultBuffer, this.o.batchMax * 4, RESULT_BATCH_BYTES));
    try {
      await this.upstream.results({ batchId: `${this.o.relayId}-${randomBytes(4).toString("hex")}`, results: batch });
      this.resultBuffer.splice(0, batch.length);
      this.counters.resultsUploaded += batch.length;
    } catch (err) {
      this.counters.uploadFailures++;
      this.o.log(`result upload failed (${batch.length} kept for retry): ${(err as Error).message}`);
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
      const res = await this.upstream.heartbeat({ stats: this.stats(), held, released }, this.lastSeq, port);
      this.bundleSha = res.bundleSha;
      if (res.revoked.length) this.revoke(res.revoked);
      for (const c of res.commands) this.apply(c);
      // Which sweeps are paused is state, not history: the answer says it whole every time.
      this.paused = { all: false, sweeps: new Set(res.pausedSweeps) };
      this.o.onIdentityTokens(res.identityTokens);
    } catch (err) {
      this.released.unshift(...released);
      this.o.log(`heartbeat failed: ${(err as Error).message}`);
    }
    this.ensureQueue(0);
  }

  private revoke(refs: TrialRef[]): void {
    const gone = new Set(refs.map(key));
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
          for (const [k, l] of w.running) if (inScope(l)) w.running.delete(k), w.stop.push(ref(l));
        }
        break;
      case "update":
        if (c.bundleSha) void this.blob(c.bundleSha).catch((err) => this.o.log(`cannot fetch bundle ${c.bundleSha}: ${err.message}`));
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
    this.doneTimes = this.doneTimes.filter((t) => now - t < 60_000);
    const workers: WorkerStats[] = [...this.workers.values()].map((w) => ({
      workerId: w.id, host: w.host, threads: w.threads, busy: w.running.size, lastPoll: w.lastPoll,
      silent: now - w.lastPoll > this.o.silentMs, trialsDone: w.trialsDone, gflops: w.gflops,
    }));
    return {
      relayId: this.o.relayId, url: this.o.url, queued: this.queue.length,
      running: workers.reduce((s, w) => s + w.busy, 0), bufferedResults: this.resultBuffer.length,
      workers, trialsPerMinute: this.doneTimes.length, resultsUploaded: this.counters.resultsUploaded,
      bytesBeforeCompression: this.upstream.bytes?.().raw ?? 0, bytesAfterCompression: this.upstream.bytes?.().sent ?? 0,
    };
  }
}
