// `discalc run`: everything on this machine. Starts the controller with its root relay,
// a local agent (a child process joined through the bootstrap), shows progress, prints
// the leaderboard and exits 0 when the sweep is done.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SingleBar, Presets } from "cli-progress";
import type { TrialState } from "../controller/store/store.ts";
import type { Controller } from "../controller/controller.ts";
import type { SweepStall } from "../../protocol/api.ts";
import type { EventLog } from "../log.ts";

const LOCAL_AGENT = fileURLToPath(new URL("./local-agent.mjs", import.meta.url));

export async function runCommand(o: { config: string; threads?: number; maxThreads?: number; data?: string; forceNew: boolean; verbose: boolean }): Promise<number> {
  // The agent starts first: its Node start-up overlaps the loading of the controller's modules
  // and the controller's start, and it learns the controller's URL when there is one.
  const agent = startLocalAgent(o.verbose);
  let agentExited = false;
  agent.once("exit", () => (agentExited = true));
  // So does the node bundle (for a new --data): esbuild builds it in its own process, or the bundle cache has it.
  const initialBundle = import("../controller/fleet/bundle-cache.ts").then((m) => m.cachedNodeBundle("initial"));
  initialBundle.catch(() => {}); // the controller awaits it if its store has no bundle yet
  let controller: Controller | undefined;
  let progress: Progress | undefined;
  // Ctrl-C (the terminal signals the agent too) or SIGTERM: stop watching, let the agent hand
  // its trials back and the controller take them (closing its root relay), so that a resume
  // finds them queued, with no attempt used and no lease to wait out. A second signal exits at once.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = sig;
    console.error(`\n${sig}: handing back running trials (resume with the same command and --data)`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // Imported here, after the agent and the bundle are on their way: loading them is most of our own start-up.
    const [{ startController }, { prepareSweepFile }, { sweepLeaderboard }, { formatLeaderboard }, { BOOTSTRAP_ROUTES }] = await Promise.all([
      import("../controller/controller.ts"), import("../controller/sweeps/prepare-sweep.ts"), import("../controller/api/api-views.ts"),
      import("../controller/sweeps/leaderboard.ts"), import("./join.ts"),
    ]);
    const prepared = await prepareSweepFile(o.config);
    const config = prepared.config;
    const data = o.data ?? mkdtempSync(join(tmpdir(), "discalc-run-"));
    const token = randomBytes(12).toString("hex");
    const log: EventLog = o.verbose ? (_level, _event, m) => console.error(`[controller] ${m}`) : () => {};
    controller = await startController({ data, token, port: 0, host: "127.0.0.1", config: prepared, forceNew: o.forceNew, log, initialBundle, maxThreads: o.maxThreads });
    const sweepId = controller.sweep!.sweepId;
    const store = controller.state.store;
    console.log(`sweep "${config.name}" (id ${sweepId}): ${controller.sweep!.trials} trials${controller.sweep!.resumed ? " (resumed)" : ""}; data in ${data}`);
    console.log(`dashboard: ${controller.url}/ (live curves and the leaderboard, while this runs)`);
    // What `discalc join --controller URL --token T --listen 127.0.0.1 [--threads N]` would run.
    const options = { controller: controller.url, token, listen: "127.0.0.1", routes: BOOTSTRAP_ROUTES, ...(o.threads ? { threads: o.threads } : {}) };
    agent.send({ type: "join", options }, () => {}); // a failed send means the agent is gone, which the loop reports
    progress = new Progress(process.stdout.isTTY === true);
    let shownAt = 0;
    for (;;) {
      const sweep = (await store.sweep(sweepId))!;
      const ended = sweep.state === "done" || sweep.state === "cancelled";
      if (ended || Date.now() - shownAt >= 500) {
        const counts = await store.countsBySweep(sweepId);
        progress.update(counts, controller.state.heartbeats.runningOf(sweepId, counts.leased), controller.state.stalls?.current(sweepId) ?? null);
        shownAt = Date.now();
      }
      if (ended) break;
      if (interrupted) {
        progress.stop();
        console.log(`stopped by ${interrupted}; data in ${data}`);
        return 130;
      }
      if (agentExited) throw new Error("the local agent exited before the sweep ended (run with --verbose to see why)");
      // Often enough that a finished sweep ends the run at once (the progress shows every 500 ms).
      await new Promise((r) => setTimeout(r, 100));
    }
    progress.stop();
    console.log(`\n${formatLeaderboard(await sweepLeaderboard(store, (await store.sweep(sweepId))!))}`);
    const failed = (await store.trialsOfSweep(sweepId)).filter((t) => t.state === "failed" || t.state === "diverged");
    for (const t of failed.slice(0, 5)) console.log(`trial ${t.id} ${t.state}: ${t.last_error}`);
    return 0;
  } finally {
    progress?.stop();
    // SIGTERM: the agent hands back its queued trials and finishes its running ones (or, when
    // the config was refused or the controller did not start, it never joined).
    if (!agentExited) {
      const gone = new Promise((r) => agent.once("exit", r));
      agent.kill("SIGTERM");
      await gone;
    }
    await controller?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * The local agent, started before there is a controller to join: `local-agent.mjs` waits for a
 * join message on the IPC channel, and exits when the channel closes (this process died).
 */
function startLocalAgent(verbose: boolean): ChildProcess {
  return spawn(process.execPath, [LOCAL_AGENT], { stdio: ["ignore", "inherit", verbose ? "inherit" : "ignore", "ipc"] });
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
  private lastStall = "";

  constructor(private readonly tty: boolean) {}

  /**
   * `running`: of the leased trials, those on a thread (the rest are reserved: prefetched);
   * `stall`: the controller's stall watch on this sweep; its reason is printed once per change.
   */
  update(c: Record<TrialState, number>, running: number, stall: SweepStall | null = null): void {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const finished = c.done + c.pruned + c.diverged + c.failed + c.cancelled;
    this.finishedAtStart ??= finished;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = (finished - this.finishedAtStart) / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (total - finished) / rate : NaN;
    const payload = {
      ok: c.done, failed: c.failed, running, reserved: c.leased - running, queued: c.queued, rate: rate.toFixed(2),
      elapsed: seconds(elapsed), remaining: finished === total ? "0s" : Number.isFinite(eta) ? seconds(eta) : "?",
      stall: stall ? ` | STALLED ${stall.seconds}s` : "",
    };
    // Why, in words, once per change (not per redraw): which trial waits on what.
    const why = stall ? stall.summary.replace(/^no trial has made progress for \d+ s/, "no trial has made progress") : "";
    if (why && why !== this.lastStall) {
      if (this.tty) process.stdout.write("\n");
      console.log(`stalled: ${stall!.summary}`);
    }
    this.lastStall = why;
    if (this.tty) {
      if (!this.bar) {
        this.bar = new SingleBar({
          stream: process.stdout,
          format: "{bar} {value}/{total} done | {running} running, {reserved} reserved | {failed} failed | {rate} trials/s, ETA {remaining}{stall}",
          // The whole line fits the terminal (about 76 characters besides the bar).
          barsize: Math.max(10, Math.min(40, (process.stdout.columns || 80) - 78)),
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
    const counts = `${finished}/${total} done (${c.done} ok, ${c.pruned ? `${c.pruned} pruned, ` : ""}${c.diverged ? `${c.diverged} diverged, ` : ""}${c.failed} failed), ${running} running, ${c.leased - running} reserved, ${c.queued} queued`;
    const line = `${counts}${stall ? ", STALLED" : ""}`;
    if (line !== this.lastCounts) console.log(`${counts} — ${payload.rate} trials/s, ${payload.elapsed} elapsed, ETA ${payload.remaining}${payload.stall}`);
    this.lastCounts = line;
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
