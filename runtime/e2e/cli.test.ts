// End to end: the researcher's read-only commands against real processes. A controller,
// a relay and an agent run a tiny xor sweep; then `discalc status` shows the tree and the
// sweep, `discalc best` prints the same leaderboard from the controller and from the data
// directory, and unreachable, refusing or unknown targets end in exit 1 with a clear message.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Cluster, waitFor, freePort, type Proc } from "./cluster.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

/** 2 learning rates × 2 seeds of a tiny xor net: well under a second each. */
const SWEEP = {
  name: "cli-xor",
  dataset: { name: "xor", train: 200, test: 50 },
  model: { hidden: [4], activation: "tanh" },
  train: { epochs: 2, batch: 16, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.03, 0.3] } },
};

/** The longest a read-only command may take: it makes a few requests, each bounded. */
const COMMAND_MS = 30_000;

/**
 * Runs a discalc command to its end; returns its exit code and output (stdout and stderr). A
 * command that has not ended in COMMAND_MS is killed and the test fails naming it, with what
 * it printed: a wait without a bound would only show as the test's own timeout, naming nothing.
 */
async function run(c: Cluster, name: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const p: Proc = c.spawn(name, args);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), COMMAND_MS)));
  const code = await Promise.race([p.exited, late]).finally(() => clearTimeout(timer));
  if (code === "late") {
    c.signal(p, "SIGKILL");
    throw new Error(`discalc ${args.join(" ")} had not ended after ${COMMAND_MS} ms; its output:\n${p.log.join("\n")}\n${c.dump()}`);
  }
  // The last chunks of output may land just after the exit event.
  await new Promise((r) => setTimeout(r, 50));
  return { code, out: p.log.join("\n") };
}

