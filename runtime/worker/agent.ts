// The worker agent: polls its relay for as many trials as it has idle threads (the poll is
// also its heartbeat), runs them on the thread pool, streams metrics, sends results, and
// applies commands in sequence. On `update` it lets running trials finish, then hands back
// to the bootstrap to load the new bundle. At a sweep's end it returns unstarted trials its
// relay asks back, for idle threads elsewhere. Nothing is written to disk. This file is the
// shell: what to ask for, when to poll, which trials go to a thread together and what to hand
// back are decided in agent-state.ts, free of I/O.
import { ProtocolClient, HttpError, putState, inflateState } from "../../protocol/client.ts";
import { DEFAULT_BODY_CAP } from "../../protocol/codec.ts";
import { formatTrialList, trialKey as key } from "../../protocol/routes.ts";
import type { UnsignedLease, TrialResult, TrialRef, Command, WorkResponse, MetricsBatch } from "../../protocol/messages.ts";
import { WorkVerifier } from "../../protocol/signed-work.ts";
import type { NodeContext, NodeOutcome } from "../node-context.ts";
import { renewIdentity } from "../node-identity.ts";
import { batchPrefix, MAX_RESULT_BYTES, METRICS_BATCH, METRICS_BATCH_BYTES } from "../../protocol/batch-bytes.ts";
import { ResultSender } from "./result-sender.ts";
import { ThreadPool, leaseBlobs } from "./thread-pool.ts";
import type { ThreadReply } from "./thread.ts";
import { AgentState, type AgentEvent, type AgentInstruction, type Threads } from "./agent-state.ts";
import { POLL_TIMEOUT_MS, RUNG_POLL_MS, rungBackoffMs } from "../flow/poll-timing.ts";
import { blockedBy } from "../../protocol/early-stopping.ts";
import { termHandOff } from "./term-hand-off.ts";

const METRICS_FLUSH_MS = 500;
/** On SIGTERM, how long a running trial that does not checkpoint may go on before it is stopped and handed back. */
const TERM_GRACE_MS = 5000;
/**
 * On SIGTERM, how long trials that checkpoint get to store one before they are handed back
 * (--term-grace): under Slurm's default KillWait (30 s) between SIGTERM and SIGKILL.
 */
export const DEFAULT_CHECKPOINT_GRACE_MS = 25_000;
/** How long a stopping agent keeps sending its last results. */
const RESULT_DRAIN_MS = 5000;
/** At least the JSON of a result's fields besides its outcome (ids, status, worker, time; no error text). */
const RESULT_ENVELOPE_BYTES = 512;
/** The reason a poll is cut short by SIGTERM. */
const TERM_ABORT = new Error("the agent is terminating");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runAgent(ctx: NodeContext, module: WebAssembly.Module): Promise<NodeOutcome> {
  return new Agent(ctx, module).run();
}

class Agent {
  private relay: ProtocolClient;
  private controller: ProtocolClient;
  private pool: ThreadPool;
  private seq: number;
  /** Dataset and experiment blobs by SHA-256, each fetched once. */
  private blobs = new Map<string, Uint8Array>();
  /** Results until the relay acknowledges them. */
  private results: ResultSender;
  private metrics: MetricsBatch["items"] = [];
  private cancelled = new Set<string>();
  /** The flow's bookkeeping: checked leases (signatures dropped) waiting for a thread, rates, the relay's last word. */
  private readonly flow = new AgentState();
  /** Checks every lease and command against the controller's public key, whichever relay carried it. */
  private readonly verifier: WorkVerifier;
  /** Our relay handed us something the controller did not sign: we ask the controller for another. */
  private relayDistrusted = false;
  private mode: "run" | "update" | "exit" = "run";
  private terminating = false;
  /** A wake-up that came while no one was waiting: the next wait returns at once. */
  private woken = false;
  private wakeUp: () => void = () => (this.woken = true);
  private gflops = 0;
  /** Numbers this agent's result batches: each gets its own id, as the protocol asks. */
  private batchSeq = 0;
  /** Aborts the poll under way (SIGTERM). */
  private pollAbort: AbortController | undefined;
  /** SIGTERM cut a poll short: its answer, trials and all, was never read. */
  private pollCut = false;
  /** The checkpoint (stored form, its SHA-256 checked) each resuming trial starts from, by trialKey, until it goes to a thread. */
  private restores = new Map<string, Uint8Array>();
  /** The newest state of each trial not yet sent (a newer checkpoint replaces an unsent one), and the upload under way. */
  private statesQueued = new Map<string, Extract<ThreadReply, { type: "state" }>>();
  private statesUploading = new Map<string, Promise<void>>();
  /** Trials that ended on their thread whose result waits for their state's upload: still held. */
  private finishing = new Map<string, UnsignedLease>();
  /** When each trial's last checkpoint reached the relay (SIGTERM waits for fresh ones). */
  private checkpointStoredAt = new Map<string, number>();

