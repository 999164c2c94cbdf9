// Leases, renewals, expiry, results and commands: the rules that make execution
// at-least-once and storage exactly-once. Pure logic over the store, no HTTP, so tests
// and the root relay call it directly.
import type { Store, TrialRow, CommandRow, AttemptRow, ResultRow, ReportRow } from "../store/store.ts";
import type { UnsignedLease, TrialRef, ResultBatch, ResultAck, MetricsBatch, Command, HeartbeatResponse } from "../../../protocol/messages.ts";
import type { ExperimentRef } from "../../../protocol/messages.ts";
import { datasetKey, findDatasetSpecs } from "../../experiments/dataset-specs.ts";
import { storedSweepIdentity } from "../sweeps/sweep-identity.ts";
import { reportsAllowed } from "../../experiments/report-bounds.ts";
import { trialKey } from "../../../protocol/routes.ts";
import type { MetricSpec } from "../../experiments/experiment-entry.ts";
import { MAX_AWAITED, type AwaitedTrial, type EarlyStopping, type RungDecision } from "../../../protocol/early-stopping.ts";
import { decideRung } from "../../stopping/registry.ts";
import { RungRefusal } from "../../stopping/rung-answer.ts";
import { proposalsLeft, proposeNextBatch, type SweepProposer } from "../sweeps/propose-trials.ts";
import { extendSweep, ExtendError } from "../sweeps/extend-sweep.ts";
import { effectiveConfig, extensionOf, type SweepExtension } from "../sweeps/sweep-extension.ts";
import { finalStatesToDrop, type KeepPolicy } from "./kept-states.ts";
import { TopObjectives } from "./top-objectives.ts";
import { groupBy } from "../../group-by.ts";
import { statesStartedFrom } from "./pbt-kept-states.ts";
import type { SearchConfig } from "../../search/searcher.ts";
import { findSearcher } from "../../search/searchers.ts";
import { objectiveOf } from "../../experiments/objective-of.ts";

export interface SchedulerOptions {
  /** SHA-256 of each blob dataset by name (mnist). */
  datasets: Record<string, string>;
  now?: () => number;
}


/** Where a continuing trial (population-based training) stops, and the state it starts from. */
interface Continuation { stopStep: number; from?: { step: number; sha256: string } }

/** What every lease of a sweep shares, read once from its stored config. */
export interface SweepInfo {
  experiment: ExperimentRef;
  datasets: Record<string, string>;
  metric: MetricSpec;
  earlyStopping: EarlyStopping | null;
  leaseMs: number;
  checkpointEvery: number | null;
  keep: KeepPolicy;
  /**
   * Its trials continue one another (population-based training): each lease names its
   * stopStep and its parent's final state, and every member's final state is uploaded.
   */
  continues: boolean;
}

/** A result batch's trials as read at its start, kept current while its results are decided; its writes, made at the end. */
interface BatchView {
  attempts: Map<string, AttemptRow>;
  trials: Map<number, TrialRow>;
  results: Map<number, ResultRow>;
  newResults: ResultRow[];
  /** By trial:attempt:step, so a result repeated in one batch writes its reports once. */
  newReports: Map<string, ReportRow>;
  /** Trials whose result this batch stores: their attempt and state, written together. */
  done: Array<{ trialId: number; attempt: number; workerId: string; finishedAt: number }>;
}

export type CommandInput = { kind: Command["kind"]; sweepId?: number | null; trialId?: number | null; bundleSha?: string | null };

export class Scheduler {
  readonly now: () => number;

  constructor(readonly store: Store, private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Each sweep's config and experiment, as the controller that holds it registered them (a proposer's batches, extend). */
  private sources = new Map<number, SweepProposer>();

  /** Workers this scheduler has marked proven (so a batch of theirs costs no further write). */
  private proven = new Set<string>();
  /** Each sweep's K best objectives, for the leases' keepIfBetter (read once, then kept current). */
  private top = new TopObjectives(async (sweepId, k) => this.store.topObjectives(sweepId, k, (await this.sweepInfo(sweepId)).metric.goal));

  /**
   * Lets this scheduler propose the sweep's next batches and extend it, and proposes now if the
   * sweep is waiting for a batch (a controller restarted between batches, or without the config).
   */
  async setSweepSource(sweepId: number, p: SweepProposer): Promise<void> {
    this.sources.set(sweepId, p);
    await this.store.tx(() => this.finishSweeps(new Set([sweepId])));
  }

