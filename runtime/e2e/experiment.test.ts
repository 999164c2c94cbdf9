// End to end, the open core: a researcher's own experiment (examples/random-features, with
// its own AssemblyScript kernel) runs through a controller, a relay daemon and two agents.
// Every trial's resultSha256 is reproduced by `discalc train` and by a second network, its
// reports are in the API, and its metric ranks `discalc best`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Cluster, waitFor, type Proc } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("../../examples/random-features", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const SWEEP = {
  name: "e2e-experiment",
  experiment: EXPERIMENT,
  metric: { name: "valAccuracy", goal: "maximize" },
  dataset: { name: "moons", train: 300, test: 200, noise: 0.25 },
  steps: 60,
  reportEvery: 20,
  seed: 5,
  search: { method: "grid", repeats: 2, parameters: { features: [4, 64], gamma: [0.5, 4] } },
};

async function run(c: Cluster, name: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const p: Proc = c.spawn(name, args);
  const code = await p.exited;
  await new Promise((r) => setTimeout(r, 50));
  return { code, out: p.log.join("\n") };
}

/** A controller with a relay daemon and two one-thread agents; resolves with the trials once the sweep ends. */
async function network(name: string) {
  const c = new Cluster();
  clusters.push(c);
  const config = c.writeConfig(name, SWEEP);
  await c.startController(config);
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"),
    30_000, "the relay", () => c.dump());
  c.startAgent(1);
  c.startAgent(1);
  const sweep = await waitForSweepEnd(c);
  assert.equal(sweep.state, "done", c.dump());
  return { c, config, trials: await c.client.getAll("trials", { metrics: 1,  sweep: 1 }) };
}

test("a researcher's experiment runs through a relay daemon; results reproduce alone, on a second network, and rank best", { timeout: 180_000 }, async () => {
  const first = await network("experiment");
  const { c, trials } = first;
  assert.equal(trials.length, 8);
  const sweep = await c.client.get("sweep", {}, { id: 1 });
  assert.equal(sweep.experiment.name, "random-features");
  assert.match(sweep.experiment.sha ?? "", /^[0-9a-f]{64}$/, "the experiment travels as a blob");
  assert.deepEqual(sweep.metric, { name: "valAccuracy", goal: "maximize" });
  const relays = (await c.client.getAll("nodes")).filter((n) => n.role === "relay");
  for (const t of trials) {
    assert.ok(relays.some((r) => r.id === t.relayId), `trial ${t.id} came up through the relay daemon`);
    assert.deepEqual(t.metrics!.map((m) => m.step), [20, 40, 60], `trial ${t.id}: its three reports, at the steps it reported`);
    assert.ok(t.metrics!.every((m) => typeof m.trainLoss === "number" && typeof m.valAccuracy === "number"));
    assert.equal(t.objective, t.final!.valAccuracy, "the objective is the final valAccuracy");
    assert.equal(typeof t.final!.testAccuracy, "number", "the test set measured once, at the end");
    assert.equal(t.seed, 5 + (t.index % 2), "seed + repeat");
  }
  // Every hash equals the same trial run alone in this process.
  await verifyExactlyOnce(c, SWEEP);

  // discalc train --trial reruns the first trial (features 4, gamma 0.5, seed 5) from the controller: its config, experiment blob and data.
  const base = trials.find((t) => t.index === 0)!;
  const alone = await run(c, "train", ["train", "--trial", String(base.id), "--controller", c.url, "--token", c.token, "--json"]);
  assert.equal(alone.code, 0, alone.out);
  const lines = alone.out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines[0]!.params, { features: 4, gamma: 0.5 });
  assert.equal(lines[0]!.seed, 5);
  assert.deepEqual(lines[0]!.config, (await c.client.get("trial", {}, { id: base.id })).config, "the resolved config the API gives");
  assert.deepEqual(lines.filter((l) => l.type === "report").map((l) => l.step), [20, 40, 60], "the experiment's own step, as in the API");
  const result = lines.find((l) => l.type === "result")!;
  assert.equal(result.resultSha256, base.resultSha256, "discalc train gives the fleet's hash");
  assert.equal(result.matches, true);
  assert.deepEqual(result.metrics, base.final);
  // The blobs are the researcher's code and data: not without a token.
  const exp = (await c.client.get("sweep", {}, { id: 1 })).experiment.sha!;
  assert.equal((await fetch(`${c.url}/api/blobs/${exp}`)).status, 401);
  assert.equal((await fetch(`${c.url}/api/blobs/${exp}`, { headers: { authorization: "Bearer wrong" } })).status, 403);
  // discalc train CONFIG runs the config's own values: here the experiment's defaults for what the search sweeps.
  const own = await run(c, "train", ["train", first.config]);
  assert.equal(own.code, 0, own.out);
  assert.match(own.out, /^the config's own values \(its search is not run; --trial N runs a sweep's trial\)$/m);
  assert.match(own.out, /^params {2}features 64 {2}gamma 1$/m);

  // A second network gives every trial the same hash.
  const second = await network("experiment-again");
  for (const t of trials) assert.equal(second.trials.find((u) => u.index === t.index)!.resultSha256, t.resultSha256, `trial ${t.index} on the second network`);

  // best ranks the points by the reported metric.
  const board = await c.client.get("leaderboard", {}, { id: 1 });
  assert.equal(board.rows.length, 4);
  for (let i = 1; i < board.rows.length; i++) assert.ok(board.rows[i - 1]!.mean >= board.rows[i]!.mean, "best first");
  const best = await run(c, "best", ["best", "--sweep", "1", "--controller", c.url]);
  assert.equal(best.code, 0, best.out);
  assert.match(best.out, /rank {2}valAccuracy \(higher is better\): mean ± std {2}seeds {2}params/);
  const top = board.rows[0]!;
  assert.match(best.out, new RegExp(`^ {3}1 {2,}${String(Number(top.mean.toPrecision(6))).replace(".", "\\.")} ± `, "m"));
});

