// Trials waiting at a rung for their stopping decision. A decision that is still open when the
// request comes is re-checked when reports at its step come in or a trial of its sweep ends,
// and answered as soon as it is determined (or, after the request's wait, as still pending).
// Waiting costs nothing once its client is gone: there is one wait per (trial, attempt, step),
// which repeated posts join; a wait is dropped when its last client disconnects; a decided
// rung is answered from memory; and a change re-checks only the waits at the steps it touched.
// A pending decision that waits for a trial no thread runs (queued here, or unstarted at the
// asking relay) is answered at once: its worker hands the trial back rather than hold a thread
// that trial may need (blockedBy in protocol/early-stopping.ts).
import type { Scheduler } from "./scheduler.ts";
import { blockedBy, type RungDecision } from "../../../protocol/early-stopping.ts";
import type { MetricValues, TrialRef } from "../../../protocol/messages.ts";
import { RecentDecisions } from "./recent-decisions.ts";

/** One request waiting for a decision. */
interface Client {
  resolve(d: RungDecision): void;
  timer: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The open decision of one (trial, attempt, step), and the requests that wait for it. */
interface Wait {
  key: string;
  sweepId: number;
  relayId: string;
  ref: TrialRef;
  step: number;
  clients: Set<Client>;
  /** What the asking relay held unstarted, as its latest post said. */
  unstarted: ReadonlySet<number>;
}

/** A trial whose last answer was pending: what the stall watch reports on. */
export interface PendingRung {
  ref: TrialRef;
  sweepId: number;
  step: number;
  unstarted: ReadonlySet<number>;
  /** When it was last asked or answered. */
  at: number;
  /** The last pending answer (what it waited for then). */
  decision: RungDecision;
}

/** A trial not asked about for this long is no longer taken to wait (it ended, or its worker went). */
const PENDING_FORGET_MS = 60_000;

const PENDING: RungDecision = { decision: "pending", reason: null };

export class RungWaiters {
  private readonly byKey = new Map<string, Wait>();
  /** Waits by sweep, then by step: a change re-checks only the steps it touched. */
  private readonly bySweep = new Map<number, Map<number, Set<Wait>>>();
  private readonly decided = new RecentDecisions();
  /** Sweeps to re-check, each with the steps that changed (null: any step, a trial ended). */
  private dirty = new Map<number, Set<number> | null>();
  private scheduled = false;
  /** By trial:attempt: trials whose decision was last answered pending. */
  private readonly pendingRungs = new Map<string, PendingRung>();

  constructor(private readonly scheduler: Scheduler) {
    scheduler.onSweepsChanged = (ids, steps) => this.changed(ids, steps);
  }

  /** Open decisions being waited for, and the requests waiting for them (for /metrics and tests). */
  get counts(): { waits: number; requests: number } {
    let requests = 0;
    for (const w of this.byKey.values()) requests += w.clients.size;
    return { waits: this.byKey.size, requests };
  }

  /**
   * Stores a trial's rung reports and answers its decision, waiting up to `waitMs` while it is
   * open, or until `signal` says the caller is gone.
   */
  async decide(
    relayId: string, ref: TrialRef, step: number, reports: MetricValues[], waitMs: number, signal?: AbortSignal, unstartedIds: readonly number[] = [],
  ): Promise<RungDecision> {
    const key = `${ref.trialId}:${ref.attempt}:${step}`;
    const known = this.decided.get(key, relayId);
    if (known) return known;
    const unstarted = new Set(unstartedIds);
    let wait = this.byKey.get(key);
    // A post for a rung already waited on joins that wait: its reports are the ones stored
    // with the first post (a worker sends the same ones again), and nothing is decided anew
    // (unless the relay now holds other trials unstarted: then it is checked again soon).
    if (!wait || wait.relayId !== relayId) {
      const { decision, sweepId } = await this.scheduler.recordRung(relayId, ref, step, reports, unstarted);
      if (decision.decision !== "pending") {
        this.decided.remember(key, relayId, decision);
        this.pendingRungs.delete(`${ref.trialId}:${ref.attempt}`);
        return decision;
      }
      this.notePending({ ref, sweepId, step, unstarted, at: this.scheduler.now(), decision });
      // Waiting would hold the worker's thread for a trial that needs a thread: answer now.
      if (waitMs <= 0 || signal?.aborted || blockedBy(decision).length) return decision;
      wait = this.byKey.get(key) ?? this.open({ key, sweepId, relayId, ref, step, clients: new Set(), unstarted });
    } else if (!sameIds(wait.unstarted, unstarted)) {
      wait.unstarted = unstarted;
      this.changed(new Set([wait.sweepId]), new Set([step]));
    }
    const pending = this.pendingRungs.get(`${ref.trialId}:${ref.attempt}`);
    if (pending) pending.at = this.scheduler.now();
    if (waitMs <= 0 || signal?.aborted) return pending?.step === step ? pending.decision : PENDING;
    return this.join(wait, waitMs, signal);
  }