  /**
   * More samples or repeats for a sweep (new totals); existing trials stay as they are. Needs
   * the sweep's config here (the controller started with it).
   */
  async extendSweep(sweepId: number, want: SweepExtension): Promise<{ added: number; extension: SweepExtension }> {
    const source = this.sources.get(sweepId);
    return this.store.tx(async () => {
      const row = await this.store.sweep(sweepId);
      if (!row) throw new ExtendError(`no sweep ${sweepId}`);
      if (!source) throw new ExtendError(`sweep ${sweepId} is not this controller's: start the controller with its config to extend it`);
      const before = await this.store.trialCount(sweepId);
      const { extension } = await extendSweep(this.store, row, source, want);
      // A model-based sweep's next batch, if it had ended.
      await this.finishSweeps(new Set([sweepId]));
      return { added: (await this.store.trialCount(sweepId)) - before, extension };
    });
  }

  /**
   * Called after a transaction that stored reports or ended trials of these sweeps (rung
   * waiters re-decide): `steps` when only reports at those steps changed, so only decisions
   * there may have; none when trials ended (any step).
   */
  onSweepsChanged: (sweepIds: ReadonlySet<number>, steps?: ReadonlySet<number>) => void = () => {};

  /** Tells onSweepsChanged once the transaction that changed them has committed: what it sets off reads committed rows. */
  private sweepsChanged(sweepIds: ReadonlySet<number>, steps?: ReadonlySet<number>): void {
    this.store.afterCommit(() => this.onSweepsChanged(sweepIds, steps));
  }

  private sweepInfos = new Map<number, SweepInfo>();

  /** A sweep's experiment, datasets, metric and lease time (sweeps are immutable once stored). */
  async sweepInfo(sweepId: number): Promise<SweepInfo> {
    let info = this.sweepInfos.get(sweepId);
    if (!info) {
      const row = (await this.store.sweep(sweepId))!;
      const search = (JSON.parse(row.config) as { search?: SearchConfig }).search;
      const continues = search !== undefined && findSearcher(search.method)?.proposer?.lineage !== undefined;
      info = { ...storedSweepIdentity(row.config), leaseMs: row.lease_ms, continues };
      this.sweepInfos.set(sweepId, info);
    }
    return info;
  }

  /** Hands up to n queued trials of running sweeps to a relay under a lease. */
  async leaseTrials(relayId: string, n: number): Promise<UnsignedLease[]> {
    const now = this.now();
    return this.store.tx(async () => {
      await this.expireLeases(now);
      const { queued, lineage } = await this.continuations(await this.store.queuedTrials(n), now);
      // One statement per sweep (its own lease time), not one per trial.
      const bySweep = groupBy(queued, (t) => t.sweep_id);
      const attempts = new Map<number, number>();
      // A trial with a stored checkpoint resumes from it: its lease names it (signed).
      const restore = await this.store.checkpointRefs(queued.map((t) => t.id));
      const sweeps = new Map<number, { info: SweepInfo; deadline: number; keepIfBetter: UnsignedLease["keepIfBetter"] }>();
      for (const [sweepId, trials] of bySweep) {
        const ids = trials.map((t) => t.id);
        const info = await this.sweepInfo(sweepId);
        const deadline = now + info.leaseMs;
        // Once `keep` holds its K, only a final state at least as good as the K-th may enter: the
        // worker uploads no other (a sweep of tiny trials sent one per trial, most dropped at once).
        const keepThan = "top" in info.keep && info.keep.top > 0 ? await this.top.kth(sweepId, info.keep.top, info.metric.goal) : undefined;
        // One object for the batch's leases of the sweep (each is signed and sent as it is).
        const keepIfBetter = keepThan && { metric: info.metric.name, goal: info.metric.goal, than: keepThan.objective, thanTrial: keepThan.trialId };
        sweeps.set(sweepId, { info, deadline, keepIfBetter });
        for (const [id, a] of await this.store.leaseMany(ids, relayId, deadline, now)) attempts.set(id, a);
      }
      return queued.map((t) => {
        const { info, deadline, keepIfBetter } = sweeps.get(t.sweep_id)!;
        const continued = lineage.get(t.id);
        // Every member's final state goes up: a child may start from it (settleStates keeps what must stay).
        const lease = this.toLease(t, attempts.get(t.id)!, info, deadline, continued ? undefined : keepIfBetter);
        if (continued) {
          lease.stopStep = continued.stopStep;
          lease.keepState = true;
          // Its own checkpoint (a resumed attempt) wins over where its generation starts.
          if (continued.from) lease.restore = continued.from;
        }
        const from = restore.get(t.id);
        if (from) lease.restore = from;
        return lease;
      });
    });
  }

