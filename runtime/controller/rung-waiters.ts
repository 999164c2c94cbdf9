// Trials waiting at a rung for their stopping decision. A decision that is still open when the
// request comes is re-checked when reports at its step come in or a trial of its sweep ends,
// and answered as soon as it is determined (or, after the request's wait, as still pending).
// Waiting costs nothing once its client is gone: there is one wait per (trial, attempt, step),
// which repeated posts join; a wait is dropped when its last client disconnects; a decided
// rung is answered from memory; and a change re-checks only the waits at the steps it touched.
import type { Scheduler } from "./scheduler.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import type { MetricValues, TrialRef } from "../../protocol/messages.ts";
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
}

const PENDING: RungDecision = { decision: "pending", reason: null };

export class RungWaiters {
  private readonly byKey = new Map<string, Wait>();
  /** Waits by sweep, then by step: a change re-checks only the steps it touched. */
  private readonly bySweep = new Map<number, Map<number, Set<Wait>>>();
  private readonly decided = new RecentDecisions();
  /** Sweeps to re-check, each with the steps that changed (null: any step, a trial ended). */
  private dirty = new Map<number, Set<number> | null>();
  private scheduled = false;

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
  async decide(relayId: string, ref: TrialRef, step: number, reports: MetricValues[], waitMs: number, signal?: AbortSignal): Promise<RungDecision> {
    const key = `${ref.trialId}:${ref.attempt}:${step}`;
    const known = this.decided.get(key, relayId);
    if (known) return known;
    let wait = this.byKey.get(key);
    // A post for a rung already waited on joins that wait: its reports are the ones stored
    // with the first post (a worker sends the same ones again), and nothing is decided anew.
    if (!wait || wait.relayId !== relayId) {
      const { decision, sweepId } = await this.scheduler.recordRung(relayId, ref, step, reports);
      if (decision.decision !== "pending") {
        this.decided.remember(key, relayId, decision);
        return decision;
      }
      if (waitMs <= 0 || signal?.aborted) return decision;
      wait = this.byKey.get(key) ?? this.open({ key, sweepId, relayId, ref, step, clients: new Set() });
    }
    if (waitMs <= 0 || signal?.aborted) return PENDING;
    return this.join(wait, waitMs, signal);
  }

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
    if (d.decision !== "pending") this.decided.remember(w.key, w.relayId, d);
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
          this.settle(w, PENDING);
          continue;
        }
        const d = await this.scheduler.rungDecision(trial, w.step);
        if (d.decision !== "pending" && this.byKey.get(w.key) === w) this.settle(w, d);
      }
    }
  }
}