  constructor(private readonly ctx: NodeContext, module: WebAssembly.Module) {
    this.relay = new ProtocolClient(ctx.join.relayUrl);
    this.relay.cookie = ctx.cookie;
    this.controller = new ProtocolClient(ctx.controller, ctx.token);
    // Joining again (a dead relay, a renewal) presents our identity, so we keep our id.
    this.controller.cookie = ctx.cookie;
    this.seq = ctx.join.commandSeq;
    this.verifier = new WorkVerifier(ctx.join.controllerKey);
    this.results = new ResultSender({
      send: async (results) => {
        await this.relay.call("results", { body: { batchId: `${ctx.join.nodeId}-${++this.batchSeq}`, results }, deflate: false });
      },
      log: ctx.log,
    });
    // The controller may grant fewer threads than the machine has (--max-threads): its relay hands out work for no more.
    this.pool = new ThreadPool(Math.min(ctx.threads, ctx.join.threads ?? ctx.threads), module, ctx.bundleSource === "source" ? "source" : { bundleSource: ctx.bundleSource }, {
      onReply: (reply, lease) => this.onReply(reply, lease),
      onReturned: (leases) => {
        // A terminating agent hands them back upstream, as its whole queue.
        if (this.terminating) for (const l of leases) this.queueResult(l, "released", {});
        else this.flowEvent({ type: "chunk-returned", leases });
        this.flowEvent({ type: "threads-free", threads: this.threads() });
      },
      onThreadError: (err, running, unstarted) => {
        ctx.log(`thread crashed: ${err.message}`);
        // A crash or an out-of-memory kill is the machine's, not the trial's: it runs again.
        if (running) this.queueResult(running, "failed", { error: `worker thread crashed: ${err.message}`, failure: "infrastructure" });
        // Not started: they run elsewhere or later, as any trial handed back.
        for (const l of unstarted) this.queueResult(l, "released", {});
      },
    }, { maxStateBytes: ctx.join.maxStateBytes });
  }

  /** The pool as the flow's decisions see it. */
  private threads(): Threads {
    return { size: this.pool.size, idle: this.pool.idle(), trialMs: this.pool.trialTimes() };
  }

  /**
   * Hands an event to the flow state and carries out what it says at once; returns the
   * instructions, of which the poll loop carries out its own (poll, rejoin, pause,
   * wait-for-wake) and reads the results of hand-back.
   */
  private flowEvent(event: AgentEvent): Array<AgentInstruction & { results?: TrialResult[] }> {
    const instructions = this.flow.handle(event, Date.now());
    return instructions.map((i) => {
      switch (i.type) {
        case "run-chunk":
          this.pool.run(i.leases, this.blobs, this.takeRestores(i.leases));
          return i;
        case "wake":
          this.wakeUp();
          return i;
        case "release":
          for (const l of i.leases) this.queueResult(l, "released", {});
          return i;
        case "cancel":
          for (const l of i.leases) this.queueResult(l, "cancelled", {});
          return i;
        case "hand-back":
          this.ctx.log(`handing back ${i.leases.map(key).join(", ")} from the reserve: threads elsewhere are idle`);
          return { ...i, results: i.leases.map((l) => this.queueResult(l, "released", {})) };
        default:
          return i;
      }
    });
  }

  /** Trials this agent holds: running on a thread, or received and waiting for one. */
  private held(): UnsignedLease[] {
    return [...this.pool.running(), ...this.flow.pending, ...this.finishing.values()];
  }

