// JSON views of the store for the REST API, the CLI and exports: one shape everywhere (the
// schemas in protocol/api.ts).
import { hostname } from "node:os";
import type { Store, TrialRow, SweepRow } from "../store/store.ts";
import type { TrialView, SweepView, NodeView, Leaderboard, Importance } from "../../../protocol/api.ts";
import { pedAnovaImportance } from "../../search/importance.ts";
import type { ParamSpec } from "../../search/param-spec.ts";
import type { ExperimentRef } from "../../../protocol/messages.ts";
import type { MetricSpec } from "../../experiments/experiment-entry.ts";
import { leaderboard } from "../sweeps/leaderboard.ts";
import { storedSweepIdentity } from "../sweeps/sweep-identity.ts";
import { groupBy } from "../../group-by.ts";

export type { TrialView };

type ViewOptions = { metrics?: boolean; config?: boolean };

/** A trial as the API shows it; its reports with `metrics`, its resolved config with `config` (one trial, and export). */
export async function trialView(store: Store, t: TrialRow, opts: ViewOptions = { metrics: true, config: true }): Promise<TrialView> {
  return (await trialViews(store, [t], opts))[0]!;
}

/**
 * Trials as the API shows them, read with a few statements for the whole list (results,
 * attempts, lineage; reports with `metrics`; state references with `config`), not a few per
 * trial: a page of a hundred trials on PostgreSQL was hundreds of round trips.
 */
export async function trialViews(store: Store, trials: readonly TrialRow[], opts: ViewOptions = { metrics: true, config: true }): Promise<TrialView[]> {
  if (trials.length === 0) return [];
  const ids = trials.map((t) => t.id);
  const results = new Map((await store.resultsOfTrials(ids)).map((r) => [r.trial_id, r]));
  const attemptsOf = groupBy(await store.attemptsOfTrials(ids), (a) => a.trial_id);
  const lineage = new Map((await store.lineageOfTrials(ids)).map((l) => [l.trial_id, l]));
  const reportsOf = opts.metrics ? groupBy(await store.reportsOfTrials(ids), (r) => r.trial_id) : undefined;
  const finals = opts.config ? new Map((await store.trialStateRefs(ids, "final")).map((r) => [r.trial_id, r])) : undefined;
  const checkpoints = opts.config ? new Map((await store.trialStateRefs(ids, "checkpoint")).map((r) => [r.trial_id, r])) : undefined;
  return trials.map((t) => {
    const stored = results.get(t.id);
    const shownAttempt = stored?.attempt ?? t.attempts;
    // `step` is the report's number, unless the experiment reports a metric of that name (its own step count).
    const metrics = reportsOf && (reportsOf.get(t.id) ?? []).filter((r) => r.attempt === shownAttempt).sort((a, b) => a.step - b.step)
      .map((r) => ({ step: r.step, ...(JSON.parse(r.metrics) as Record<string, number>) }));
    let result: Record<string, unknown> | null = null;
    if (stored) result = { ...(JSON.parse(stored.outcome) as Record<string, unknown>), attempt: stored.attempt };
    const pruned = t.state === "pruned" && result?.pruned ? (result.pruned as { step: number; reason: string }) : null;
    const attempts = (attemptsOf.get(t.id) ?? []).sort((a, b) => a.attempt - b.attempt);
    const lastAttempt = attempts.at(-1);
    const l = lineage.get(t.id);
    const states = opts.config && { stateSha256: finals!.get(t.id)?.sha256 ?? null, checkpointStep: checkpoints!.get(t.id)?.step ?? null };
    return {
      id: t.id, sweepId: t.sweep_id, index: t.idx, point: t.point, repeat: t.repeat,
      params: JSON.parse(t.params) as Record<string, unknown>, seed: t.seed, state: t.state, attempts: t.attempts,
      ...(opts.config && { config: JSON.parse(t.config) as Record<string, unknown> }),
      ...(metrics && { metrics }), final: stored ? (JSON.parse(stored.metrics) as Record<string, number>) : null, objective: stored?.objective ?? null,
      result, resultSha256: stored?.result_sha ?? null, weightsSha256: stored?.result_sha ?? null,
      ...(l && {
        lineage: {
          generation: l.generation, slot: l.slot, parentTrialId: l.parent_trial_id, parentPoint: l.parent_point, exploited: l.exploited === 1,
          startStep: l.start_step, stopStep: l.stop_step,
        },
      }),
      pruned, error: t.state === "done" || t.state === "pruned" ? null : t.last_error,
      workerId: stored?.worker_id ?? lastAttempt?.worker_id ?? null, relayId: stored?.relay_id ?? lastAttempt?.relay_id ?? null,
      finishedAt: t.finished_at,
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt, relayId: a.relay_id, workerId: a.worker_id, leasedAt: a.leased_at, endedAt: a.ended_at, outcome: a.outcome, error: a.error,
      })),
      ...states,
    };
  });
}

