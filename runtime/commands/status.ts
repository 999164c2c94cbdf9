// `discalc status`: the network as the controller sees it (controller → relays → workers,
// with liveness and live statistics) and each sweep's progress, from the REST API.
import { ApiClient } from "../../protocol/api-client.ts";
import type { NodeView, SweepView, Leaderboard, TrialView, SweepStall } from "../../protocol/api.ts";
import type { RelayStats, WorkerStats } from "../../protocol/messages.ts";

type NodeInfo = NodeView;
/** Failed trials shown per sweep, each with its error and stack. */
const FAILED_SHOWN = 3;

export async function statusCommand(o: { controller: string; token?: string }): Promise<string> {
  const client = new ApiClient(o.controller, o.token);
  const [nodes, sweeps] = await Promise.all([client.getAll("nodes"), client.getAll("sweeps")]);
  // The root relay (inside the controller) reports no heartbeat to itself: ask for its live
  // statistics, and show the tree without them if that fails.
  const controller = nodes.find((n) => n.role === "controller");
  let rootStats: Partial<RelayStats> | null = null;
  if (controller) rootStats = await client.get("stats", {}, { id: controller.id }).catch(() => null);
  // Each sweep's best point so far, by its own metric (the newest 20 sweeps).
  const boards = new Map<number, Leaderboard>();
  // And, for those running, why they have made no progress lately, if they have not.
  const stalls = new Map<number, SweepStall>();
  await Promise.all(sweeps.slice(-20).map(async (sw) => {
    const [board, detail] = await Promise.all([
      client.get("leaderboard", {}, { id: sw.id }).catch(() => null),
      sw.state === "running" ? client.get("sweep", {}, { id: sw.id }).catch(() => null) : null,
    ]);
    if (board) boards.set(sw.id, board);
    if (detail?.stalled) stalls.set(sw.id, detail.stalled);
  }));
  // The newest sweeps' first failed trials, with their errors and stacks: what to fix.
  const failures = new Map<number, TrialView[]>();
  await Promise.all(sweeps.slice(-5).filter((sw) => (sw.counts.failed ?? 0) > 0).map(async (sw) => {
    const page = await client.get("trials", { sweep: sw.id, state: "failed", limit: FAILED_SHOWN }).catch(() => null);
    if (page) failures.set(sw.id, page.items);
  }));
  return `${formatNetwork(nodes, rootStats, Date.now())}\n\n${formatSweeps(sweeps, boards, failures, stalls)}`;
}

/** The tree: controller → relays → workers (workers of the root relay hang off the controller). */
export function formatNetwork(nodes: NodeInfo[], rootStats: Partial<RelayStats> | null, now: number): string {
  const controller = nodes.find((n) => n.role === "controller");
  const relays = nodes.filter((n) => n.role === "relay");
  const workers = nodes.filter((n) => n.role === "worker");
  const lines: string[] = [];
  const rootId = controller?.id ?? null;
  if (controller) {
    lines.push(join([
      `controller ${controller.id} (${controller.host})`,
      controller.bundleSha ? `bundle ${controller.bundleSha.slice(0, 12)}` : undefined,
      ...relayFigures(rootStats),
    ]));
  } else {
    lines.push("controller (not listed)");
  }
  const under = (relayId: string | null) => workers.filter((w) => w.relay === relayId);
  const known = new Set([rootId, ...relays.map((r) => r.id)]);
  const orphans = workers.filter((w) => !known.has(w.relay));
  type Child = { line: string; children: string[] };
  const children: Child[] = [
    ...under(rootId).map((w) => ({ line: workerLine(w, now), children: [] })),
    ...relays.map((r) => ({ line: relayLine(r, now), children: under(r.id).map((w) => workerLine(w, now)) })),
    ...(orphans.length ? [{ line: "workers under a relay the controller does not list", children: orphans.map((w) => workerLine(w, now)) }] : []),
  ];
  if (!children.length) lines.push("└─ (no relays or workers have joined)");
  children.forEach((c, i) => {
    const last = i === children.length - 1;
    lines.push(`${last ? "└─" : "├─"} ${c.line}`);
    c.children.forEach((w, j) => lines.push(`${last ? "   " : "│  "}${j === c.children.length - 1 ? "└─" : "├─"} ${w}`));
  });
  const count = (role: string, state: string) => nodes.filter((n) => n.role === role && n.state === state).length;
  lines.push("");
  lines.push(`${relays.length} relay(s) (${count("relay", "alive")} alive), ${workers.length} worker(s) (${count("worker", "alive")} alive, ` +
    `${count("worker", "silent")} silent, ${count("worker", "gone")} gone), ` +
    `${workers.filter((w) => w.state !== "gone").reduce((s, w) => s + w.threads, 0)} worker threads`);
  return lines.join("\n");
}