  /**
   * Queued trials as they may be leased, and each continuing one's stopStep and the state it
   * starts from (its parent's kept final state; its own checkpoint, if any, wins later). A
   * member whose parent's state is gone (or that has no lineage) cannot run as its sweep says:
   * it fails here, named.
   */
  private async continuations(all: TrialRow[], now: number): Promise<{ queued: TrialRow[]; lineage: Map<number, Continuation> }> {
    const failed = new Set<number>();
    const out = new Map<number, Continuation>();
    for (const [sweepId, trials] of groupBy(all, (t) => t.sweep_id)) {
      if (!(await this.sweepInfo(sweepId)).continues) continue;
      const lineage = new Map((await this.store.lineageOfTrials(trials.map((t) => t.id))).map((l) => [l.trial_id, l]));
      const kept = await this.store.finalStateShas([...lineage.values()].map((l) => l.parent_trial_id).filter((id): id is number => id !== null));
      for (const t of trials) {
        const l = lineage.get(t.id);
        const sha256 = l?.parent_trial_id == null ? undefined : kept.get(l.parent_trial_id);
        const problem = !l ? "it has no lineage (generation, parent) stored"
          : l.parent_trial_id !== null && !sha256 ? `its parent, trial ${l.parent_trial_id}, has no kept final state to start from` : undefined;
        if (problem !== undefined) {
          await this.store.setTrialState(t.id, "failed", { error: `population-based training: ${problem}`, finishedAt: now });
          failed.add(t.id);
          continue;
        }
        out.set(t.id, { stopStep: l!.stop_step, ...(sha256 && { from: { step: l!.start_step, sha256 } }) });
      }
    }
    // A sweep whose last open trials failed here ends (or proposes on) as after results.
    if (failed.size) await this.finishSweeps(new Set(all.filter((t) => failed.has(t.id)).map((t) => t.sweep_id)));
    // In the order they came (the queue's).
    return { queued: failed.size ? all.filter((t) => !failed.has(t.id)) : all, lineage: out };
  }

  /** `keepIfBetter`: once `keep` holds its K, the K-th best, which a final state must beat to be uploaded. */
  private toLease(t: TrialRow, attempt: number, info: SweepInfo, deadline: number, keepIfBetter?: UnsignedLease["keepIfBetter"]): UnsignedLease {
    const config = JSON.parse(t.config) as Record<string, unknown>;
    const datasets: Record<string, string> = {};
    for (const { spec } of findDatasetSpecs(config)) {
      const key = datasetKey(spec);
      const sha = key === null ? undefined : info.datasets[key] ?? this.opts.datasets[key];
      if (key !== null && sha) datasets[key] = sha;
    }
    const lease: UnsignedLease = {
      trialId: t.id, attempt, sweepId: t.sweep_id, experiment: info.experiment, config,
      params: JSON.parse(t.params) as Record<string, unknown>, seed: t.seed, datasets, deadline,
    };
    if (info.earlyStopping) lease.earlyStopping = info.earlyStopping;
    if (info.checkpointEvery !== null) lease.checkpointEvery = info.checkpointEvery;
    if ("all" in info.keep) lease.keepState = true;
    else if (info.keep.top > 0) {
      if (keepIfBetter) lease.keepIfBetter = keepIfBetter;
      else lease.keepState = true;
    }
    return lease;
  }

  /** Leases past their deadline go back to the queue, or fail after maxAttempts failures. */
  async expireLeases(now = this.now()): Promise<number> {
    return this.store.tx(async () => {
      const expired = await this.store.expiredLeases(now);
      for (const t of expired) {
        const error = `lease expired: relay ${t.lease_relay} did not renew it`;
        await this.store.endAttempt(t.id, t.attempts, "expired", { error, at: now });
        // The attempt keeps the expiry's words; the trial keeps an earlier attempt's real error, when it has one.
        const realError = (await this.store.attemptsOf(t.id)).some((a) => a.outcome === "failed" && a.error !== null);
        await this.requeueOrFail(t, realError ? null : error, now);
      }
      if (expired.length) {
        const sweeps = new Set(expired.map((t) => t.sweep_id));
        await this.finishSweeps(sweeps);
        this.sweepsChanged(sweeps);
      }
      return expired.length;
    });
  }

