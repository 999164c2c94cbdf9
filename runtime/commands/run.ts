// `discalc run`: everything on this machine. Starts the controller with its root relay,
// a local agent (a child process joined through the bootstrap), shows progress, prints
// the leaderboard and exits 0 when the sweep is done.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SingleBar, Presets } from "cli-progress";
import { startController } from "../controller/controller.ts";
import { prepareSweepFile } from "../controller/prepare-sweep.ts";
import { sweepLeaderboard } from "../controller/api-views.ts";
import { formatLeaderboard } from "../controller/leaderboard.ts";
import type { TrialState } from "../controller/store.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));

export async function runCommand(o: { config: string; threads?: number; data?: string; forceNew: boolean; verbose: boolean }): Promise<number> {
  const prepared = await prepareSweepFile(o.config);
  const config = prepared.config;
  const data = o.data ?? mkdtempSync(join(tmpdir(), "discalc-run-"));
  const token = randomBytes(12).toString("hex");
  const log = o.verbose ? (m: string) => console.error(`[controller] ${m}`) : () => {};
  const controller = await startController({ data, token, port: 0, host: "127.0.0.1", config: prepared, forceNew: o.forceNew, log });
  const sweepId = controller.sweep!.sweepId;
  const store = controller.state.store;
  console.log(`sweep "${config.name}" (id ${sweepId}): ${controller.sweep!.trials} trials${controller.sweep!.resumed ? " (resumed)" : ""}; data in ${data}`);
  const args = [CLI, "join", "--controller", controller.url, "--token", token, "--listen", "127.0.0.1"];
  if (o.threads) args.push("--threads", String(o.threads));
  const agent = spawn(process.execPath, args, {
    stdio: ["ignore", "inherit", o.verbose ? "inherit" : "ignore"], env: { ...process.env, DISCALC_EXIT_WITH_PARENT: "1" },
  });
  let agentExited = false;
  agent.on("exit", () => (agentExited = true));
  const progress = new Progress(process.stdout.isTTY === true);
  try {
    for (;;) {
      const sweep = (await store.sweep(sweepId))!;
      progress.update(await store.countsBySweep(sweepId));
      if (sweep.state === "done" || sweep.state === "cancelled") break;
      if (agentExited) throw new Error("the local agent exited before the sweep ended (run with --verbose to see why)");
      await new Promise((r) => setTimeout(r, 500));
    }
    progress.stop();
    console.log(`\n${formatLeaderboard(await sweepLeaderboard(store, (await store.sweep(sweepId))!))}`);
    const failed = (await store.trialsOfSweep(sweepId)).filter((t) => t.state === "failed");
    for (const t of failed.slice(0, 5)) console.log(`trial ${t.id} failed: ${t.last_error}`);
    return 0;
  } finally {
    progress.stop();
    agent.kill("SIGTERM");
    await new Promise((r) => (agentExited ? r(null) : agent.once("exit", r)));
    await controller.close();
  }
}

/**
 * The sweep's progress: a cli-progress bar redrawn in place on a terminal; on anything else
 * (CI logs, a pipe) one plain line each time the counts change.
 */
class Progress {
  private readonly started = Date.now();
  /** Trials already finished when we started watching (a resumed sweep): not part of the rate. */
  private finishedAtStart: number | undefined;
  private bar: SingleBar | undefined;
  private lastCounts = "";

  constructor(private readonly tty: boolean) {}

  update(c: Record<TrialState, number>): void {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const finished = c.done + c.pruned + c.failed + c.cancelled;
    this.finishedAtStart ??= finished;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = (finished - this.finishedAtStart) / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (total - finished) / rate : NaN;
    const payload = {
      ok: c.done, failed: c.failed, running: c.leased, queued: c.queued, rate: rate.toFixed(2),
      elapsed: seconds(elapsed), remaining: finished === total ? "0s" : Number.isFinite(eta) ? seconds(eta) : "?",
    };
    if (this.tty) {
      if (!this.bar) {
        this.bar = new SingleBar({
          stream: process.stdout,
          format: "{bar} {value}/{total} done | {running} running | {failed} failed | {rate} trials/s, ETA {remaining}",
          // The whole line fits the terminal (about 62 characters besides the bar).
          barsize: Math.max(10, Math.min(40, (process.stdout.columns || 80) - 64)),
          fps: 5,
          // Trim to the terminal width instead of switching auto-wrap off: a Ctrl-C then
          // leaves the terminal as it was.
          linewrap: true,
          hideCursor: false,
        }, Presets.shades_classic);
        this.bar.start(total, finished, payload);
      } else {
        this.bar.setTotal(total);
        this.bar.update(finished, payload);
      }
      return;
    }
    const counts = `${finished}/${total} done (${c.done} ok, ${c.pruned ? `${c.pruned} pruned, ` : ""}${c.failed} failed), ${c.leased} running, ${c.queued} queued`;
    if (counts !== this.lastCounts) console.log(`${counts} — ${payload.rate} trials/s, ${payload.elapsed} elapsed, ETA ${payload.remaining}`);
    this.lastCounts = counts;
  }

  /** Draws the last state and leaves the cursor on a fresh line; safe to call twice. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function seconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, "0")}m`;
}
