// `discalc best`: a sweep's leaderboard (final test accuracy, mean ± std over seeds, per
// parameter point), from a running controller's REST API or straight from a data directory
// (the controller may be running).
import { Store, type StoreLocation } from "../controller/store/store.ts";
import { sweepView, sweepLeaderboard, sweepImportance, NoImportanceError } from "../controller/api/api-views.ts";
import { formatLeaderboard } from "../controller/sweeps/leaderboard.ts";
import { ApiClient, ApiError } from "../../protocol/api-client.ts";
import type { Importance, Leaderboard, SweepView } from "../../protocol/api.ts";

export interface BestOptions {
  sweep: number;
  /** Exactly one of controller and data (a data directory, or a --store URL). */
  controller?: string;
  token?: string;
  data?: StoreLocation;
  /** Rows shown: 10 by default in the table, all of them in JSON. */
  top?: number;
  json: boolean;
  /** Also each parameter's importance (PED-ANOVA). */
  importance?: boolean;
}

/** A sweep's parameter importance from a data directory or a controller; a sentence when it has none yet. */
async function importanceOf(o: BestOptions): Promise<Importance | string> {
  if (o.data !== undefined) {
    const store = await Store.open(o.data, { serve: false });
    try {
      return await sweepImportance(store, (await store.sweep(o.sweep))!);
    } catch (err) {
      if (err instanceof NoImportanceError) return err.message;
      throw err;
    } finally {
      await store.close();
    }
  }
  try {
    return await new ApiClient(o.controller!, o.token).get("importance", {}, { id: o.sweep });
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) return err.message;
    throw err;
  }
}

/** Importance shares, largest first, with a bar each. */
export function formatImportance(imp: Importance | string): string {
  if (typeof imp === "string") return `parameter importance: none yet (${imp.replace(/^.*?: /, "")})`;
  const rows = Object.entries(imp.importance).sort((a, b) => b[1] - a[1]);
  const width = Math.max(...rows.map(([name]) => name.length));
  return [`parameter importance (PED-ANOVA over ${imp.trials} finished trials, ${imp.metric.name} ${imp.metric.goal}):`,
    ...rows.map(([name, share]) => `  ${name.padEnd(width)}  ${share.toFixed(3)}  ${"#".repeat(Math.round(share * 40))}`)].join("\n");
}

/** The sweep and its leaderboard from a data directory, as the REST API shows them. */
export async function bestFromData(at: StoreLocation, sweepId: number): Promise<{ sweep: SweepView; board: Leaderboard }> {
  const store = await Store.open(at, { serve: false });
  try {
    const row = await store.sweep(sweepId);
    if (!row) throw new Error(`--sweep ${sweepId}: no such sweep in ${store.where}${sweepList(await store.sweeps())}`);
    return { sweep: await sweepView(store, row), board: await sweepLeaderboard(store, row) };
  } finally {
    await store.close();
  }
}

/** The sweep and its leaderboard from a controller's REST API (/api/sweeps/:id, /api/sweeps/:id/leaderboard). */
export async function bestFromController(controller: string, token: string | undefined, sweepId: number): Promise<{ sweep: SweepView; board: Leaderboard }> {
  const client = new ApiClient(controller, token);
  let sweep: SweepView;
  try {
    sweep = await client.get("sweep", {}, { id: sweepId });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    const sweeps = await client.getAll("sweeps").catch(() => []);
    throw new Error(`--sweep ${sweepId}: no such sweep on the controller at ${controller}${sweepList(sweeps)}`);
  }
  // Every page of the ranking (the table shows the top rows, --json all of them).
  const first = await client.get("leaderboard", { limit: 1000 }, { id: sweepId });
  const rows = [...first.rows];
  for (let next = first.next; next !== null;) {
    const page = await client.get("leaderboard", { limit: 1000, cursor: next }, { id: sweepId });
    rows.push(...page.rows);
    next = page.next;
  }
  return { sweep, board: { ...first, rows, next: null } };
}

/** What `discalc best` prints. */
export async function bestCommand(o: BestOptions): Promise<string> {
  const { sweep, board } = o.data !== undefined ? await bestFromData(o.data, o.sweep) : await bestFromController(o.controller!, o.token, o.sweep);
  const rows = board.rows;
  const importance = o.importance ? await importanceOf(o) : undefined;
  const shown = o.top !== undefined ? rows.slice(0, o.top) : rows;
  if (o.json) {
    if (importance === undefined) return `${JSON.stringify(shown, null, 2)}\n`;
    return `${JSON.stringify({ rows: shown, importance: typeof importance === "string" ? null : importance.importance }, null, 2)}\n`;
  }
  const c = (k: string) => sweep.counts[k] ?? 0;
  const header = `sweep ${sweep.id} "${sweep.name}" (${sweep.state}): ${c("done")} of ${sweep.total} trials done` +
    `${c("pruned") ? `, ${c("pruned")} pruned` : ""}${c("diverged") ? `, ${c("diverged")} diverged (not ranked)` : ""}${c("failed") ? `, ${c("failed")} failed` : ""}${c("cancelled") ? `, ${c("cancelled")} cancelled` : ""}; ` +
    `${rows.length} point(s) with results`;
  const top = o.top ?? 10;
  const more = rows.length > top ? `\n(${rows.length - top} more; --top N shows more)` : "";
  return `${header}\n\n${formatLeaderboard(board, top)}${more}\n${importance === undefined ? "" : `\n${formatImportance(importance)}\n`}`;
}

function sweepList(sweeps: Array<{ id: number; name: string }>): string {
  return sweeps.length ? ` (sweeps: ${sweeps.map((s) => `${s.id} "${s.name}"`).join(", ")})` : " (it holds no sweeps)";
}