  /**
   * An infrastructure failure (an expired lease, a crashed thread, a blob not fetched): the
   * trial runs again, unless it has failed so maxAttempts times. Attempts handed back
   * (released) do not count. `error` null keeps the trial's stored error.
   */
  private async requeueOrFail(t: TrialRow, error: string | null, now: number): Promise<void> {
    const sweep = (await this.store.sweep(t.sweep_id))!;
    const failures = (await this.store.attemptsOf(t.id)).filter((a) => a.outcome === "failed" || a.outcome === "expired").length;
    if (failures >= sweep.max_attempts) {
      await this.store.setTrialState(t.id, "failed", { error, finishedAt: now });
      await this.store.dropCheckpoints([t.id]);
    } else await this.store.setTrialState(t.id, "queued", { error });
  }

  /**
   * A relay's heartbeat: extends the leases it holds, takes back those it releases, and
   * names the held ones that are no longer its to run.
   */
  async renewLeases(relayId: string, held: TrialRef[], released: TrialRef[]): Promise<Pick<HeartbeatResponse, "revoked">> {
    const now = this.now();
    return this.store.tx(async () => {
      const revoked: TrialRef[] = [];
      // A relay holds many leases: read them in one statement and extend them in one per sweep.
      const trials = new Map((await this.store.trialsByIds(held.map((r) => r.trialId))).map((t) => [t.id, t]));
      const bySweep = new Map<number, number[]>();
      for (const ref of held) {
        const t = trials.get(ref.trialId);
        if (!t || t.state !== "leased" || t.attempts !== ref.attempt || t.lease_relay !== relayId) revoked.push(ref);
        else if (bySweep.has(t.sweep_id)) bySweep.get(t.sweep_id)!.push(t.id);
        else bySweep.set(t.sweep_id, [t.id]);
      }
      for (const [sweepId, ids] of bySweep) await this.store.extendLeases(ids, relayId, now + (await this.sweepInfo(sweepId)).leaseMs);
      for (const ref of released) {
        const t = await this.store.trial(ref.trialId);
        if (t && t.state === "leased" && t.attempts === ref.attempt && t.lease_relay === relayId) {
          await this.store.endAttempt(t.id, ref.attempt, "released", { at: now });
          await this.store.setTrialState(t.id, "queued");
        }
      }
      return { revoked };
    });
  }

  /** These trials' attempts (by trialKey) and rows, read in a statement each. */
  private async attemptsAndTrials(ids: readonly number[]): Promise<Pick<BatchView, "attempts" | "trials">> {
    return {
      attempts: new Map((await this.store.attemptsOfTrials(ids)).map((a) => [trialKey({ trialId: a.trial_id, attempt: a.attempt }), a])),
      trials: new Map((await this.store.trialsByIds(ids)).map((t) => [t.id, t])),
    };
  }

  /** Stores a relay's batch in one transaction; idempotent per (trial, attempt). */
  async recordResults(relayId: string, batch: ResultBatch): Promise<ResultAck> {
    const now = this.now();
    // Committed (on disk) before the acknowledgement: the relay drops what the controller acknowledged.
    return this.store.tx(async () => {
      const touched = new Set<number>();
      const statuses: ResultAck["statuses"] = [];
      // What the batch's trials are now, read in a few statements; kept current as results are decided.
      const ids = [...new Set(batch.results.map((r) => r.trialId))];
      const view: BatchView = {
        ...(await this.attemptsAndTrials(ids)),
        results: new Map((await this.store.resultsOfTrials(ids)).map((r) => [r.trial_id, r])),
        newResults: [], newReports: new Map(), done: [],
      };
      for (const r of batch.results) statuses.push(await this.recordResult(relayId, r, now, touched, view));
      await this.flushBatchView(view, now);
      // Trials that ended here (a retried one keeps its checkpoint: it resumes from it).
      const ended = batch.results.filter((r, i) => {
        const state = view.trials.get(r.trialId)?.state;
        return statuses[i] === "stored" && state !== undefined && state !== "queued" && state !== "leased";
      });
      await this.settleStates(ended.map((r) => r.trialId), touched);
      await this.proveWorkers(relayId, batch.results.filter((r, i) => statuses[i] === "stored" && r.status === "done"), now);
      await this.finishSweeps(touched);
      this.sweepsChanged(touched);
      // A trial handed back made no progress (it runs again from its start or checkpoint).
      batch.results.forEach((r, i) => {
        if (statuses[i] === "stored" && r.status !== "released") this.noteProgress(view.trials.get(r.trialId)!.sweep_id);
      });
      return { statuses };
    });
  }

