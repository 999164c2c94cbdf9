// Start-up benchmark: how long `discalc run` takes from the command to its first lease, on a
// fresh --data folder each time (so the controller starts as a new user's first run does).
// Real child processes; the times of the milestones are when their lines reach us, the first
// lease and first result are the controller's own clock (its store, read after the run).
//
//   npx tsx runtime/bench/startup.ts [--runs N] [--config FILE]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../controller/store/store.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));
const SMALL_SWEEP = fileURLToPath(new URL("../../examples/moons-tiny.yaml", import.meta.url));

/** Milliseconds after `discalc run` was spawned; undefined for what did not happen. */
export interface StartupRun {
  /** The sweep line on stdout: the controller is listening and the sweep is stored. */
  controllerUp?: number;
  /** The local agent's "joined as" line. */
  agentJoined?: number;
  /** The agent's "N thread(s)" line: its bundle is loaded and its threads are being started. */
  agentRunning?: number;
  /** The first attempt's leased_at in the controller's store. */
  firstLease: number;
  /** The first stored result. */
  firstResult: number;
  exit: number;
}

/** One `discalc run --verbose` of `config` on a fresh --data folder. */
export async function timeRunStartup(config = SMALL_SWEEP): Promise<StartupRun> {
  const data = mkdtempSync(join(tmpdir(), "discalc-startup-"));
  try {
    const marks: Partial<StartupRun> = {};
    const start = Date.now();
    const child = spawn(process.execPath, [CLI, "run", config, "--data", data, "--verbose"], { stdio: ["ignore", "pipe", "pipe"] });
    const mark = (key: keyof StartupRun, line: RegExp) => (text: string) => {
      if (marks[key] === undefined && line.test(text)) marks[key] = Date.now() - start;
    };
    const watchers = { stdout: [mark("controllerUp", /^sweep "/m)], stderr: [mark("agentJoined", /joined as /), mark("agentRunning", /\d+ thread\(s\)/)] };
    let output = "";
    for (const name of ["stdout", "stderr"] as const) {
      child[name].on("data", (d: Buffer) => {
        const text = d.toString();
        output = (output + text).slice(-4000);
        for (const w of watchers[name]) w(text);
      });
    }
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const exit = Date.now() - start;
    if (code !== 0) throw new Error(`discalc run exited ${code}:\n${output}`);
    const store = await Store.open({ dir: data }, { serve: false });
    try {
      const trials = await store.trialsOfSweep(1);
      const ids = trials.map((t) => t.id);
      const firstLease = Math.min(...(await store.attemptsOfTrials(ids)).map((a) => a.leased_at));
      const firstResult = Math.min(...(await store.resultsOfTrials(ids)).map((r) => r.stored_at));
      return { ...marks, firstLease: firstLease - start, firstResult: firstResult - start, exit };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Runs `discalc run` `runs` times and prints the "start-up:" line, then (unless `milestones` is
 * false) a line per milestone.
 */
export async function printStartup(o: { runs?: number; config?: string; milestones?: boolean } = {}): Promise<StartupRun[]> {
  const runs = o.runs ?? 5;
  const config = o.config ?? SMALL_SWEEP;
  const results: StartupRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await timeRunStartup(config));
  const row = (key: keyof StartupRun) => {
    const xs = results.map((r) => r[key]).filter((x): x is number => x !== undefined);
    return xs.length ? `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms` : "not seen";
  };
  console.log(`start-up: \`discalc run\` to its first lease ${row("firstLease")}; to exit ${row("exit")} (${runs} runs, fresh --data, ${config.split("/").pop()})`);
  if (o.milestones === false) return results;
  const milestones: [keyof StartupRun, string][] = [
    ["controllerUp", "controller listening, sweep stored"], ["agentJoined", "local agent joined"],
    ["agentRunning", "agent's bundle loaded, threads starting"], ["firstLease", "first lease (store's leased_at)"],
    ["firstResult", "first result stored"], ["exit", "exit"],
  ];
  for (const [key, what] of milestones) console.log(`  ${what.padEnd(42)} ${row(key)}`);
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, config: { type: "string" } } });
  await printStartup({ runs: Number(values.runs), config: values.config });
}
