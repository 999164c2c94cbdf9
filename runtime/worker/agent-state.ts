// An agent's flow bookkeeping and decisions, free of I/O: the trials it holds for its threads
// (its reserve), how fast its threads finish them, what it asks its relay for and how it
// polls, which trials go to a thread together, what it hands back at a sweep's end. Events
// come in with the time (`handle(event, now)`); instructions go out; agent.ts carries them out
// with the thread pool, timers and HTTP. Sizes and timings come from runtime/flow/.
import type { TrialRef, UnsignedLease } from "../../protocol/messages.ts";
import { trialKey as key } from "../../protocol/routes.ts";
import { agentAsk, reserveSize, RESERVE_HORIZON_S, workerFinishes, workerRate } from "../flow/reserve.ts";
import { chunkSize } from "../flow/chunk-size.ts";
import {
  IDLE_POLL_MS, POLL_WAIT_MS, REJOIN_AFTER_FAILURES, pollAgainAtOnce, pollBackoffMs, pollDueOnFinish, pollShape,
} from "../flow/poll-timing.ts";

/** The thread pool as the decisions see it. */
export interface Threads {
  /** Threads in the pool. */
  size: number;
  /** Threads with nothing to run. */
  idle: number;
  /** A sweep's recent time per trial on a thread, in ms (flow/chunk-size.ts nextTrialMs), by sweep. */
  trialMs: ReadonlyMap<number, number>;
}

export type AgentEvent =
  /** The agent is about to poll; `running`: it is not updating or exiting (it asks for trials). */
  | { type: "poll-due"; running: boolean; threads: Threads }
  /** The poll failed; `unauthorized`: the relay no longer knows our identity. */
  | { type: "poll-failed"; unauthorized: boolean }
  /** The relay answered: which reserved trials it asks back (undefined: it does not read reserves), whether upstream is dry. */
  | { type: "poll-answered"; handBack: TrialRef[] | undefined; dry: boolean }
  /** A trial of the answer is checked and its blobs are here: it waits for a thread. */
  | { type: "trial-ready"; lease: UnsignedLease }
  /** The answer's trials (`received` of them) are all dealt with. */
  | { type: "trials-received"; received: number }
  /** The whole answer is carried out: `trials` and `commands` it brought. */
  | { type: "answer-applied"; trials: number; commands: number }
  /** Threads may be idle: start what waits. */
  | { type: "threads-free"; threads: Threads }
  /** A trial ended on a thread (its thread is free); `running` as for poll-due. */
  | { type: "trial-ended"; running: boolean; threads: Threads }
  /** A chunk ran long and gave back the trials it had not started, in order: they go first. */
  | { type: "chunk-returned"; leases: UnsignedLease[] }
  /** Trials to cancel: those not started are reported cancelled at once. */
  | { type: "stop-trials"; refs: TrialRef[] }
  /** SIGTERM: every trial not on a thread goes back. */
  | { type: "terminate" };

export type AgentInstruction =
  /** Poll the relay: ask for `free` trials, wait up to `waitMs` there, list the reserve when `reserve` is given. */
  | { type: "poll"; free: number; waitMs: number; reserve: UnsignedLease[] | undefined }
  /** Ask the controller for another relay. */
  | { type: "rejoin" }
  /** Sleep this long before polling again. */
  | { type: "pause"; ms: number }
  /** Sleep until a thread frees up (a `wake`), or `ms`. */
  | { type: "wait-for-wake"; ms: number }
  /** Bring the next poll forward. */
  | { type: "wake" }
  /** Return these unstarted trials to the relay (released), before the next poll. */
  | { type: "hand-back"; leases: UnsignedLease[] }
  /** Report these unstarted trials released (the agent stops). */
  | { type: "release"; leases: UnsignedLease[] }
  /** Report these unstarted trials cancelled. */
  | { type: "cancel"; leases: UnsignedLease[] }
  /** Run these trials, one after another, on one idle thread. */
  | { type: "run-chunk"; leases: UnsignedLease[] };

export class AgentState {
  /** Checked leases waiting for a thread (the reserve), in the order they start. */
  pending: UnsignedLease[] = [];
  /** Trials finished on this agent's threads: the reserve is sized by their rate. */
  private readonly finished = workerFinishes();
  /** The relay answers with `handBack`, so it reads our `reserve` (older relays refuse the parameter). */
  relayTakesBack = false;
  /** The relay's last answer said the controller has nothing more to lease (the sweep's last trials are out). */
  relayDry = false;
  /** Failed polls in a row. */
  private failedPolls = 0;
  /** What the last poll asked for, and whether it waited at the relay. */
  private lastPoll = { free: 0, longPoll: false };
  private now = 0;
  private out: AgentInstruction[] = [];