  /** Trials of a sweep whose decision is pending, as last asked (within the last minute). */
  pendingOf(sweepId: number): PendingRung[] {
    const now = this.scheduler.now();
    const out: PendingRung[] = [];
    for (const [k, p] of this.pendingRungs) {
      if (now - p.at > PENDING_FORGET_MS) this.pendingRungs.delete(k);
      else if (p.sweepId === sweepId) out.push(p);
    }
    return out.sort((a, b) => a.ref.trialId - b.ref.trialId);
  }

  private notePending(p: PendingRung): void {
    // One entry per attempt, dropped when decided; those of attempts that ended undecided
    // (handed back, failed) are dropped once a minute old, in a pass at most once a minute.
    this.pendingRungs.set(`${p.ref.trialId}:${p.ref.attempt}`, p);
    if (p.at - this.purgedAt < PENDING_FORGET_MS) return;
    this.purgedAt = p.at;
    for (const [k, q] of this.pendingRungs) if (p.at - q.at > PENDING_FORGET_MS) this.pendingRungs.delete(k);
  }
  private purgedAt = 0;

  /** Answers every waiter as pending (the controller is stopping; workers ask again elsewhere). */
  close(): void {
    for (const w of [...this.byKey.values()]) this.settle(w, PENDING);
  }

  private open(w: Wait): Wait {
    this.byKey.set(w.key, w);
    let steps = this.bySweep.get(w.sweepId);
    if (!steps) this.bySweep.set(w.sweepId, (steps = new Map()));
    let set = steps.get(w.step);
    if (!set) steps.set(w.step, (set = new Set()));
    set.add(w);
    return w;
  }

  private unindex(w: Wait): void {
    if (this.byKey.get(w.key) !== w) return;
    this.byKey.delete(w.key);
    const steps = this.bySweep.get(w.sweepId)!;
    const set = steps.get(w.step)!;
    set.delete(w);
    if (set.size === 0) steps.delete(w.step);
    if (steps.size === 0) this.bySweep.delete(w.sweepId);
  }

  private join(w: Wait, waitMs: number, signal: AbortSignal | undefined): Promise<RungDecision> {
    return new Promise((resolve) => {
      const client: Client = { resolve, timer: setTimeout(() => this.leave(w, client), waitMs), signal };
      if (signal) {
        client.onAbort = () => this.leave(w, client);
        signal.addEventListener("abort", client.onAbort, { once: true });
      }
      w.clients.add(client);
    });
  }

  private release(client: Client, d: RungDecision): void {
    clearTimeout(client.timer);
    if (client.onAbort) client.signal!.removeEventListener("abort", client.onAbort);
    client.resolve(d);
  }

  /** One request stops waiting (its wait ran out, or its client went away); the last one takes the wait with it. */
  private leave(w: Wait, client: Client): void {
    if (!w.clients.delete(client)) return;
    this.release(client, PENDING);
    if (w.clients.size === 0) this.unindex(w);
  }

  private settle(w: Wait, d: RungDecision): void {
    this.unindex(w);
    if (d.decision !== "pending") {
      this.decided.remember(w.key, w.relayId, d);
      this.pendingRungs.delete(`${w.ref.trialId}:${w.ref.attempt}`);
    } else if (d.waitingFor) {
      this.notePending({ ref: w.ref, sweepId: w.sweepId, step: w.step, unstarted: w.unstarted, at: this.scheduler.now(), decision: d });
    }
    for (const c of w.clients) this.release(c, d);
    w.clients.clear();
  }

  private changed(ids: ReadonlySet<number>, steps?: ReadonlySet<number>): void {
    for (const id of ids) {
      if (!this.bySweep.has(id)) continue;
      const had = this.dirty.get(id);
      if (had === null) continue;
      if (!steps) this.dirty.set(id, null);
      else this.dirty.set(id, new Set([...(had ?? []), ...steps]));
    }
    // Called once the transaction that made the change has committed (Scheduler.sweepsChanged); once for a burst of changes.
    if (this.dirty.size && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.recheck().catch(() => {}));
    }
  }

  private async recheck(): Promise<void> {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = new Map();
    for (const [id, changedSteps] of dirty) {
      const steps = this.bySweep.get(id);
      if (!steps) continue;
      const waits = [...(changedSteps ?? steps.keys())].flatMap((s) => [...(steps.get(s) ?? [])]);
      for (const w of waits) {
        if (this.byKey.get(w.key) !== w) continue;
        const trial = await this.scheduler.store.trial(w.ref.trialId);
        // No longer this attempt's to decide (expired, cancelled): the worker learns that elsewhere.
        if (!trial || trial.state !== "leased" || trial.attempts !== w.ref.attempt) {
          this.pendingRungs.delete(`${w.ref.trialId}:${w.ref.attempt}`);
          this.settle(w, PENDING);
          continue;
        }
        const d = await this.scheduler.rungDecision(trial, w.step, w.unstarted);
        // Decided, or now waiting for a trial no thread runs (a retry queued behind it): answered.
        if ((d.decision !== "pending" || blockedBy(d).length) && this.byKey.get(w.key) === w) this.settle(w, d);
      }
    }
  }
}

function sameIds(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
