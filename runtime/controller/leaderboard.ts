// Trials grouped by parameter point: final test accuracy as mean ± std over seeds.
import type { TrialView } from "./api-views.ts";

export interface LeaderboardRow {
  point: number;
  params: Record<string, unknown>;
  seeds: number;
  meanAccuracy: number;
  stdAccuracy: number;
  meanTestLoss: number;
  trialIds: number[];
}

export function leaderboard(trials: TrialView[]): LeaderboardRow[] {
  const groups = new Map<string, TrialView[]>();
  for (const t of trials) {
    if (t.state !== "done" || !t.metrics.length) continue;
    const k = JSON.stringify(t.params);
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  const rows = [...groups.values()].map((ts) => {
    const acc = ts.map((t) => t.metrics.at(-1)!.testAccuracy ?? 0);
    const loss = ts.map((t) => t.metrics.at(-1)!.testLoss ?? Infinity);
    const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
    const variance = acc.length > 1 ? acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1) : 0;
    return {
      point: ts[0]!.point, params: ts[0]!.params, seeds: ts.length, meanAccuracy: mean, stdAccuracy: Math.sqrt(variance),
      meanTestLoss: loss.reduce((a, b) => a + b, 0) / loss.length, trialIds: ts.map((t) => t.id),
    };
  });
  return rows.sort((a, b) => b.meanAccuracy - a.meanAccuracy || a.meanTestLoss - b.meanTestLoss);
}

export function formatLeaderboard(rows: LeaderboardRow[], top = 10): string {
  if (!rows.length) return "no finished trials yet";
  const lines = ["rank  test accuracy (mean ± std)  seeds  params"];
  rows.slice(0, top).forEach((r, i) => {
    const params = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ") || "(base config)";
    lines.push(`${String(i + 1).padStart(4)}  ${(r.meanAccuracy * 100).toFixed(2).padStart(8)}% ± ${(r.stdAccuracy * 100).toFixed(2).padStart(5)}%        ${String(r.seeds).padStart(5)}  ${params}`);
  });
  return lines.join("\n");
}