  /**
   * A worker that returned a result the controller stored has proven itself: from then on the
   * relay policy counts it (roles.ts). Only workers under the relay that sent the batch: a
   * relay's word proves no other relay's workers.
   */
  private async proveWorkers(relayId: string, stored: ReadonlyArray<{ workerId: string }>, now: number): Promise<void> {
    const ids = [...new Set(stored.map((r) => r.workerId))].filter((id) => !this.proven.has(id));
    if (!ids.length) return;
    const marked = await this.store.markProven(ids, relayId, now);
    this.store.afterCommit(() => {
      if (this.proven.size >= 100_000) this.proven.clear();
      for (const id of marked) this.proven.add(id);
    });
  }

  private async recordResult(relayId: string, r: ResultBatch["results"][number], now: number, touched: Set<number>, view: BatchView): Promise<ResultAck["statuses"][number]> {
    const attempt = view.attempts.get(trialKey(r));
    if (!attempt || attempt.relay_id !== relayId) return "refused";
    const trial = view.trials.get(r.trialId)!;
    touched.add(trial.sweep_id);
    const stored = view.results.get(r.trialId);
    if (stored) {
      if (stored.attempt === r.attempt) return "duplicate";
      // Another attempt's result was stored first: this one is closed, not stored.
      await this.store.endAttempt(r.trialId, r.attempt, "superseded", { workerId: r.workerId, error: r.error, at: now });
      return "stale";
    }
    const info = await this.sweepInfo(trial.sweep_id);
    if (r.outcome && !reportsAllowed(info.experiment, r.outcome.reports.length, trial.config)) {
      return "refused";
    }
    if (r.status === "pruned") {
      // Rare, and decided on stored reports and states: write what the batch holds so far first.
      await this.flushBatchView(view, now);
      const status = await this.storePruned(relayId, r, trial, now);
      if (status === "stored") view.results.set(r.trialId, (await this.store.result(r.trialId))!);
      view.trials.set(r.trialId, (await this.store.trial(r.trialId))!);
      return status;
    }
    // A continuing member's final state is where its children start: done without it stored
    // (its upload failed), it is not done. Its lease runs out and it runs again, from its own
    // stopStep checkpoint when that was stored (then it trains nothing and uploads it).
    if (r.status === "done" && r.outcome && info.continues && trial.state !== "cancelled" && !(await this.store.trialStateRef(r.trialId, "final"))) {
      return "refused";
    }
    if (r.status === "done" && r.outcome && trial.state !== "cancelled") {
      const { reports, metrics, resultSha256, ...rest } = r.outcome;
      const row = {
        trial_id: r.trialId, attempt: r.attempt, relay_id: relayId, worker_id: r.workerId,
        result_sha: resultSha256, metrics: JSON.stringify(metrics),
        objective: objectiveOf(info.metric.name, metrics, reports),
        outcome: JSON.stringify(rest), stored_at: now,
      };
      view.newResults.push(row);
      view.results.set(r.trialId, row);
      if (row.objective !== null && "top" in info.keep) {
        const scored = { objective: row.objective, trialId: r.trialId }, k = info.keep.top, sweepId = trial.sweep_id;
        this.store.afterCommit(() => this.top.add(sweepId, scored, k, info.metric.goal));
      }
      reports.forEach((values, i) => view.newReports.set(`${r.trialId}:${r.attempt}:${i + 1}`, { trial_id: r.trialId, attempt: r.attempt, step: i + 1, metrics: JSON.stringify(values) }));
      // A late result may come from an attempt whose lease had already expired: its attempt is closed as done all the same.
      view.done.push({ trialId: r.trialId, attempt: r.attempt, workerId: r.workerId, finishedAt: r.finishedAt });
      // The view's own row, read in this transaction: changed in place (a spread with keys
      // overridden takes V8's slow path, on every result).
      trial.state = "done";
      trial.lease_relay = null;
      trial.lease_deadline = null;
      trial.finished_at = r.finishedAt;
      return "stored";
    }
    const diverged = r.status === "failed" && r.failure === "diverged";
    const outcome = r.status === "done" ? "cancelled" : diverged ? "diverged" : r.status;
    await this.store.endAttempt(r.trialId, r.attempt, outcome, { workerId: r.workerId, error: r.error, at: now });
    const current = trial.state === "leased" && trial.attempts === r.attempt;
    if (!current) return "stale";
    if (r.status === "failed") await this.storeFailure(trial, r, now);
    else if (r.status === "released") await this.store.setTrialState(trial.id, "queued");
    view.trials.set(r.trialId, (await this.store.trial(r.trialId))!);
    return "stored";
  }