function relayLine(r: NodeInfo, now: number): string {
  const stats = isObject(r.stats) ? (r.stats as Partial<RelayStats>) : null;
  return join([`relay ${r.id} (${r.host})`, r.url ?? "(no URL yet)", liveness(r, now), ...relayFigures(stats)]);
}

function relayFigures(stats: Partial<RelayStats> | null): Array<string | undefined> {
  if (!stats) return [];
  return [
    typeof stats.running === "number" ? `${stats.running} running` : undefined,
    typeof stats.reserved === "number" && typeof stats.queued === "number" ? `${stats.reserved + stats.queued} reserved` : undefined,
    typeof stats.bufferedResults === "number" && stats.bufferedResults > 0 ? `${stats.bufferedResults} results buffered` : undefined,
    typeof stats.trialsPerMinute === "number" ? `${stats.trialsPerMinute} trials/min` : undefined,
  ];
}

function workerLine(w: NodeInfo, now: number): string {
  const stats = isObject(w.stats) ? (w.stats as Partial<WorkerStats>) : null;
  return join([
    `worker ${w.id} (${w.host})`,
    `${w.threads} thread${w.threads === 1 ? "" : "s"}`,
    liveness(w, now),
    typeof stats?.busy === "number" ? `busy ${stats.busy}/${w.threads}` : undefined,
    typeof stats?.reserved === "number" && stats.reserved > 0 ? `${stats.reserved} reserved` : undefined,
    typeof stats?.trialsDone === "number" ? `${stats.trialsDone} trials done` : undefined,
    typeof stats?.gflops === "number" && stats.gflops > 0 ? `${stats.gflops.toFixed(1)} GFLOP/s` : undefined,
  ]);
}

/** alive, or a loud SILENT / GONE with how long ago the node was last heard from. */
function liveness(n: NodeInfo, now: number): string {
  if (n.state === "alive") return "alive";
  const ago = Number.isFinite(n.lastHeartbeat) ? `, last heard ${duration(now - n.lastHeartbeat)} ago` : "";
  return n.state === "silent" ? `!! SILENT${ago}` : n.state === "gone" ? `GONE${ago}` : `${n.state}${ago}`;
}

export function formatSweeps(
  sweeps: SweepView[], boards: Map<number, Leaderboard> = new Map(), failures: Map<number, TrialView[]> = new Map(), stalls: Map<number, SweepStall> = new Map(),
): string {
  if (!sweeps.length) return "no sweeps";
  const lines = ["sweeps"];
  for (const s of sweeps) {
    const c = (k: string) => s.counts[k] ?? 0;
    // Leased trials on a thread, and those prefetched (a controller before this split counts them all as running).
    const running = s.counts.running ?? c("leased");
    const finished = c("done") + c("pruned") + c("diverged") + c("failed") + c("cancelled");
    const pct = s.total ? Math.floor((finished / s.total) * 100) : 100;
    lines.push(`  ${s.id}  "${s.name}"  ${s.state}  ${finished}/${s.total} finished (${pct}%): ` +
      `${c("done")} done, ${c("pruned") ? `${c("pruned")} pruned, ` : ""}${c("diverged") ? `${c("diverged")} diverged, ` : ""}` +
      `${c("failed")} failed, ${running} running, ${c("leased") - running} reserved, ${c("queued")} queued` +
      `${c("cancelled") ? `, ${c("cancelled")} cancelled` : ""} of ${s.total}`);
    const best = boards.get(s.id)?.rows[0];
    lines.push(`      experiment ${s.experiment.name}, ${s.metric.name} (${s.metric.goal})` +
      (best ? `: best ${Number(best.mean.toPrecision(6))} ± ${Number(best.std.toPrecision(3))} at ${JSON.stringify(best.params)}` : ""));
    for (const t of failures.get(s.id) ?? []) {
      const [head, ...stack] = (t.error ?? "failed without a message").split("\n");
      lines.push(`      trial ${t.id} failed (attempt ${t.attempts}): ${head}`, ...stack.map((l) => `        ${l.trim()}`));
    }
    const stall = stalls.get(s.id);
    if (stall) lines.push(`      !! STALLED: ${stall.summary}`);
  }
  return lines.join("\n");
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const join = (parts: Array<string | undefined>) => parts.filter((p): p is string => !!p).join(" · ");
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