// Above the sum of the bounded waits inside (30 + 30 + 90 + 15 s, and the commands'): under
// load, whichever wait runs out first then fails with its own message and the daemons' logs,
// rather than the test's timeout naming nothing.
test("status shows the controller, the relay and its worker, and the sweep; best prints the leaderboard from the controller and from --data", { timeout: 400_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  // The controller at "info" logs joins as JSON lines; the start-up lines stay plain text.
  const level = process.env.DISCALC_LOG_LEVEL;
  process.env.DISCALC_LOG_LEVEL = "info";
  let ctl: Proc;
  try {
    ctl = await c.startController(c.writeConfig("cli", SWEEP), { data });
  } finally {
    if (level === undefined) delete process.env.DISCALC_LOG_LEVEL;
    else process.env.DISCALC_LOG_LEVEL = level;
  }
  c.startRelay();
  const relay = await waitFor(async () => (await c.client.getAll("nodes")).find((n) => n.role === "relay" && n.url && n.state === "alive"),
    30_000, "the relay", () => c.dump());
  c.startAgent(1);
  const sweep = await waitFor(async () => {
    const s = await c.client.get("sweep", {}, { id: 1 });
    return s.state === "done" ? s : undefined;
  }, 90_000, "the sweep to finish", () => c.dump());
  assert.equal(sweep.counts.done, 4);
  // The worker's figures reach the controller with the relay's next heartbeat, which may come
  // a second after the last result: wait for them rather than race it.
  const nodes = await waitFor(async () => {
    const all = await c.client.getAll("nodes");
    const w = all.find((n) => n.role === "worker");
    return (w?.stats as { trialsDone?: number; busy?: number } | null)?.trialsDone === 4 && (w!.stats as { busy: number }).busy === 0 ? all : undefined;
  }, 15_000, "the worker's stats after the sweep", () => c.dump());
  const worker = nodes.find((n) => n.role === "worker")!;
  assert.equal(worker.relay, relay.id, "the worker hangs under the relay");
  const controllerId = nodes.find((n) => n.role === "controller")!.id;

  // Logging: plain start-up lines; events as pino JSON at info.
  assert.ok(ctl.log.some((l) => /^\[discalc \S+\] controller listening on http:\/\/127\.0\.0\.1:\d+ /.test(l)), ctl.log.join("\n"));
  const events = ctl.log.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; name: string; msg: string; event?: string });
  const joins = events.filter((e) => e.event === "join");
  assert.equal(joins.length, 2, `a join event for the relay and the worker: ${JSON.stringify(events)}`);
  assert.ok(joins.every((e) => e.level === 30 && e.name === "controller" && e.msg.startsWith("join: ")), JSON.stringify(joins));

  // status: the tree and the sweep.
  const status = await run(c, "status", ["status", "--controller", c.url]);
  assert.equal(status.code, 0, status.out);
  const lines = status.out.split("\n");
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const controllerLine = at(new RegExp(`^controller ${esc(controllerId)} \\(`));
  const relayLine = at(new RegExp(`^[└├]─ relay ${esc(relay.id)} \\(${esc(relay.host)}\\) · ${esc(relay.url!)} · alive`));
  const workerLine = at(new RegExp(`^[ │]  [└├]─ worker ${esc(worker.id)} \\(${esc(worker.host)}\\) · 1 thread · alive · busy 0/1 · 4 trials done`));
  assert.ok(controllerLine === 0 && relayLine > controllerLine && workerLine === relayLine + 1, status.out);
  assert.match(lines[relayLine]!, / trials\/min/, "the relay's throughput");
  assert.match(status.out, /1 relay\(s\) \(1 alive\), 1 worker\(s\) \(1 alive, 0 silent, 0 gone\), 1 worker threads/);
  assert.match(status.out, /^sweeps\n {2}1 {2}"cli-xor" {2}done {2}4\/4 finished \(100%\): 4 done, 0 failed, 0 running, 0 reserved, 0 queued of 4$/m);
  assert.match(status.out, /^ {6}experiment network, valAccuracy \(maximize\): best [\d.]+ ± [\d.]+ at \{"train\.lr":0\.(03|3)\}$/m, "the sweep's metric and its best point");

  // best from the controller and from the data directory: the same leaderboard.
  const fromApi = await run(c, "best-api", ["best", "--sweep", "1", "--controller", c.url]);
  assert.equal(fromApi.code, 0, fromApi.out);
  assert.match(fromApi.out, /^sweep 1 "cli-xor" \(done\): 4 of 4 trials done; 2 point\(s\) with results$/m);
  assert.match(fromApi.out, /rank {2}valAccuracy \(higher is better\): mean ± std {2}seeds {2}params/);
  const ranks = fromApi.out.split("\n").filter((l) => /^\s+\d+\s+[\d.]+ ±/.test(l));
  assert.equal(ranks.length, 2, fromApi.out);
  assert.deepEqual(ranks.map((l) => /train\.lr=(\S+)/.exec(l)![1]).sort(), ["0.03", "0.3"]);
  assert.ok(ranks.every((l) => /\s2\s+train\.lr=/.test(l)), "two seeds per point");
  const fromData = await run(c, "best-data", ["best", "--sweep", "1", "--data", data]);
  assert.equal(fromData.code, 0, fromData.out);
  assert.equal(fromData.out, fromApi.out);
  const json = await run(c, "best-json", ["best", "--sweep", "1", "--data", data, "--json"]);
  assert.equal(json.code, 0, json.out);
  const rows = JSON.parse(json.out) as Array<{ params: Record<string, unknown>; seeds: number; mean: number }>;
  assert.equal(rows.length, 2);
  assert.ok(rows[0]!.mean >= rows[1]!.mean, "best first");

  // An unknown sweep, from either source.
  for (const source of [["--controller", c.url], ["--data", data]]) {
    const unknown = await run(c, "best-unknown", ["best", "--sweep", "9", ...source]);
    assert.equal(unknown.code, 1, unknown.out);
    assert.match(unknown.out, /discalc: --sweep 9: no such sweep .*\(sweeps: 1 "cli-xor"\)/);
  }
});

test("status and best name the controller's URL when it cannot be reached or refuses them", { timeout: 60_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const nobody = `http://127.0.0.1:${await freePort()}`;
  for (const args of [["status", "--controller", nobody], ["best", "--sweep", "1", "--controller", nobody]]) {
    const r = await run(c, args[0]!, args);
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(`discalc: cannot reach the controller at ${nobody} (ECONNREFUSED)`), r.out);
  }

  // A --private controller answers 401 without the token and 403 with a wrong one.
  await c.startController(c.writeConfig("private", SWEEP), { extra: ["--private"] });
  const noToken = await run(c, "status-no-token", ["status", "--controller", c.url]);
  assert.equal(noToken.code, 1, noToken.out);
  assert.match(noToken.out, new RegExp(`discalc: the controller at ${c.url.replace(/\./g, "\\.")} refused the request \\(401: .*\\); it runs --private: pass --token T`));
  const wrong = await run(c, "best-wrong-token", ["best", "--sweep", "1", "--controller", c.url, "--token", "wrong"]);
  assert.equal(wrong.code, 1, wrong.out);
  assert.match(wrong.out, new RegExp(`discalc: the controller at ${c.url.replace(/\./g, "\\.")} refused the request \\(403: .*\\); check --token`));
  const withToken = await run(c, "status-token", ["status", "--controller", c.url, "--token", c.token]);
  assert.equal(withToken.code, 0, withToken.out);
  assert.match(withToken.out, /^sweeps\n {2}1 {2}"cli-xor" {2}running {2}0\/4 finished/m);
});
