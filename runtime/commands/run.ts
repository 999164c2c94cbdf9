// `discalc run`: everything on this machine. Starts the controller with its root relay,
// a local agent (a child process joined through the bootstrap), shows progress, prints
// the leaderboard and exits 0 when the sweep is done.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startController } from "../controller/controller.ts";
import { parseSweepConfig } from "../controller/sweep-config.ts";
import { trialView } from "../controller/api-views.ts";
import { leaderboard, formatLeaderboard } from "../controller/leaderboard.ts";
import { readConfigFile } from "../config-file.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));

export async function runCommand(o: { config: string; threads?: number; data?: string; forceNew: boolean; verbose: boolean }): Promise<number> {
  const config = parseSweepConfig(readConfigFile(o.config));
  const data = o.data ?? mkdtempSync(join(tmpdir(), "discalc-run-"));
  const token = randomBytes(12).toString("hex");
  const log = o.verbose ? (m: string) => console.error(`[controller] ${m}`) : () => {};
  const controller = await startController({ data, token, port: 0, host: "127.0.0.1", config, forceNew: o.forceNew, log });
  const sweepId = controller.sweep!.sweepId;
  const store = controller.state.store;
  console.log(`sweep "${config.name}" (id ${sweepId}): ${controller.sweep!.trials} trials${controller.sweep!.resumed ? " (resumed)" : ""}; data in ${data}`);
  const args = [CLI, "join", "--controller", controller.url, "--token", token, "--listen", "127.0.0.1"];
  if (o.threads) args.push("--threads", String(o.threads));
  const agent = spawn(process.execPath, args, { stdio: ["ignore", "inherit", o.verbose ? "inherit" : "ignore"] });
  let agentExited = false;
  agent.on("exit", () => (agentExited = true));
  const started = Date.now();
  const tty = process.stdout.isTTY;
  let lastLine = "";
  try {
    for (;;) {
      const sweep = store.sweep(sweepId)!;
      const c = store.countsBySweep(sweepId);
      const total = Object.values(c).reduce((a, b) => a + b, 0);
      const finished = c.done + c.failed + c.cancelled;
      const elapsed = (Date.now() - started) / 1000;
      const rate = finished / Math.max(elapsed, 1e-3);
      const eta = rate > 0 ? (total - finished) / rate : NaN;
      const line = `${finished}/${total} done (${c.done} ok, ${c.failed} failed), ${c.leased} running, ${c.queued} queued — ${rate.toFixed(2)} trials/s, ${elapsed.toFixed(0)}s elapsed${Number.isFinite(eta) ? `, ~${eta.toFixed(0)}s left` : ""}`;
      if (tty) process.stdout.write(`\r${line.padEnd(lastLine.length)}`);
      else if (line.split(" —")[0] !== lastLine.split(" —")[0]) console.log(line);
      lastLine = line;
      if (sweep.state === "done" || sweep.state === "cancelled") break;
      if (agentExited) throw new Error("the local agent exited before the sweep ended (run with --verbose to see why)");
      await new Promise((r) => setTimeout(r, 500));
    }
    if (tty) process.stdout.write("\n");
    const trials = store.trialsOfSweep(sweepId).map((t) => trialView(store, t));
    console.log(`\n${formatLeaderboard(leaderboard(trials))}`);
    const failed = trials.filter((t) => t.state === "failed");
    for (const t of failed.slice(0, 5)) console.log(`trial ${t.id} failed: ${t.error}`);
    return 0;
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => (agentExited ? r(null) : agent.once("exit", r)));
    await controller.close();
  }
}