  handle(event: AgentEvent, now: number): AgentInstruction[] {
    this.now = now;
    this.out = [];
    switch (event.type) {
      case "poll-due": this.planPoll(event.running, event.threads); break;
      case "poll-failed":
        this.failedPolls++;
        if (this.failedPolls >= REJOIN_AFTER_FAILURES || event.unauthorized) this.out.push({ type: "rejoin" });
        this.out.push({ type: "pause", ms: pollBackoffMs(this.failedPolls) });
        break;
      case "poll-answered":
        this.failedPolls = 0;
        this.relayTakesBack = event.handBack !== undefined;
        this.relayDry = event.dry;
        this.handBack(event.handBack ?? []);
        break;
      case "trial-ready": this.pending.push(event.lease); break;
      case "trials-received":
        // Started in trial order: a trial waits at a rung only for earlier ones, so an earlier one
        // (a retry) that arrived late must not sit behind it.
        if (event.received && this.pending.length > event.received) this.pending.sort((a, b) => a.trialId - b.trialId);
        break;
      case "answer-applied":
        if (!pollAgainAtOnce(this.lastPoll.free, event.trials, event.commands > 0, this.lastPoll.longPoll)) this.out.push({ type: "wait-for-wake", ms: IDLE_POLL_MS });
        break;
      case "threads-free": this.startPending(event.threads); break;
      case "trial-ended": {
        this.finished.add(now);
        const idle = this.startPending(event.threads);
        const due = pollDueOnFinish({
          running: event.running, relayDry: this.relayDry, idleThreads: idle, waiting: this.pending.length, reserveTarget: this.reserveTarget(event.threads.size, now),
        });
        if (due) this.out.push({ type: "wake" });
        break;
      }
      case "chunk-returned": this.pending.unshift(...event.leases); break;
      case "stop-trials": {
        const keys = new Set(event.refs.map(key));
        const stopped = this.pending.filter((p) => keys.has(key(p)));
        this.pending = this.pending.filter((p) => !keys.has(key(p)));
        if (stopped.length) this.out.push({ type: "cancel", leases: stopped });
        break;
      }
      case "terminate": {
        const left = this.pending.splice(0);
        if (left.length) this.out.push({ type: "release", leases: left });
        break;
      }
    }
    return this.out;
  }

  /** Failed polls in a row. */
  get failures(): number {
    return this.failedPolls;
  }

  /** Trials to hold beyond the threads, so a finished thread starts its next trial without a round trip (flow/reserve.ts). */
  reserveTarget(threads: number, now: number): number {
    return reserveSize(workerRate(this.finished, now), threads, RESERVE_HORIZON_S.agent);
  }

  /**
   * Whether a trial waiting at a rung blocks progress here: no thread is free and an earlier
   * trial of its sweep, which it may wait for, sits in the reserve.
   */
  waitsOnReserve(lease: UnsignedLease, idleThreads: number): boolean {
    return idleThreads === 0 && this.pending.some((p) => p.sweepId === lease.sweepId && p.trialId < lease.trialId);
  }

  private planPoll(running: boolean, threads: Threads): void {
    // Ask for a trial per idle thread plus a reserve.
    const free = running ? agentAsk(threads.idle, threads.size, this.pending.length, workerRate(this.finished, this.now)) : 0;
    const { longPoll, tellReserve } = pollShape({
      running, free, idleThreads: threads.idle, waiting: this.pending.length, relayTakesBack: this.relayTakesBack, relayDry: this.relayDry,
    });
    this.lastPoll = { free, longPoll };
    this.out.push({ type: "poll", free, waitMs: longPoll ? POLL_WAIT_MS : 0, reserve: tellReserve ? [...this.pending] : undefined });
  }

  /** Returns the unstarted trials the relay asks back (started ones stay). */
  private handBack(refs: TrialRef[]): void {
    const asked = new Set(refs.map(key));
    const back = this.pending.filter((l) => asked.has(key(l)));
    if (!back.length) return;
    this.pending = this.pending.filter((l) => !asked.has(key(l)));
    this.out.push({ type: "hand-back", leases: back });
  }

  /** Hands waiting trials to idle threads, a chunk each (flow/chunk-size.ts); returns the threads left idle. */
  private startPending(threads: Threads): number {
    let idle = threads.idle;
    while (idle > 0 && this.pending.length) {
      const first = this.pending[0]!;
      const size = chunkSize(threads.trialMs.get(first.sweepId), this.pending.length, threads.size);
      let n = 1;
      // A trial that may wait at a rung goes alone: one queued behind it could be what it waits for.
      // A chunk holds one sweep's trials, sized by that sweep's time per trial.
      if (!first.earlyStopping) while (n < size && n < this.pending.length && this.pending[n]!.sweepId === first.sweepId) n++;
      this.out.push({ type: "run-chunk", leases: this.pending.splice(0, n) });
      idle--;
    }
    return idle;
  }
}