/** The experiment and metric a stored sweep names. */
export function sweepIdentity(s: SweepRow): { experiment: ExperimentRef; metric: MetricSpec } {
  const { experiment, metric } = storedSweepIdentity(s.config);
  return { experiment, metric };
}

/**
 * A sweep with its trials counted by state; with `runningOf` (the controller's view of its
 * relays), leased trials split into running (on a thread) and reserved (prefetched).
 */
export async function sweepView(store: Store, s: SweepRow, runningOf?: (sweepId: number, leased: number) => number): Promise<SweepView> {
  const byState = await store.countsBySweep(s.id);
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  const running = runningOf?.(s.id, byState.leased);
  const counts: Record<string, number> = running === undefined ? byState : { ...byState, running, reserved: byState.leased - running };
  return {
    id: s.id, name: s.name, state: s.state, configHash: s.config_hash, createdAt: s.created_at, finishedAt: s.finished_at,
    leaseMs: s.lease_ms, maxAttempts: s.max_attempts, total, counts, ...sweepIdentity(s),
  };
}

/** The sweep's ranking (all of it, or one page): objectives from the results; params read for the page's rows only. */
export async function sweepLeaderboard(store: Store, s: SweepRow, page?: { offset: number; limit: number }): Promise<Leaderboard> {
  const board = leaderboard(s.id, sweepIdentity(s).metric, await store.rankedTrials(s.id), page, () => ({}));
  // Params for the page's rows only.
  for (const row of board.rows) row.params = JSON.parse((await store.trial(row.trialIds[0]!))!.params) as Record<string, unknown>;
  return board;
}

/** Why a sweep has no importance yet (too few finished trials, nothing swept). */
export class NoImportanceError extends Error {}

/** Each swept parameter's share of the objective's variation, over the sweep's done trials (each seed a sample). */
export async function sweepImportance(store: Store, s: SweepRow): Promise<Importance> {
  const { metric } = sweepIdentity(s);
  const space = (JSON.parse(s.config) as { search?: { parameters?: Record<string, ParamSpec> } }).search?.parameters ?? {};
  if (Object.keys(space).length === 0) throw new NoImportanceError(`sweep ${s.id} sweeps no parameter`);
  const trials = (await store.scoredTrials(s.id)).map((t) => ({ params: JSON.parse(t.params) as Record<string, unknown>, value: t.objective }));
  if (trials.length < 2) throw new NoImportanceError(`sweep ${s.id} has ${trials.length} finished trial(s) with its metric; importance needs at least 2`);
  return { sweepId: s.id, metric, trials: trials.length, importance: pedAnovaImportance(space, trials, metric.goal) };
}

/** A page of the node tree: the controller first (offset 0), then nodes by join time. */
export async function nodesPage(store: Store, controllerId: string, silentMs: number, offset: number, limit: number): Promise<{ items: NodeView[]; next: string | null }> {
  const now = Date.now();
  const controller: NodeView = {
    id: controllerId, role: "controller", host: hostname(), threads: 0, state: "alive", lastHeartbeat: now, relay: null, url: null,
    bundleSha: (await store.getMeta("current_bundle")) ?? null, stats: null,
  };
  // Position 0 is the controller; node k of the store is position k + 1.
  const rows = await store.nodesPage(Math.max(0, offset - 1), offset === 0 ? limit : limit + 1);
  const nodes = rows.map((n): NodeView => ({
    id: n.id, role: n.role, host: n.host, threads: n.threads,
    state: now - n.last_seen > 6 * silentMs ? "gone" : now - n.last_seen > silentMs || n.state === "silent" ? "silent" : "alive",
    lastHeartbeat: n.last_seen, relay: n.role === "relay" ? controllerId : n.relay_id, url: n.url, bundleSha: n.bundle_sha,
    stats: n.stats ? JSON.parse(n.stats) : null,
  }));
  const all = offset === 0 ? [controller, ...nodes] : nodes;
  const items = all.slice(0, limit);
  return { items, next: all.length > limit ? String(offset + limit) : null };
}
