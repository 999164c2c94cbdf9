// One row per trial, as CSV or JSON lines, straight from a controller's store.
import type { TrialView } from "./api-views.ts";

export const CSV_COLUMNS = [
  "trial_id", "sweep_id", "index", "point", "repeat", "seed", "state", "attempts", "params",
  "epochs", "final_train_loss", "final_test_loss", "final_test_accuracy", "weights_sha256", "worker_id", "error",
] as const;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function trialsToCsv(trials: TrialView[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const t of trials) {
    const last = t.metrics.at(-1);
    const row = [
      t.id, t.sweepId, t.index, t.point, t.repeat, t.seed, t.state, t.attempts, t.params,
      t.metrics.length, last?.trainLoss, last?.testLoss, last?.testAccuracy, t.weightsSha256, t.workerId, t.error,
    ];
    lines.push(row.map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

export function trialsToJsonl(trials: TrialView[]): string {
  return trials.map((t) => JSON.stringify(t)).join("\n") + (trials.length ? "\n" : "");
}