test("a build error in the experiment stops the controller with exit 2 and the compiler's file and line", { timeout: 60_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const { mkdirSync, writeFileSync, existsSync } = await import("node:fs");
  const dir = join(c.dir, "broken");
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "experiment.ts"), "export default { run() { return {}; } };\n");
  writeFileSync(join(dir, "assembly", "index.ts"), "export function f(a: i32): i32 {\n  return a + missing;\n}\n");
  const config = c.writeConfig("broken", { name: "broken", experiment: "./broken", metric: { name: "x", goal: "minimize" } });
  const data = join(c.dir, "data-broken");
  const p = await run(c, "controller", ["controller", "--config", config, "--port", "0", "--host", "127.0.0.1", "--data", data, "--token", "token-123"]);
  assert.equal(p.code, 2, p.out);
  assert.match(p.out, /assembly\/index\.ts:2:14: Cannot find name 'missing'\. \(TS2304\)/);
  assert.equal(existsSync(join(data, "discalc.sqlite")), false, "nothing is stored for a refused sweep");

  writeFileSync(join(dir, "assembly", "index.ts"), "export function f(a: i32): i32 { return a; }\n");
  writeFileSync(join(dir, "experiment.ts"), "export default {\n  defaults: { n: 4 },\n  validate(c) { return c.n > 3 ? [] : ['n: must be more than 3']; },\n  run() { return {}; }\n};\n");
  const bad = c.writeConfig("badvalue", { name: "badvalue", experiment: "./broken", metric: { name: "x", goal: "minimize" }, n: 1, search: { parameters: { n: [5, 2] } } });
  const q = await run(c, "controller", ["controller", "--config", bad, "--port", "0", "--host", "127.0.0.1", "--data", data, "--token", "token-123"]);
  assert.equal(q.code, 2, q.out);
  assert.match(q.out, /search\.parameters\.n: value 2 is invalid: n: must be more than 3/);
});

test("discalc train runs one trial of an experiment of one's own without a metric; a typo in a key stops train and the controller", { timeout: 60_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const { mkdirSync, writeFileSync, existsSync } = await import("node:fs");
  mkdirSync(join(c.dir, "mine"));
  writeFileSync(join(c.dir, "mine", "experiment.ts"), [
    "export default {",
    "  defaults: { learning_rate: 0.1, steps: 3 },",
    "  run(c, ctx) {",
    "    for (let step = 1; step <= c.steps; step++) ctx.report({ loss: 1 / (step * c.learning_rate) });",
    "    return { metrics: { loss: 1 / (c.steps * c.learning_rate) } };",
    "  },",
    "};",
    "",
  ].join("\n"));
  const one = c.writeConfig("one", { experiment: "./mine", learning_rate: 0.5 });
  const alone = await run(c, "train", ["train", one]);
  assert.equal(alone.code, 0, alone.out);
  assert.match(alone.out, /^experiment mine \([0-9a-f]{12}\), seed 0$/m, "no objective to name");
  assert.match(alone.out, /^final loss 0\.66667$/m);
  assert.match(alone.out, /^result sha256 [0-9a-f]{64}$/m);

  const typo = c.writeConfig("typo", { name: "typo", experiment: "./mine", metric: { name: "loss", goal: "minimize" }, learning_rat: 0.5, stpes: 2 });
  const refused = await run(c, "train", ["train", typo]);
  assert.equal(refused.code, 2, refused.out);
  assert.match(refused.out, /unknown config key 'learning_rat' \(did you mean 'learning_rate'\?\)\n.*unknown config key 'stpes' \(did you mean 'steps'\?\)/);
  const data = join(c.dir, "data-typo");
  const controller = await run(c, "controller", ["controller", "--config", typo, "--port", "0", "--host", "127.0.0.1", "--data", data, "--token", "token-123"]);
  assert.equal(controller.code, 2, controller.out);
  assert.match(controller.out, /unknown config key 'learning_rat' \(did you mean 'learning_rate'\?\)/);
  assert.equal(existsSync(join(data, "discalc.sqlite")), false, "nothing is stored for a refused sweep");
});
