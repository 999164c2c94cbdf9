// One relay: prefetches leases so workers never wait on the controller, answers worker
// long-polls with trials and commands, treats polls as heartbeats, buffers results and
// uploads them in batches (dropped only once acknowledged), fans commands out, caches blobs.
// This file is the shell: timers, held polls and the upstream. What to hand out, when to
// refill, what to ask back at a sweep's end are decided in relay-state.ts, free of I/O.
// Knows nothing of HTTP: routes.ts maps requests onto it.
import { randomBytes } from "node:crypto";
import { batchPrefix, jsonBytes, RESULT_BATCH_BYTES, METRICS_BATCH, METRICS_BATCH_BYTES } from "../../protocol/batch-bytes.ts";
import type { Upstream } from "./upstream.ts";
import type {
  TrialRef, TrialResult, Command, WorkResponse, MetricsBatch, RelayStats, RungRequest,
} from "../../protocol/messages.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import { RungRefusal } from "../stopping/rung-answer.ts";
import { StateRefusal } from "./state-refusal.ts";
import type { StateKind, StateStored } from "../../protocol/messages.ts";
import { RelayState, type PollQuery, type RelayEvent } from "./relay-state.ts";
import { MIN_PREFETCH } from "../flow/prefetch.ts";
import { reapEveryMs } from "../flow/poll-timing.ts";
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


