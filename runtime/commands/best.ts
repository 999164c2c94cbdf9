// `discalc best`: a sweep's leaderboard (final test accuracy, mean ± std over seeds, per
// parameter point), from a running controller's REST API or straight from a data directory
// (the controller may be running).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../controller/store.ts";
import { trialView, sweepView, type TrialView } from "../controller/api-views.ts";
import { leaderboard, formatLeaderboard, type LeaderboardRow } from "../controller/leaderboard.ts";
import { apiGet, ApiError, type SweepInfo } from "./status.ts";

export interface BestOptions {
  sweep: number;
  /** Exactly one of controller and data. */
  controller?: string;
  token?: string;
  data?: string;
  /** Rows shown: 10 by default in the table, all of them in JSON. */
  top?: number;
  json: boolean;
}

export interface SweepTrials {
  sweep: SweepInfo;
  trials: TrialView[];
}

/** The sweep and its trials from a data directory, read as the REST API shows them. */
export function trialsFromData(data: string, sweepId: number): SweepTrials {
  if (!existsSync(join(data, "discalc.sqlite"))) throw new Error(`--data ${data} holds no discalc store`);
  const store = new Store(data);
  try {
    const row = store.sweep(sweepId);
    if (!row) throw new Error(`--sweep ${sweepId}: no such sweep in ${data}${sweepList(store.sweeps())}`);
    return { sweep: sweepView(store, row), trials: store.trialsOfSweep(sweepId).map((t) => trialView(store, t)) };
  } finally {
    store.close();
  }
}

/** The sweep and its trials from a controller's REST API (/api/sweeps/:id, /api/trials?sweep=). */
export async function trialsFromController(controller: string, token: string | undefined, sweepId: number): Promise<SweepTrials> {
  let sweep: SweepInfo;
  try {
    sweep = await apiGet<SweepInfo>(controller, token, "sweep", {}, { id: sweepId });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    const sweeps = await apiGet<SweepInfo[]>(controller, token, "sweeps").catch(() => []);
    throw new Error(`--sweep ${sweepId}: no such sweep on the controller at ${controller}${sweepList(sweeps)}`);
  }
  const trials = await apiGet<TrialView[]>(controller, token, "trials", { sweep: sweepId });
  return { sweep, trials };
}

/** The leaderboard rows of a sweep, best first, from wherever the options point. */
export async function bestRows(o: BestOptions): Promise<{ sweep: SweepInfo; rows: LeaderboardRow[] }> {
  const { sweep, trials } = o.data !== undefined ? trialsFromData(o.data, o.sweep) : await trialsFromController(o.controller!, o.token, o.sweep);
  return { sweep, rows: leaderboard(trials) };
}

/** What `discalc best` prints. */
export async function bestCommand(o: BestOptions): Promise<string> {
  const { sweep, rows } = await bestRows(o);
  if (o.json) return `${JSON.stringify(o.top !== undefined ? rows.slice(0, o.top) : rows, null, 2)}\n`;
  const c = (k: string) => sweep.counts[k] ?? 0;
  const header = `sweep ${sweep.id} "${sweep.name}" (${sweep.state}): ${c("done")} of ${sweep.total} trials done` +
    `${c("failed") ? `, ${c("failed")} failed` : ""}${c("cancelled") ? `, ${c("cancelled")} cancelled` : ""}; ` +
    `${rows.length} point(s) with results`;
  const top = o.top ?? 10;
  const more = rows.length > top ? `\n(${rows.length - top} more; --top N shows more)` : "";
  return `${header}\n\n${formatLeaderboard(rows, top)}${more}\n`;
}

function sweepList(sweeps: Array<{ id: number; name: string }>): string {
  return sweeps.length ? ` (sweeps: ${sweeps.map((s) => `${s.id} "${s.name}"`).join(", ")})` : " (it holds no sweeps)";
}