  /**
   * After trials ended: their checkpoints go (a trial that ended never resumes), and each sweep
   * keeps the final states `keep` says (the K best done trials by the objective). A final state
   * of a trial not done (it failed or was cancelled after uploading it) goes too; one of a
   * trial still running waits for its result.
   */
  private async settleStates(ended: readonly number[], sweepIds: ReadonlySet<number>): Promise<void> {
    if (ended.length) await this.store.dropCheckpoints(ended);
    for (const sweepId of sweepIds) {
      const entries = await this.store.finalStatesOfSweep(sweepId);
      if (!entries.length) continue;
      const info = await this.sweepInfo(sweepId);
      const done = entries.filter((e) => e.state === "done");
      const drop = [...entries.filter((e) => e.state !== "done" && e.state !== "leased" && e.state !== "queued").map((e) => e.trialId), ...finalStatesToDrop(done, info.keep, info.metric.goal)];
      const stay = info.continues && drop.length ? await this.statesStartedFrom(sweepId) : new Set<number>();
      for (const id of drop) if (!stay.has(id)) await this.store.dropTrialState(id, "final");
    }
  }

  /** A continuing sweep's final states that stay whatever `keep` says (pbt-kept-states.ts). */
  private async statesStartedFrom(sweepId: number): Promise<Set<number>> {
    const lineage = (await this.store.lineageWithParentsOfSweep(sweepId)).map((l) => ({ trialId: l.trial_id, generation: l.generation, parentTrialId: l.parent_trial_id }));
    const sweep = await this.store.sweep(sweepId);
    return statesStartedFrom(lineage, sweep !== undefined && (await proposalsLeft(this.store, sweep)) > 0);
  }

  /**
   * A failed attempt of the trial's current lease. A trial is deterministic: its code's
   * exception or its divergence would come again, so it ends now (a diverged one keeps the
   * finite reports it made); the machine's failures run again (requeueOrFail). A result
   * without a `failure` (an agent of the previous release) is retried, as it was then.
   */
  private async storeFailure(trial: TrialRow, r: ResultBatch["results"][number], now: number): Promise<void> {
    const error = r.error ?? "failed without a message";
    if (r.failure === "diverged") {
      if (r.outcome) await this.storeReports(r.trialId, r.attempt, 1, r.outcome.reports);
      await this.store.setTrialState(trial.id, "diverged", { error, finishedAt: r.finishedAt });
    } else if (r.failure === "experiment") {
      await this.store.setTrialState(trial.id, "failed", { error, finishedAt: r.finishedAt });
    } else {
      await this.requeueOrFail(trial, error, now);
    }
  }

  /** Writes the results, reports and done trials a batch has decided so far. */
  private async flushBatchView(view: BatchView, now: number): Promise<void> {
    await this.store.insertResults(view.newResults.splice(0));
    await this.store.upsertReports([...view.newReports.values()]);
    view.newReports.clear();
    await this.store.markDone(view.done.splice(0), now);
  }

  /**
   * A trial its worker stopped at a rung: stored as pruned only when the rule, asked again
   * now, prunes it at that step (a worker cannot prune a trial on its own say).
   */
  private async storePruned(relayId: string, r: ResultBatch["results"][number], trial: TrialRow, now: number): Promise<ResultAck["statuses"][number]> {
    const step = r.outcome?.reports.length ?? 0;
    if (!r.outcome || step === 0 || trial.state !== "leased" || trial.attempts !== r.attempt) return "refused";
    await this.storeReports(r.trialId, r.attempt, 1, r.outcome.reports);
    const decision = await this.rungDecision(trial, step);
    if (decision.decision !== "prune") return "refused";
    const { reports, metrics, resultSha256, ...rest } = r.outcome;
    await this.store.insertResult({
      trial_id: r.trialId, attempt: r.attempt, relay_id: relayId, worker_id: r.workerId,
      result_sha: resultSha256, metrics: JSON.stringify(metrics),
      objective: objectiveOf((await this.sweepInfo(trial.sweep_id)).metric.name, metrics, reports),
      outcome: JSON.stringify({ ...rest, pruned: { step, reason: decision.reason } }), stored_at: now,
    });
    await this.store.endAttempt(r.trialId, r.attempt, "pruned", { workerId: r.workerId, at: now, overwrite: true });
    await this.store.setTrialState(r.trialId, "pruned", { finishedAt: r.finishedAt, error: decision.reason });
    return "stored";
  }

