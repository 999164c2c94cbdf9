// End to end: `discalc run`, which starts its local agent before its controller (see
// commands/local-agent.mjs). The sweep runs to its leaderboard and everything exits; a run
// killed with SIGKILL takes its agent with it; a refused config leaves no process behind.
// Processes of one run are found by a marker in their environment (Linux: /proc).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Cluster, waitFor, type Proc } from "./cluster.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const sweep = (epochs: number, train = 200) => ({
  name: "run-xor",
  dataset: { name: "xor", train, test: 50 },
  model: { hidden: [4], activation: "tanh" },
  train: { epochs, batch: 16, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.03, 0.3] } },
});

/** Pids of the live processes whose environment holds DISCALC_TEST_RUN=mark (all of them, or
 * only those whose command line includes `only`: esbuild's service process, which tsx and the
 * bundle build start on a fresh clone, inherits the marker too). */
function marked(mark: string, only?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue; // a zombie has exited
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`DISCALC_TEST_RUN=${mark}`)) continue;
      if (only === undefined || readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(only)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return pids;
}

/** `discalc run` with a marker that its children inherit. */
function startRun(c: Cluster, args: string[]): { proc: Proc; mark: string } {
  const mark = randomBytes(6).toString("hex");
  process.env.DISCALC_TEST_RUN = mark;
  try {
    return { proc: c.spawn("run", ["run", ...args]), mark };
  } finally {
    delete process.env.DISCALC_TEST_RUN;
  }
}

test("run: the sweep to its leaderboard, exit 0, and its agent exits too", { timeout: 120_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const { proc, mark } = startRun(c, [c.writeConfig("xor", sweep(2)), "--data", `${c.dir}/data`, "--threads", "1", "--verbose"]);
  const agents = await waitFor(async () => {
    const agents = marked(mark, "/runtime/commands/local-agent.mjs");
    return agents.length ? agents : undefined;
  }, 30_000, "the local agent to start", () => c.dump());
  assert.equal(agents.length, 1, "one local agent");
  assert.equal(await proc.exited, 0, c.dump());
  const out = proc.log.join("\n");
  assert.match(out, /4\/4 done \(4 ok, 0 failed\)/);
  assert.match(out, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/ /m, "the dashboard's URL, at start");
  assert.match(out, /joined as worker/, "the agent joined through the bootstrap");
  assert.match(out, /terminating: handing back queued trials/, "the agent was told to drain (SIGTERM)");
  assert.equal((out.match(/^\s+\d+\s+[\d.]+ ± /gm) ?? []).length, 2, "a leaderboard row per learning rate");
  // esbuild's service process ends when its parent's pipe closes, a moment after the parent.
  await waitFor(async () => marked(mark).length === 0, 5_000, "no process of the run to be left", () => JSON.stringify(marked(mark)));
});

test("run killed with SIGKILL: its agent exits too", { timeout: 120_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  // Trials long enough that the sweep is far from done when the run is killed.
  const { proc, mark } = startRun(c, [c.writeConfig("xor", sweep(10_000, 2000)), "--data", `${c.dir}/data`, "--threads", "1", "--verbose"]);
  await waitFor(async () => proc.log.some((l) => /worker \S+: 1 thread/.test(l)), 60_000, "the agent to run trials", () => c.dump());
  assert.equal(marked(mark, "/runtime/commands/local-agent.mjs").length, 1, "one local agent");
  proc.child.kill("SIGKILL"); // the run alone, not its process group: nothing can signal the agent
  await proc.exited;
  await waitFor(async () => marked(mark).length === 0, 10_000, "the agent to exit", () => c.dump());
});

test("run with a refused config: exit 2, the problem, and no agent left behind", { timeout: 60_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const bad = { ...sweep(2), train: { epochs: -1, batch: 16, lr: 0.01 } };
  const { proc, mark } = startRun(c, [c.writeConfig("bad", bad), "--data", `${c.dir}/data`, "--verbose"]);
  assert.equal(await proc.exited, 2, c.dump());
  assert.match(proc.log.join("\n"), /epochs/);
  await waitFor(async () => marked(mark).length === 0, 10_000, "the agent to exit", () => c.dump());
});