  /** The checkpoints these leases resume from, handed to their thread (and no longer kept here). */
  private takeRestores(leases: readonly UnsignedLease[]): Record<string, Uint8Array> | undefined {
    let out: Record<string, Uint8Array> | undefined;
    // Most chunks resume nothing: no key made per lease.
    if (!this.restores.size) return out;
    for (const l of leases) {
      const bytes = this.restores.get(key(l));
      if (!bytes) continue;
      (out ??= {})[key(l)] = bytes;
      this.restores.delete(key(l));
    }
    return out;
  }

  async run(): Promise<NodeOutcome> {
    const onTerm = () => {
      // Ctrl-C reaches `discalc run`'s agent twice: from the terminal, and from the run.
      if (this.terminating) return;
      this.ctx.log("terminating: handing back queued trials, finishing running ones");
      this.terminating = true;
      this.mode = "exit";
      this.flowEvent({ type: "terminate" });
      // Trials queued on a thread behind its running one come back skipped, and so handed back.
      this.pool.stopQueued();
      // Those that checkpoint store one now and are handed back to resume from it; the others
      // may finish within TERM_GRACE_MS, as before, and are handed back otherwise.
      const asked = this.pool.askCheckpoints();
      const askedKeys = new Set(asked.map(key));
      const others = this.pool.running().filter((l) => !askedKeys.has(key(l)));
      setTimeout(() => this.pool.stop(others), TERM_GRACE_MS).unref();
      if (asked.length) {
        const grace = this.ctx.termGraceMs ?? ((Number(process.env.DISCALC_TERM_GRACE_SECONDS) * 1000) || DEFAULT_CHECKPOINT_GRACE_MS);
        this.ctx.log(`terminating: asking ${asked.length} running trial(s) for a checkpoint (up to ${Math.round(grace / 1000)} s), then handing them back`);
        void this.handOffAfterCheckpoints(asked, Date.now(), grace);
      }
      // A long-poll under way would hold the exit for up to its whole wait.
      if (this.pollAbort) {
        this.pollCut = true;
        this.pollAbort.abort(TERM_ABORT);
      }
      this.wakeUp();
    };
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onTerm);
    const metricsTimer = setInterval(() => void this.flushMetrics(), METRICS_FLUSH_MS);
    const renewal = renewIdentity(this.controller, this.ctx, (cookie) => (this.relay.cookie = cookie));
    this.ctx.log(`worker ${this.ctx.join.nodeId}: ${this.pool.size} thread(s), relay ${this.ctx.join.relayUrl}`);
    try {
      while (this.mode === "run" || this.held().length > 0) {
        let plan = { free: 0, waitMs: 0, reserve: undefined as UnsignedLease[] | undefined };
        for (const i of this.flowEvent({ type: "poll-due", running: this.mode === "run", threads: this.threads() })) if (i.type === "poll") plan = i;
        let res: WorkResponse;
        // Its own timeout, and SIGTERM's (AbortSignal.any needs Node 20.3).
        const poll = new AbortController();
        this.pollAbort = poll;
        const timeout = setTimeout(() => poll.abort(new Error(`no answer from the relay in ${POLL_TIMEOUT_MS} ms`)), POLL_TIMEOUT_MS);
        try {
          res = await this.relay.call("work", {
            query: {
              free: plan.free, wait: plan.waitMs, seq: this.seq,
              threads: this.pool.size, host: this.ctx.host, gflops: Number(this.gflops.toFixed(2)),
            },
            body: {
              // Everything we hold, results not yet acknowledged included: the relay takes back what is not listed.
              running: formatTrialList([...this.held(), ...this.results.unacked()]),
              reserve: plan.reserve && formatTrialList(plan.reserve),
            },
            deflate: false,
            signal: poll.signal,
          });
        } catch (err) {
          // Cut short by SIGTERM: go on to hand back and drain, no failure (later failures count).
          if (poll.signal.reason === TERM_ABORT) continue;
          const then = this.flowEvent({ type: "poll-failed", unauthorized: err instanceof HttpError && err.status === 401 });
          this.ctx.log(`poll failed (${this.flow.failures}): ${(err as Error).message}`);
          for (const i of then) {
            if (i.type === "rejoin") await this.rejoin();
            if (i.type === "pause") await sleep(i.ms);
          }
          continue;
        } finally {
          clearTimeout(timeout);
          this.pollAbort = undefined;
        }
        // Trials handed back reach the relay before our next poll, which then no longer lists them.
        const handedBack = this.flowEvent({ type: "poll-answered", handBack: res.handBack, dry: res.dry ?? res.idle }).flatMap((i) => i.results ?? []);
        await this.results.flushUntilAcked(handedBack);
        await this.handle(res);
        this.flowEvent({ type: "threads-free", threads: this.threads() });
        if (this.relayDistrusted) {
          // Released above; the controller re-leases them, and gives us another relay.
          this.relayDistrusted = false;
          await this.results.flushUntilAcked(this.results.unacked());
          await this.rejoin();
        }
        this.checkIdle(res.idle);
        for (const i of this.flowEvent({ type: "answer-applied", trials: res.trials.length, commands: res.commands.length })) {
          if (i.type === "wait-for-wake") await this.waitForWake(i.ms);
        }
      }
    } finally {
      clearInterval(metricsTimer);
      clearInterval(renewal);
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onTerm);
    }
    await this.results.drain(RESULT_DRAIN_MS);
    await this.flushMetrics();
    // A poll cut short may have carried trials we never saw: saying we hold nothing (our
    // results are in) lets the relay hand them back now rather than when we fall silent.
    if (this.pollCut && !this.results.size) {
      await this.relay.call("work", { query: { free: 0, wait: 0, seq: this.seq }, body: { running: "" }, deflate: false, timeoutMs: 2000 }).catch(() => {});
    }
    await this.pool.close();
    if (this.terminating || this.mode === "exit") return { next: "exit", code: 0 };
    return { next: "update" };
  }

  /** Stops each asked trial once its checkpoint is stored (it is handed back, to resume there), the rest when the grace is over. */
  private async handOffAfterCheckpoints(asked: UnsignedLease[], askedAt: number, graceMs: number): Promise<void> {
    const byKey = new Map(asked.map((l) => [key(l), l]));
    for (;;) {
      const d = termHandOff(asked.map((l) => ({ key: key(l), running: this.pool.isRunning(l), storedAt: this.checkpointStoredAt.get(key(l)) })), askedAt, Date.now(), graceMs);
      if (d.stop.length) this.pool.stop(d.stop.map((k) => byKey.get(k)!));
      if (d.late.length) this.ctx.log(`no checkpoint stored within the grace period for trial(s) ${d.late.join(", ")}: handing them back as they are`);
      if (!d.waiting.length) return;
      await sleep(50);
    }
  }

  /** Sends a trial's state to the relay; a newer one replaces a state of the trial not yet sent. */
  private uploadState(reply: Extract<ThreadReply, { type: "state" }>, lease: UnsignedLease): void {
    const k = key(lease);
    this.statesQueued.set(k, reply);
    if (this.statesUploading.has(k)) return;
    this.statesUploading.set(k, (async () => {
      try {
        for (let r = this.statesQueued.get(k); r; r = this.statesQueued.get(k)) {
          this.statesQueued.delete(k);
          await this.sendState(r);
        }
      } finally {
        this.statesUploading.delete(k);
      }
    })());
  }

  private async sendState(r: Extract<ThreadReply, { type: "state" }>): Promise<void> {
    const what = `${r.kind === "final" ? "final state" : `checkpoint at step ${r.step}`} of trial ${r.trialId} (${r.rawBytes} bytes)`;
    for (let tries = 1; ; tries++) {
      try {
        await putState(this.relay, { trial: r.trialId, attempt: r.attempt, step: r.step, sha: r.sha256, kind: r.kind }, r.deflated);
        if (r.kind === "checkpoint") this.checkpointStoredAt.set(key(r), Date.now());
        return;
      } catch (err) {
        // Refused (not ours any more, past the cap): another try gets the same answer.
        const refused = err instanceof HttpError && err.status >= 400 && err.status < 500;
        this.ctx.log(`storing the ${what} failed${refused ? "" : ` (${tries})`}: ${(err as Error).message}`);
        if (refused || tries >= 3) return;
        await sleep(500 * tries);
      }
    }
  }

  private idleSince: number | undefined;

  /** --exit-when-idle: nothing held, nothing to send, nothing upstream, for the whole period. */
  private checkIdle(relayIdle: boolean): void {
    const limit = this.ctx.exitWhenIdleMs;
    if (limit === undefined || this.mode !== "run") return;
    if (!relayIdle || this.held().length || this.results.size) {
      this.idleSince = undefined;
      return;
    }
    this.idleSince ??= Date.now();
    if (Date.now() - this.idleSince >= limit) {
      this.ctx.log(`idle for ${Math.round(limit / 1000)} s with nothing to lease: exiting`);
      this.mode = "exit";
    }
  }

  /** Sleeps until a thread frees up or something else needs a poll (or `ms` passes). */
  private waitForWake(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = () => (this.woken = true);
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        this.wakeUp = () => (this.woken = true);
        resolve();
      };
    });
  }

  private async handle(res: WorkResponse): Promise<void> {
    for (const c of [...res.commands].sort((a, b) => a.seq - b.seq)) {
      const problem = this.verifier.commandProblem(c);
      if (problem === null) this.apply(c);
      else this.distrustRelay(`command ${c.seq} (${c.kind}): ${problem}`);
    }
    if (res.stop.length) this.stopTrials(res.stop);
    for (const signed of res.trials) {
      // Nothing is fetched or run on a relay's word: the controller's signature covers the
      // experiment and dataset hashes, the config, the seed and the bundle.
      const problem = this.verifier.leaseProblem(signed);
      if (problem !== null) {
        this.queueResult(signed, "released", {});
        this.distrustRelay(`trial ${signed.trialId} attempt ${signed.attempt}: ${problem}`);
        continue;
      }
      const { manifest, ...lease } = signed;
      // Leased for another bundle: the controller has moved on (a deploy); this one runs on the new code.
      if (manifest.bundleSha !== this.ctx.join.bundleSha) {
        this.queueResult(lease, "released", {});
        if (this.mode === "run") {
          this.ctx.log(`trial ${lease.trialId} is leased for bundle ${manifest.bundleSha.slice(0, 12)}, not ours (${this.ctx.join.bundleSha.slice(0, 12)}): handing it back and updating`);
          this.mode = "update";
        }
        continue;
      }
      // Trials that came with an update or shutdown still run; only a terminating agent
      // hands them back.
      if (this.terminating) {
        this.queueResult(lease, "released", {});
        continue;
      }
      try {
        await this.ensureBlobs(lease);
        if (lease.restore) this.restores.set(key(lease), await this.fetchCheckpoint(lease, lease.restore.sha256));
      } catch (err) {
        // A blob that could not be fetched here may be fetched elsewhere or later.
        this.queueResult(lease, "failed", { error: (err as Error).message, failure: "infrastructure" });
        continue;
      }
      this.flowEvent({ type: "trial-ready", lease });
    }
    this.flowEvent({ type: "trials-received", received: res.trials.length });
  }

  /** A lease or command the controller did not sign came through our relay: refused, and we leave that relay. */
  private distrustRelay(what: string): void {
    this.ctx.log(`REFUSED from relay ${this.relay.base}: ${what}; asking the controller for another relay`);
    this.relayDistrusted = true;
  }

  /** Cancels trials: queued ones are reported at once, running ones stop after their step. */
  private stopTrials(refs: TrialRef[]): void {
    this.flowEvent({ type: "stop-trials", refs });
    for (const r of refs) this.cancelled.add(key(r));
    this.pool.stop(refs);
  }

  private apply(c: Command): void {
    if (c.seq <= this.seq) return;
    this.seq = c.seq;
    switch (c.kind) {
      case "cancel":
        this.stopTrials(this.held().filter((l) => (c.trialId === null || l.trialId === c.trialId) && (c.sweepId === null || l.sweepId === c.sweepId)));
        break;
      case "update":
        if (c.bundleSha && c.bundleSha !== this.ctx.join.bundleSha && this.mode === "run") {
          this.ctx.log(`update to bundle ${c.bundleSha.slice(0, 12)}: letting ${this.held().length} held trial(s) finish`);
          this.mode = "update";
        }
        break;
      case "shutdown":
        this.ctx.log("shutdown command: finishing running trials, then exiting");
        this.mode = "exit";
        break;
      default:
        break;
    }
  }

  private async ensureBlobs(lease: UnsignedLease): Promise<void> {
    for (const sha of leaseBlobs(lease)) {
      if (this.blobs.has(sha)) continue;
      const what = sha === lease.experiment.sha ? `experiment ${lease.experiment.name}` : `dataset ${Object.keys(lease.datasets).find((k) => lease.datasets[k] === sha)}`;
      // fetchBlob refuses bytes whose SHA-256 is not the one the controller named.
      this.blobs.set(sha, await this.relay.fetchBlob(sha).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      }));
    }
  }

  /** The checkpoint a lease resumes from, through our relay, refused unless its SHA-256 is the signed lease's. */
  private async fetchCheckpoint(lease: UnsignedLease, sha: string): Promise<Uint8Array> {
    try {
      const deflated = await this.relay.call("restore", { pathParams: { sha }, query: { trial: lease.trialId, attempt: lease.attempt }, timeoutMs: 120_000 });
      return inflateState(deflated, sha, this.ctx.join.maxStateBytes ?? DEFAULT_BODY_CAP, this.relay.base);
    } catch (err) {
      throw new Error(`checkpoint ${sha.slice(0, 12)} of trial ${lease.trialId}: ${(err as Error).message}`);
    }
  }

  private onReply(reply: Exclude<ThreadReply, { type: "returned" | "chunk" }>, lease: UnsignedLease): void {
    if (reply.type === "state") {
      this.uploadState(reply, lease);
      return;
    }
    // Most trials upload no state: no key made per reply then.
    const uploading = this.statesUploading.size ? this.statesUploading.get(key(lease)) : undefined;
    if (uploading && reply.type !== "reports" && reply.type !== "rung") {
      // Its result goes once its state is up (the controller keeps a final state only of a
      // trial whose result follows); the thread is free now, and the trial still held.
      this.finishing.set(key(lease), lease);
      void uploading.finally(() => {
        this.finishing.delete(key(lease));
        this.endTrial(reply, lease);
        this.wakeUp();
      });
      this.flowEvent({ type: "trial-ended", running: this.mode === "run", threads: this.threads() });
      return;
    }
    if (reply.type === "reports" || reply.type === "rung") return this.streamReply(reply, lease);
    this.endTrial(reply, lease);
    this.flowEvent({ type: "trial-ended", running: this.mode === "run", threads: this.threads() });
  }

  private streamReply(reply: Extract<ThreadReply, { type: "reports" | "rung" }>, lease: UnsignedLease): void {
    if (reply.type === "reports") {
      for (const { step, values } of reply.items) this.metrics.push({ trialId: reply.trialId, attempt: reply.attempt, step, values });
      return;
    }
    void this.awaitRung(lease, reply.step, reply.reports);
  }

  /** A trial's end on its thread, as its result. */
  private endTrial(reply: Extract<ThreadReply, { type: "done" | "failed" | "skipped" }>, lease: UnsignedLease): void {
    if (this.checkpointStoredAt.size) this.checkpointStoredAt.delete(key(lease));
    if (reply.type === "failed") {
      // A diverged trial's finite reports travel with it, unless they could never be uploaded.
      const outcome = reply.outcome && (reply.outcomeBytes ?? 0) <= MAX_RESULT_BYTES ? reply.outcome : undefined;
      this.queueResult(lease, "failed", { error: reply.error, failure: reply.failure, outcome, outcomeBytes: outcome && reply.outcomeBytes });
    } else if (reply.type === "skipped" || reply.stopped || reply.earlyStop === "release") {
      this.queueResult(lease, this.cancelled.has(key(lease)) ? "cancelled" : "released", {});
    } else if (reply.outcomeBytes > MAX_RESULT_BYTES) {
      // It could never be uploaded, and would be as large again: fail it with the reason rather than retry it.
      this.queueResult(lease, "failed", { error: `result too large: ${reply.outcomeBytes} bytes of JSON, at most ${MAX_RESULT_BYTES} (report less often)`, failure: "experiment" });
    } else if (reply.earlyStop === "prune") {
      this.queueResult(lease, "pruned", { outcome: reply.outcome, outcomeBytes: reply.outcomeBytes });
    } else {
      this.gflops = reply.outcome.info.gemmGflops ?? this.gflops;
      this.queueResult(lease, "done", { outcome: reply.outcome, outcomeBytes: reply.outcomeBytes });
    }
    this.cancelled.delete(key(lease));
  }

  /**
   * A trial waiting at a rung: asks (long-polling) until its decision is determined, then
   * answers the thread. Handed back to run later when it would wait past the sweep's
   * max_wait_seconds, when a trial it may be waiting for sits in this agent's reserve with
   * no thread free to run it, or when the answer says a trial it waits for runs nowhere (queued
   * at the controller, unstarted at the relay): that trial may need this very thread.
   *
   * Handed back, not parked: the experiment's code is synchronous at the rung (its whole state
   * is on the thread's stack), so the thread cannot be freed with the trial kept; a spare
   * thread to run the awaited trial would put more trials on the cores than the agent was
   * granted. A handed-back trial runs again from its start (or its checkpoint) under a new
   * attempt: same seed, same reports, so the same decision as if it had waited.
   */
  private async awaitRung(lease: UnsignedLease, step: number, reports: Array<Record<string, number>>): Promise<void> {
    const until = Date.now() + (lease.earlyStopping?.max_wait_seconds ?? 0) * 1000;
    let failures = 0;
    while (this.pool.isRunning(lease)) {
      const blocking = this.flow.waitsOnReserve(lease, this.pool.idle());
      const left = until - Date.now();
      if (blocking || left <= 0) return this.pool.decide(lease, "release");
      try {
        const wait = Math.min(RUNG_POLL_MS, left);
        const d = await this.relay.call("rung", {
          query: { trial: lease.trialId, attempt: lease.attempt, step, wait }, body: { reports }, timeoutMs: wait + 10_000,
        });
        failures = 0;
        if (d.decision !== "pending") return this.pool.decide(lease, d.decision);
        const blocked = blockedBy(d);
        if (blocked.length) {
          const what = blocked.slice(0, 5).map((t) => `${t.trialId} (${t.state})`).join(", ");
          this.ctx.log(`trial ${lease.trialId} waits at step ${step} for trial(s) ${what} that no thread runs: handing it back to run after them`);
          return this.pool.decide(lease, "release");
        }
      } catch (err) {
        // Not ours any more (revoked, expired): hand it back; the relay has its own view.
        if (err instanceof HttpError && err.status === 409) return this.pool.decide(lease, "release");
        this.ctx.log(`rung decision for trial ${lease.trialId} failed (${++failures}): ${(err as Error).message}`);
        await sleep(rungBackoffMs(failures));
      }
    }
  }

  private queueResult(
    lease: TrialRef, status: TrialResult["status"],
    fields: { error?: string; outcome?: TrialResult["outcome"]; outcomeBytes?: number; failure?: TrialResult["failure"] },
  ): TrialResult {
    const result: TrialResult = {
      trialId: lease.trialId, attempt: lease.attempt, status, workerId: this.ctx.join.nodeId,
      error: fields.error ?? null, outcome: fields.outcome ?? null, finishedAt: Date.now(),
    };
    if (fields.failure) result.failure = fields.failure;
    if (this.restores.size) this.restores.delete(key(lease));
    // The rest of a result is small and bounded, except an error's text (measured when sizing, it is rare).
    this.results.add(result, fields.outcomeBytes === undefined ? undefined : fields.outcomeBytes + RESULT_ENVELOPE_BYTES);
    return result;
  }

  private async flushMetrics(): Promise<void> {
    while (this.metrics.length) {
      const items = this.metrics.splice(0, batchPrefix(this.metrics, METRICS_BATCH, METRICS_BATCH_BYTES));
      await this.relay.call("metrics", { body: { items }, deflate: false }).catch(() => {});
    }
  }

  /** Asks the controller again for a relay (ours is unreachable), keeping our identity. */
  private async rejoin(): Promise<void> {
    try {
      const join = await this.controller.call("join", {
        query: { threads: this.pool.size, role: "worker", host: this.ctx.host, node: this.ctx.join.nodeId },
      });
      this.relay = new ProtocolClient(join.relayUrl);
      this.relay.cookie = this.controller.cookie;
      this.ctx.log(`rejoined: relay is now ${join.relayUrl}`);
      if (join.bundleSha !== this.ctx.join.bundleSha && this.mode === "run") this.mode = "update";
    } catch (err) {
      this.ctx.log(`rejoin failed: ${(err as Error).message}`);
    }
  }
}