  /**
   * A running trial at a decision step: stores the reports it carries (those since its last
   * decision) and answers the stopping rule's decision there.
   */
  async recordRung(
    relayId: string, ref: TrialRef, step: number, reports: MetricsBatch["items"][number]["values"][], unstarted: ReadonlySet<number> = NONE,
  ): Promise<{ decision: RungDecision; sweepId: number }> {
    return this.store.tx(async () => {
      const attempt = await this.store.attempt(ref.trialId, ref.attempt);
      const trial = await this.store.trial(ref.trialId);
      if (!attempt || !trial || attempt.relay_id !== relayId || attempt.outcome !== null || trial.state !== "leased" || trial.attempts !== ref.attempt) {
        throw new RungRefusal(`trial ${ref.trialId} attempt ${ref.attempt} is not running under this relay`);
      }
      const info = await this.sweepInfo(trial.sweep_id);
      if (!info.earlyStopping) throw new RungRefusal(`sweep ${trial.sweep_id} has no early_stopping`);
      const first = step - reports.length + 1;
      if (first < 1 || !reportsAllowed(info.experiment, step, trial.config)) {
        throw new RungRefusal(`steps ${first}..${step} are outside this trial's reports`);
      }
      await this.storeReports(ref.trialId, ref.attempt, first, reports);
      const decision = await this.rungDecision(trial, step, unstarted);
      if (decision.decision !== "pending") this.noteProgress(trial.sweep_id);
      this.sweepsChanged(new Set([trial.sweep_id]), new Set(reports.map((_, i) => first + i)));
      return { decision, sweepId: trial.sweep_id };
    });
  }

  /**
   * The stopping rule's decision for a trial at a step, from stored reports alone: its own
   * (current attempt) and, for the cohort, the trials before it in the sweep. A pending one
   * names what it waits for: the earlier trials that may still reach the step, `unstarted` when
   * the asking relay says it holds them unstarted (it alone knows that).
   */
  async rungDecision(trial: TrialRow, step: number, unstarted: ReadonlySet<number> = NONE): Promise<RungDecision> {
    const info = await this.sweepInfo(trial.sweep_id);
    if (!info.earlyStopping) return { decision: "continue", reason: null };
    const { name, goal } = info.metric;
    const own: Array<number | undefined> = new Array(step).fill(undefined);
    for (const r of await this.store.reportsOfAttempt(trial.id, trial.attempts)) {
      if (r.step <= step) own[r.step - 1] = (JSON.parse(r.metrics) as Record<string, number>)[name];
    }
    const earlier: number[] = [];
    const awaited: AwaitedTrial[] = [];
    for (const u of await this.store.rungCohort(trial.sweep_id, trial.idx, step)) {
      if (u.metrics !== null) {
        const value = (JSON.parse(u.metrics) as Record<string, number>)[name];
        if (value !== undefined) earlier.push(value);
      } else if (u.state === "queued" || u.state === "leased") {
        awaited.push({ trialId: u.id, state: u.state === "queued" ? "queued" : unstarted.has(u.id) ? "unstarted" : "leased" });
      }
    }
    const decision = decideRung(info.earlyStopping, { metric: name, goal, step, own, earlier, pendingEarlier: awaited.length });
    if (decision.decision !== "pending") return decision;
    // Those no thread runs first: they are what a waiting worker acts on, and what a person reads first.
    const first = [...awaited.filter((a) => a.state !== "leased"), ...awaited.filter((a) => a.state === "leased")];
    return { ...decision, waitingFor: first.slice(0, MAX_AWAITED) };
  }

  /** When a trial of each sweep last made progress (a report, a decision, an end), for the stall watch. */
  readonly progressAt = new Map<number, number>();

  private noteProgress(sweepId: number): void {
    this.progressAt.set(sweepId, this.now());
  }

  /**
   * Reports of running attempts leased to this relay, within the count the trial's config
   * allows. A trial that has ended takes no more reports: its stored ones stay as they were.
   */
  async recordMetrics(relayId: string, batch: MetricsBatch): Promise<number> {
    return this.store.tx(async () => {
      const rows = new Map<string, ReportRow>();
      let accepted = 0;
      const touched = new Set<number>();
      const steps = new Set<number>();
      // The batch's attempts and trials in one statement each, not two per item.
      const { attempts, trials } = await this.attemptsAndTrials([...new Set(batch.items.map((item) => item.trialId))]);
      for (const item of batch.items) {
        const attempt = attempts.get(trialKey(item));
        if (!attempt || attempt.relay_id !== relayId || attempt.outcome !== null) continue;
        const trial = trials.get(item.trialId)!;
        if (trial.state !== "leased" || trial.attempts !== item.attempt) continue;
        if (!reportsAllowed((await this.sweepInfo(trial.sweep_id)).experiment, item.step, trial.config)) continue;
        // Keyed, so a step repeated in one batch is one row (a multi-row upsert may touch a row once).
        rows.set(`${item.trialId}:${item.attempt}:${item.step}`, { trial_id: item.trialId, attempt: item.attempt, step: item.step, metrics: JSON.stringify(item.values) });
        touched.add(trial.sweep_id);
        steps.add(item.step);
        accepted++;
      }
      await this.store.upsertReports([...rows.values()]);
      for (const id of touched) this.noteProgress(id);
      if (touched.size) this.sweepsChanged(touched, steps);
      return accepted;
    });
  }