/** A poll not answered yet: its promise, and the timer that ends its wait. */
interface OpenPoll {
  resolve: (r: WorkResponse) => void;
  timer?: NodeJS.Timeout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Relay {
  private readonly state: RelayState;
  private readonly polls = new Map<number, OpenPoll>();
  private nextPollId = 1;
  /** Until when a draining close waits for workers (hurry() brings it forward). */
  private drainUntil = 0;
  private resultBuffer: TrialResult[] = [];
  /** Each buffered result's share of the JSON body it came in: batches are sized without another stringify. */
  private resultBytes = new WeakMap<TrialResult, number>();
  private metricsBuffer: MetricsBatch["items"] = [];
  private blobs = new Map<string, Promise<Uint8Array>>();
  private flushing = false;
  private timers: NodeJS.Timeout[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  bundleSha = "";
  private readonly uploads = { resultsUploaded: 0, uploadFailures: 0 };
  private readonly o: Required<RelayOptions>;

  constructor(private readonly upstream: Upstream, opts: RelayOptions) {
    this.o = {
      heartbeatMs: 1000, silentMs: 5000, batchMax: 256, flushMs: 50, prefetch: MIN_PREFETCH, log: () => {}, onShutdown: () => {},
      startSeq: 0, onIdentityTokens: () => {},
      onUpdate: (c) => this.o.log("info", "update", `update to bundle ${c.bundleSha?.slice(0, 12)}: this relay keeps the code it runs in (the controller's); it serves the new bundle to its workers`),
      ...opts,
    };
    this.state = new RelayState({ silentMs: this.o.silentMs, prefetch: this.o.prefetch, startSeq: this.o.startSeq });
  }

  get id(): string {
    return this.o.relayId;
  }

  /** The URL workers reach this relay by (known once it listens). */
  set url(url: string) {
    this.o.url = url;
  }

  get counters(): { resultsUploaded: number; polls: number; uploadFailures: number; handedBack: number } {
    return { ...this.uploads, ...this.state.counters };
  }

  start(port?: number): void {
    this.timers.push(setInterval(() => void this.heartbeat(port), this.o.heartbeatMs));
    this.timers.push(setInterval(() => this.run({ type: "reap" }), reapEveryMs(this.o.silentMs)));
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
    this.run({ type: "close" });
    if (drain) {
      // Let a lease request in flight land (its trials are then handed back too).
      for (let i = 0; i < 50 && this.state.fetching; i++) await sleep(100);
      this.run({ type: "release-queue" });
      this.drainUntil = Date.now() + drainMs;
      while (Date.now() < this.drainUntil && !this.state.drained(opts.commandSeq, Date.now())) await sleep(100);
      this.run({ type: "release-running" });
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

  /** Hands an event to the state and carries out what it says; returns the instructions (some are the caller's to read). */
  private run(event: RelayEvent) {
    const instructions = this.state.handle(event, Date.now());
    for (const i of instructions) {
      switch (i.type) {
        case "answer-poll": {
          const p = this.polls.get(i.pollId);
          if (!p) break;
          clearTimeout(p.timer);
          this.polls.delete(i.pollId);
          p.resolve(i.response);
          break;
        }
        case "hold-poll": {
          const p = this.polls.get(i.pollId);
          if (p) p.timer = setTimeout(() => this.run({ type: "poll-expired", pollId: i.pollId }), i.waitMs);
          break;
        }
        case "fetch-upstream":
          this.upstream.leases(i.n).then(
            ({ trials, paused }) => void this.run({ type: "leases-arrived", asked: i.n, trials, paused }),
            (err) => void this.run({ type: "lease-fetch-failed", message: (err as Error).message }),
          );
          break;
        case "run-command":
          if (i.command.kind === "update") {
            const sha = i.command.bundleSha;
            if (sha) void this.blob(sha).catch((err) => this.o.log("warn", "blob", `cannot fetch bundle ${sha}: ${err.message}`));
            this.o.onUpdate(i.command);
          } else if (i.command.kind === "shutdown") this.o.onShutdown();
          break;
        case "log":
          this.o.log(i.level, i.event, i.message);
          break;
        // The caller's: result-statuses, store-results, store-metrics, send-heartbeat.
        default:
          break;
      }
    }
    return instructions;
  }

  // ---- worker side

  /** A worker's poll: its heartbeat, and up to `free` trials plus pending commands. */
  poll(workerId: string, query: PollQuery): Promise<WorkResponse> {
    const pollId = this.nextPollId++;
    const answer = new Promise<WorkResponse>((resolve) => this.polls.set(pollId, { resolve }));
    this.run({ type: "poll", pollId, workerId, query });
    return answer;
  }

  /**
   * Workers' results: buffered, acknowledged at once, uploaded in batches. Only for trials this
   * relay handed to that worker and still counts as running: anything else is refused.
   */
  acceptResults(workerId: string, results: TrialResult[], bodyBytes?: number): Array<"stored" | "refused"> {
    let statuses: Array<"stored" | "refused"> = [];
    for (const i of this.run({ type: "results", workerId, results })) {
      if (i.type === "result-statuses") statuses = i.statuses;
      if (i.type !== "store-results") continue;
      for (const r of i.results) {
        this.resultBuffer.push(r);
        // Each result counts an even share of its request: a batch made of whole requests is
        // measured exactly, one that splits a request of unequal results may pass the target a
        // little (RESULT_BATCH_BYTES is a quarter of the route's cap).
        if (bodyBytes !== undefined) this.resultBytes.set(r, Math.ceil(bodyBytes / results.length));
      }
    }
    if (this.resultBuffer.length >= this.o.batchMax) void this.flush();
    else this.scheduleFlush();
    return statuses;
  }

  /** Reports of trials this worker runs, within the count its trial's config allows; returns how many were taken. */
  acceptMetrics(workerId: string, items: MetricsBatch["items"]): number {
    let taken = 0;
    for (const i of this.run({ type: "metrics", workerId, items })) {
      if (i.type === "store-metrics") this.metricsBuffer.push(...i.items), (taken += i.items.length);
    }
    return taken;
  }

  /**
   * A worker's trial at a rung: only a trial it runs; the decision comes from upstream (asked no
   * longer once `gone` fires). Upstream learns which earlier trials of its sweep this relay
   * holds unstarted: only the relay knows, and a trial that waits for them must not hold a
   * thread they need. When the decision waits for a trial queued upstream (a retry), that
   * trial is fetched now: the queue runs in trial order, so it comes before the waiting ones.
   */
  async rung(workerId: string, r: TrialRef, step: number, body: RungRequest, waitMs: number, gone?: AbortSignal): Promise<RungDecision> {
    this.run({ type: "worker-seen", workerId });
    const at = this.state.rungContext(workerId, r);
    if (!at) throw new RungRefusal(`trial ${r.trialId} attempt ${r.attempt} is not running on worker ${workerId}`);
    try {
      const d = await this.upstream.rung(r, step, { reports: body.reports, unstarted: at.unstarted }, waitMs, gone);
      if (d.waitingFor?.some((t) => t.state === "queued")) this.run({ type: "refill", extra: 1 });
      return d;
    } catch (err) {
      // The worker is gone: nobody reads the answer, and the aborted call is not an error.
      if (gone?.aborted) return { decision: "pending", reason: null };
      throw err;
    }
  }

  /** A state of a trial this worker runs, passed upstream as it came (deflated); the controller checks its bytes. */
  async putState(workerId: string, q: { trial: number; attempt: number; step: number; sha: string; kind: StateKind }, deflated: Uint8Array): Promise<StateStored> {
    this.run({ type: "worker-seen", workerId });
    if (!this.state.rungContext(workerId, { trialId: q.trial, attempt: q.attempt })) {
      throw new StateRefusal(409, `trial ${q.trial} attempt ${q.attempt} is not running on worker ${workerId}`);
    }
    return this.upstream.putState(q, deflated);
  }

  /** Checkpoints fetched, by SHA-256: several attempts (a retried trial's) may ask for one. */
  private checkpoints = new Map<string, Promise<Uint8Array>>();

  /** The checkpoint a worker's trial resumes from: only the one its lease names (deflated, as stored). */
  checkpoint(workerId: string, r: TrialRef, sha: string): Promise<Uint8Array> {
    const at = this.state.rungContext(workerId, r);
    if (!at) return Promise.reject(new StateRefusal(409, `trial ${r.trialId} attempt ${r.attempt} is not running on worker ${workerId}`));
    if (at.lease.restore?.sha256 !== sha) return Promise.reject(new StateRefusal(404, `trial ${r.trialId}'s lease names no checkpoint ${sha}`));
    let p = this.checkpoints.get(sha);
    if (!p) {
      p = this.upstream.checkpoint(r, sha);
      // A few at a time: a checkpoint is wanted right after its lease, by one worker.
      if (this.checkpoints.size >= 16) this.checkpoints.delete(this.checkpoints.keys().next().value!);
      this.checkpoints.set(sha, p);
      p.catch(() => this.checkpoints.delete(sha));
    }
    return p;
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

  // ---- upstream side

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
      this.uploads.resultsUploaded += batch.length;
      this.run({ type: "results-uploaded" });
    } catch (err) {
      this.uploads.uploadFailures++;
      this.o.log("warn", "result", `result upload failed (${batch.length} kept for retry): ${(err as Error).message}`);
    } finally {
      this.flushing = false;
    }
    if (this.resultBuffer.length && !this.state.closed) this.scheduleFlush();
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
    let report = { held: [] as TrialRef[], released: [] as TrialRef[], started: {} as Record<string, number> };
    for (const i of this.run({ type: "heartbeat-due" })) if (i.type === "send-heartbeat") report = i;
    const { held, released, started } = report;
    try {
      const res = await this.upstream.heartbeat({ stats: this.stats(), held, released, started }, this.state.lastSeq, port);
      this.bundleSha = res.bundleSha;
      this.run({ type: "heartbeat-answered", revoked: res.revoked, commands: res.commands, pausedSweeps: res.pausedSweeps });
      this.o.onIdentityTokens(res.identityTokens);
    } catch (err) {
      this.run({ type: "heartbeat-failed", released, message: (err as Error).message });
    }
  }

  stats(): RelayStats {
    const now = Date.now();
    const workers = this.state.workerStats(now);
    return {
      relayId: this.o.relayId, url: this.o.url, queued: this.state.queued,
      running: workers.reduce((s, w) => s + w.busy, 0), reserved: workers.reduce((s, w) => s + w.reserved, 0), bufferedResults: this.resultBuffer.length,
      workers, trialsPerMinute: this.state.done.count(now, 60_000), resultsUploaded: this.uploads.resultsUploaded,
      bytesBeforeCompression: this.upstream.bytes?.().raw ?? 0, bytesAfterCompression: this.upstream.bytes?.().sent ?? 0,
    };
  }
}
