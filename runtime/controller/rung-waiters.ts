// Trials waiting at a rung for their stopping decision. A decision that is still open when the
// request comes is re-checked whenever the sweep gets a report or a trial of it ends, and
// answered as soon as it is determined (or, after the request's wait, as still pending).
import type { Scheduler } from "./scheduler.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import type { MetricValues, TrialRef } from "../../protocol/messages.ts";

interface Waiter {
  ref: TrialRef;
  step: number;
  resolve(d: RungDecision): void;
  timer: NodeJS.Timeout;
}

const PENDING: RungDecision = { decision: "pending", reason: null };

export class RungWaiters {
  private bySweep = new Map<number, Set<Waiter>>();
  private dirty = new Set<number>();
  private scheduled = false;

  constructor(private readonly scheduler: Scheduler) {
    scheduler.onSweepsChanged = (ids) => this.changed(ids);
  }

  /** Stores a trial's rung reports and answers its decision, waiting up to `waitMs` while it is open. */
  async decide(relayId: string, ref: TrialRef, step: number, reports: MetricValues[], waitMs: number): Promise<RungDecision> {
    const { decision: now, sweepId } = await this.scheduler.recordRung(relayId, ref, step, reports);
    if (now.decision !== "pending" || waitMs <= 0) return now;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ref, step,
        resolve: (d) => {
          clearTimeout(waiter.timer);
          this.bySweep.get(sweepId)?.delete(waiter);
          resolve(d);
        },
        timer: setTimeout(() => waiter.resolve(PENDING), waitMs),
      };
      let set = this.bySweep.get(sweepId);
      if (!set) this.bySweep.set(sweepId, (set = new Set()));
      set.add(waiter);
    });
  }

  /** Answers every waiter as pending (the controller is stopping; workers ask again elsewhere). */
  close(): void {
    for (const set of this.bySweep.values()) for (const w of [...set]) w.resolve(PENDING);
  }

  private changed(ids: ReadonlySet<number>): void {
    for (const id of ids) if (this.bySweep.has(id)) this.dirty.add(id);
    // Called once the transaction that made the change has committed (Scheduler.sweepsChanged); once for a burst of changes.
    if (this.dirty.size && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.recheck().catch(() => {}));
    }
  }

  private async recheck(): Promise<void> {
    this.scheduled = false;
    const sweeps = [...this.dirty];
    this.dirty.clear();
    for (const id of sweeps) {
      for (const w of [...(this.bySweep.get(id) ?? [])]) {
        const trial = await this.scheduler.store.trial(w.ref.trialId);
        // No longer this attempt's to decide (expired, cancelled): the worker learns that elsewhere.
        if (!trial || trial.state !== "leased" || trial.attempts !== w.ref.attempt) {
          w.resolve(PENDING);
          continue;
        }
        const d = await this.scheduler.rungDecision(trial, w.step);
        if (d.decision !== "pending") w.resolve(d);
      }
    }
  }
}