  /** Reports `first`, `first + 1`, … of an attempt. */
  private async storeReports(trialId: number, attempt: number, first: number, reports: ReadonlyArray<MetricsBatch["items"][number]["values"]>): Promise<void> {
    await this.store.upsertReports(reports.map((values, i) => ({ trial_id: trialId, attempt, step: first + i, metrics: JSON.stringify(values) })));
  }

  /**
   * A sweep with no queued or leased trial left is done, unless it is model-based and has
   * points still to propose: then its next batch joins it (or, without its config here, it waits).
   */
  private async finishSweeps(sweepIds: Set<number>): Promise<void> {
    for (const id of sweepIds) {
      const sweep = await this.store.sweep(id);
      if (!sweep || sweep.state === "done" || sweep.state === "cancelled") continue;
      if (await this.store.sweepHasOpenTrials(id)) continue;
      const source = this.sources.get(id);
      const proposer = source && { ...source, config: effectiveConfig(source.config, extensionOf(sweep)) };
      // A batch the experiment refused whole adds only failed trials: propose again.
      while (proposer && (await proposeNextBatch(this.store, id, proposer, this.now())) > 0) if (await this.store.sweepHasOpenTrials(id)) break;
      if ((await this.store.sweepHasOpenTrials(id)) || (await proposalsLeft(this.store, sweep)) > 0) continue;
      await this.store.setSweepState(id, "done", this.now());
    }
  }

  /** Records a command (with its effect on the store) and returns it with its sequence number. */
  async issueCommand(input: CommandInput): Promise<Command> {
    const now = this.now();
    return this.store.tx(async () => {
      const sweepId = input.sweepId ?? null;
      const trialId = input.trialId ?? null;
      const targets = sweepId !== null ? [(await this.store.sweep(sweepId))!] : await this.store.sweeps();
      switch (input.kind) {
        case "pause":
          for (const s of targets) if (s.state === "running") await this.store.setSweepState(s.id, "paused");
          break;
        case "resume":
          for (const s of targets) if (s.state === "paused") await this.store.setSweepState(s.id, "running");
          break;
        case "cancel": {
          const ids = await this.store.cancelQueuedOrLeased(sweepId, trialId, now);
          const sweeps = new Set<number>();
          await this.store.dropCheckpoints(ids);
          for (const id of ids) {
            const t = (await this.store.trial(id))!;
            sweeps.add(t.sweep_id);
            if (t.attempts > 0) await this.store.endAttempt(id, t.attempts, "cancelled", { at: now });
          }
          if (trialId === null) {
            for (const s of targets) if (s.state !== "done") await this.store.setSweepState(s.id, "cancelled", now);
          } else {
            await this.finishSweeps(sweeps);
          }
          this.sweepsChanged(sweeps);
          break;
        }
        default:
          break;
      }
      const seq = await this.store.insertCommand({ kind: input.kind, sweep_id: sweepId, trial_id: trialId, bundle_sha: input.bundleSha ?? null, at: now });
      return toCommand({ seq, kind: input.kind, sweep_id: sweepId, trial_id: trialId, bundle_sha: input.bundleSha ?? null, at: now });
    });
  }

  async commandsAfter(seq: number): Promise<Command[]> {
    return (await this.store.commandsAfter(seq)).map(toCommand);
  }

  async anyRunnable(): Promise<boolean> {
    return (await this.store.sweeps()).some((s) => s.state === "running" || s.state === "paused");
  }
}

const NONE: ReadonlySet<number> = new Set();

export function toCommand(c: CommandRow): Command {
  return { seq: c.seq, kind: c.kind as Command["kind"], sweepId: c.sweep_id, trialId: c.trial_id, bundleSha: c.bundle_sha, at: c.at };
}

export { objectiveOf };
