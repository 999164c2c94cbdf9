// The stall watch: every few seconds, for each running sweep, asks stallOf (stall-report.ts)
// whether it has had no progress for too long although work is left, and keeps the answer for
// GET /api/sweeps/:id, `discalc status` and `discalc run`. It logs when a stall begins, when
// what it waits for changes, and when progress resumes: a hang is never silent.
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { RungWaiters } from "../scheduler/rung-waiters.ts";
import type { SweepStall } from "../../../protocol/api.ts";
import { stallOf, type StallInput } from "./stall-report.ts";
import type { EventLog } from "../../log.ts";

/** Without progress this long, a sweep with work left is reported (DISCALC_STALL_SECONDS). */
export const DEFAULT_STALL_MS = 30_000;

export class StallWatch {
  private readonly stalls = new Map<number, SweepStall>();
  /** When the watch first saw each sweep: its progress clock before any trial progressed. */
  private readonly seen = new Map<number, number>();
  private ticking = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rungs: RungWaiters,
    private readonly o: { afterMs: number; log: EventLog },
  ) {}

  /** How often to look: a few times within the stall time, so a stall shows soon after it counts. */
  get intervalMs(): number {
    return Math.max(200, Math.min(5000, this.o.afterMs / 3));
  }

  /** The sweep's stall as last found, or null while it makes progress (progress since then ends it at once). */
  current(sweepId: number): SweepStall | null {
    const stall = this.stalls.get(sweepId);
    if (!stall || (this.scheduler.progressAt.get(sweepId) ?? 0) > stall.since) return null;
    return stall;
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.scheduler.now();
      for (const sweep of await this.scheduler.store.sweeps()) {
        if (sweep.state !== "running") {
          this.end(sweep.id, null);
          continue;
        }
        if (!this.seen.has(sweep.id)) this.seen.set(sweep.id, now);
        const progressAt = Math.max(this.scheduler.progressAt.get(sweep.id) ?? 0, this.seen.get(sweep.id)!);
        // Cheap first: counts and waits are read only once it may be stalled.
        if (now - progressAt < this.o.afterMs) {
          this.end(sweep.id, "makes progress again");
          continue;
        }
        const counts = await this.scheduler.store.countsBySweep(sweep.id);
        const stall = stallOf({ now, progressAt, afterMs: this.o.afterMs, queued: counts.queued, leased: counts.leased, waiting: await this.waiting(sweep.id) });
        if (!stall) {
          this.end(sweep.id, null);
          continue;
        }
        const was = this.stalls.get(sweep.id);
        if (!was || what(was) !== what(stall)) this.o.log("warn", "stall", `stall: sweep ${sweep.id} "${sweep.name}": ${stall.summary}`);
        this.stalls.set(sweep.id, stall);
      }
    } finally {
      this.ticking = false;
    }
  }

  private end(sweepId: number, why: string | null): void {
    if (this.stalls.delete(sweepId) && why) this.o.log("warn", "stall", `stall: sweep ${sweepId} ${why}`);
  }

  /** The trials of a sweep waiting at a rung, with what each waits for now (their relay's last word on what it holds unstarted). */
  private async waiting(sweepId: number): Promise<Array<StallInput["waiting"][number]>> {
    const out: Array<StallInput["waiting"][number]> = [];
    for (const p of this.rungs.pendingOf(sweepId)) {
      const trial = await this.scheduler.store.trial(p.ref.trialId);
      if (!trial || trial.state !== "leased" || trial.attempts !== p.ref.attempt) continue;
      const d = await this.scheduler.rungDecision(trial, p.step, p.unstarted);
      if (d.decision === "pending") out.push({ trialId: trial.id, step: p.step, waitingFor: d.waitingFor ?? [] });
    }
    return out;
  }
}

/** What a stall is about, without its clock: a change is logged, the seconds ticking are not. */
const what = (s: SweepStall) => JSON.stringify([s.waiting, s.queued, s.leased]);
