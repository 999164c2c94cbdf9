// JSON views of the store for the REST API, the CLI and exports: one shape everywhere.
import { hostname } from "node:os";
import type { Store, TrialRow, SweepRow } from "./store.ts";

export interface TrialView {
  id: number; sweepId: number; index: number; point: number; repeat: number;
  params: Record<string, unknown>; seed: number; state: string; attempts: number;
  metrics: Array<{ epoch: number; trainLoss: number | null; testLoss: number | null; testAccuracy: number | null; lr: number; wallMs: number }>;
  result: Record<string, unknown> | null; weightsSha256: string | null; error: string | null;
  workerId: string | null; relayId: string | null; finishedAt: number | null;
  /** Every hand-out of the trial: where it went and how it ended. */
  attemptLog: Array<{ attempt: number; relayId: string; workerId: string | null; leasedAt: number; endedAt: number | null; outcome: string | null; error: string | null }>;
}

export function trialView(store: Store, t: TrialRow): TrialView {
  const stored = store.result(t.id);
  const shownAttempt = stored?.attempt ?? t.attempts;
  const metrics = store.metricsOf(t.id).filter((m) => m.attempt === shownAttempt).map((m) => ({
    epoch: m.epoch, trainLoss: m.train_loss, testLoss: m.test_loss, testAccuracy: m.test_accuracy, lr: m.lr, wallMs: m.wall_ms,
  }));
  let result: Record<string, unknown> | null = null;
  if (stored) {
    const { epochs: _epochs, ...rest } = JSON.parse(stored.outcome) as Record<string, unknown>;
    result = { ...rest, attempt: stored.attempt, final: metrics.at(-1) ?? null };
  }
  const attempts = store.attemptsOf(t.id);
  const lastAttempt = attempts.at(-1);
  return {
    id: t.id, sweepId: t.sweep_id, index: t.idx, point: t.point, repeat: t.repeat,
    params: JSON.parse(t.params) as Record<string, unknown>, seed: t.seed, state: t.state, attempts: t.attempts,
    metrics, result, weightsSha256: stored?.weights_sha ?? null, error: t.state === "done" ? null : t.last_error,
    workerId: stored?.worker_id ?? lastAttempt?.worker_id ?? null, relayId: stored?.relay_id ?? lastAttempt?.relay_id ?? null,
    finishedAt: t.finished_at,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt, relayId: a.relay_id, workerId: a.worker_id, leasedAt: a.leased_at, endedAt: a.ended_at, outcome: a.outcome, error: a.error,
    })),
  };
}

export function sweepView(store: Store, s: SweepRow) {
  const counts = store.countsBySweep(s.id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    id: s.id, name: s.name, state: s.state, configHash: s.config_hash, createdAt: s.created_at, finishedAt: s.finished_at,
    leaseMs: s.lease_ms, maxAttempts: s.max_attempts, total, counts,
  };
}

export function nodesView(store: Store, controllerId: string, silentMs: number) {
  const now = Date.now();
  const controller = {
    id: controllerId, role: "controller", host: hostname(), threads: 0, state: "alive", lastHeartbeat: now, relay: null, url: null,
    bundleSha: store.getMeta("current_bundle") ?? null, stats: null,
  };
  return [controller, ...store.nodes().map((n) => ({
    id: n.id, role: n.role, host: n.host, threads: n.threads,
    state: now - n.last_seen > 6 * silentMs ? "gone" : now - n.last_seen > silentMs || n.state === "silent" ? "silent" : "alive",
    lastHeartbeat: n.last_seen, relay: n.role === "relay" ? controllerId : n.relay_id, url: n.url, bundleSha: n.bundle_sha,
    stats: n.stats ? JSON.parse(n.stats) : null,
  }))];
}
