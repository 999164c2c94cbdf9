// The one place that ranks a sweep: trials grouped by parameter point, the sweep's metric as
// mean ± std over the point's finished seeds, best first by the metric's goal. The REST API
// serves it; the dashboard and the CLI show what it says.
import type { Leaderboard, LeaderboardRow } from "../../../protocol/api.ts";
import type { MetricSpec } from "../../experiments/experiment-entry.ts";

export interface RankedTrial {
  id: number;
  point: number;
  /** Or left out, and read for the rows of the page only (see `paramsOf`). */
  params?: Record<string, unknown>;
  /** The trial's value of the metric; trials without one are left out. */
  objective: number | null;
}

/** Every point, ranked; `page` cuts it (rows [offset, offset + limit)). */
export function leaderboard(
  sweepId: number, metric: MetricSpec, trials: RankedTrial[], page: { offset: number; limit: number } = { offset: 0, limit: Infinity },
  paramsOf: (trialId: number) => Record<string, unknown> = () => ({}),
): Leaderboard {
  const groups = new Map<number, RankedTrial[]>();
  for (const t of trials) {
    if (t.objective === null || !Number.isFinite(t.objective)) continue;
    const group = groups.get(t.point);
    if (group) group.push(t);
    else groups.set(t.point, [t]);
  }
  const rows = [...groups.values()].map((ts) => {
    const values = ts.map((t) => t.objective!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
    return { point: ts[0]!.point, params: ts[0]!.params, seeds: ts.length, mean, std: Math.sqrt(variance), trialIds: ts.map((t) => t.id) };
  });
  const sign = metric.goal === "maximize" ? -1 : 1;
  rows.sort((a, b) => sign * (a.mean - b.mean) || a.std - b.std || a.point - b.point);
  const end = page.offset + page.limit;
  const shown: LeaderboardRow[] = rows.slice(page.offset, end).map((r) => ({ ...r, params: r.params ?? paramsOf(r.trialIds[0]!) }));
  return { sweepId, metric, rows: shown, total: rows.length, next: end < rows.length ? String(end) : null };
}

export function formatLeaderboard(board: Leaderboard, top = 10): string {
  const { rows, metric } = board;
  if (!rows.length) return "no finished trials yet";
  const title = `${metric.name} (${metric.goal === "maximize" ? "higher" : "lower"} is better): mean ± std`;
  const cells = rows.slice(0, top).map((r) => [fmt(r.mean), fmt(r.std)]);
  const width = Math.max(...cells.map(([m]) => m!.length));
  const sdWidth = Math.max(...cells.map(([, s]) => s!.length));
  const lines = [`rank  ${title}  seeds  params`];
  rows.slice(0, top).forEach((r, i) => {
    const params = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ") || "(base config)";
    const [m, s] = cells[i]!;
    lines.push(`${String(i + 1).padStart(4)}  ${m!.padStart(width)} ± ${s!.padStart(sdWidth)}  ${String(r.seeds).padStart(5)}  ${params}`);
  });
  return lines.join("\n");
}

/** Six significant digits, without exponent noise for ordinary magnitudes. */
function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-4 && a < 1e9 ? String(Number(v.toPrecision(6))) : v.toExponential(5);
}
