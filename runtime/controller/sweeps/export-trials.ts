// One row per trial, as CSV or JSON lines, straight from a controller's store.
import type { TrialView } from "../api/api-views.ts";

/** Fixed columns; then one column per final metric name found in the trials (final.<name>). */
export const CSV_COLUMNS = [
  "trial_id", "sweep_id", "index", "point", "repeat", "seed", "state", "attempts", "params", "config",
  "reports", "objective", "result_sha256", "worker_id", "error", "pruned_step", "pruned_reason",
  "state_sha256", "generation", "parent_trial_id", "exploited",
] as const;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function trialsToCsv(trials: TrialView[]): string {
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.final ?? {})))].sort();
  const lines = [[...CSV_COLUMNS, ...names.map((n) => `final.${n}`)].map(csvCell).join(",")];
  for (const t of trials) {
    const row = [
      t.id, t.sweepId, t.index, t.point, t.repeat, t.seed, t.state, t.attempts, t.params, t.config,
      t.metrics?.length ?? null, t.objective, t.resultSha256, t.workerId, t.error, t.pruned?.step, t.pruned?.reason, t.stateSha256,
      t.lineage?.generation, t.lineage?.parentTrialId, t.lineage?.exploited, ...names.map((n) => t.final?.[n]),
    ];
    lines.push(row.map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

export function trialsToJsonl(trials: TrialView[]): string {
  return trials.map((t) => JSON.stringify(t)).join("\n") + (trials.length ? "\n" : "");
}
