// End to end, failures that tell the truth: an experiment that throws fails after one attempt
// with its stack in its own file and line; one that reports NaN, and a built-in trial whose lr
// diverges, end `diverged` with their finite reports, never retried and never ranked; a trial
// whose agent is killed runs again and ends done; Ctrl-C of `discalc run` hands trials back
// without using an attempt, and a resume keeps the failed trial's error.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster, waitFor, type Proc } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

/** The experiment's source, a line per entry: `throw` fails at THROW_LINE, `nan` reports NaN at its third report, `slow` sleeps. */
const SOURCE = [
  "interface Config { mode: string; steps: number; stepMs: number; seed: number }",
  "const pause = new Int32Array(new SharedArrayBuffer(4));",
  "export default {",
  '  defaults: { mode: "slow", steps: 10, stepMs: 20, seed: 0 },',
  "  run(c: Config, ctx: { report(m: Record<string, number>): void; shouldStop(): boolean }) {",
  '    if (c.mode === "throw") {',
  "      const settings = (c as unknown as { missing?: { foo: number } }).missing;",
  "      return { metrics: { score: settings!.foo } };",
  "    }",
  "    let score = 0;",
  "    for (let step = 1; step <= c.steps && !ctx.shouldStop(); step++) {",
  "      Atomics.wait(pause, 0, 0, c.stepMs);",
  '      score = c.mode === "nan" && step === 3 ? NaN : step / c.steps + c.seed * 1e-3;',
  "      ctx.report({ score, step });",
  "    }",
  "    return { metrics: { score } };",
  "  },",
  "};",
  "",
];
const THROW_LINE = SOURCE.findIndex((l) => l.includes("settings!.foo")) + 1;

function writeExperiment(c: Cluster): string {
  const dir = join(c.dir, "flaky");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "experiment.ts"), SOURCE.join("\n"));
  return dir;
}

const sweep = (c: Cluster, name: string, modes: string[], extra: object = {}) => ({
  name,
  experiment: writeExperiment(c),
  metric: { name: "score", goal: "maximize" },
  maxAttempts: 3,
  search: { method: "grid", parameters: { mode: modes } },
  ...extra,
});

/** The exit code, once the process's last output has been read too. */
async function settled(p: Proc): Promise<number | null> {
  const code = await p.exited;
  await new Promise((r) => setTimeout(r, 100));
  return code;
}

const trialsOf = (c: Cluster) => c.client.getAll("trials", { sweep: 1, metrics: 1 });

test("a throw fails at once with its stack in experiment.ts; NaN ends diverged with its finite reports; a killed agent's trial runs again", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig("flaky", sweep(c, "flaky", ["throw", "nan", "slow"], { steps: 150 })));
  const first = c.startAgent(1);
  // The slow trial (3 s) runs last on the one thread: kill its agent once it has reported.
  const slowId = await waitFor(async () => {
    const slow = (await trialsOf(c)).find((t) => t.params.mode === "slow");
    return slow && slow.state === "leased" && (slow.metrics?.length ?? 0) > 0 ? slow.id : undefined;
  }, 60_000, "the slow trial to report", () => c.dump());
  c.signal(first, "SIGKILL");
  await settled(first);
  c.startAgent(1);
  const end = await waitForSweepEnd(c);
  assert.equal(end.state, "done", c.dump());
  const trials = await trialsOf(c);
  const by = (mode: string) => trials.find((t) => t.params.mode === mode)!;

  const thrown = by("throw");
  assert.equal(thrown.state, "failed");
  assert.equal(thrown.attempts, 1, "an experiment's exception is not retried");
  assert.deepEqual(thrown.attemptLog.map((a) => a.outcome), ["failed"]);
  assert.match(thrown.error ?? "", /^TypeError: Cannot read properties of undefined \(reading 'foo'\)/);
  assert.match(thrown.error ?? "", new RegExp(`at Object\\.run \\(flaky/experiment\\.ts:${THROW_LINE}:\\d+\\)`), thrown.error ?? "");
  assert.doesNotMatch(thrown.error ?? "", /data:|base64/, "no frame names a module by its whole source");

  const nan = by("nan");
  assert.equal(nan.state, "diverged");
  assert.equal(nan.attempts, 1, "divergence is not retried");
  assert.match(nan.error ?? "", /diverged: report 3: metric "score" is NaN/);
  assert.deepEqual(nan.metrics?.map((m) => m.score), [1 / 150, 2 / 150], "its finite reports are kept");

  const slow = by("slow");
  assert.equal(slow.id, slowId);
  assert.equal(slow.state, "done");
  assert.ok(slow.attempts >= 2, `the killed agent's trial ran again (attempts ${slow.attempts})`);
  assert.equal(slow.attemptLog.at(-1)!.outcome, "done");
  assert.equal(slow.metrics?.length, 150);

  // Ranked: only the finished trial; the diverged one is below it, not above.
  const board = await c.client.get("leaderboard", {}, { id: 1 });
  assert.deepEqual(board.rows.map((r) => r.params.mode), ["slow"]);
  const counts = (await c.client.get("sweep", {}, { id: 1 })).counts as Record<string, number>;
  assert.deepEqual([counts.done, counts.diverged, counts.failed], [1, 1, 1]);

  // discalc status shows the failed trial with its stack; discalc train shows it too, and exits 1.
  const status = c.spawn("status", ["status", "--controller", c.url]);
  assert.equal(await settled(status), 0, c.dump());
  assert.match(status.log.join("\n"), new RegExp(`trial ${thrown.id} failed \\(attempt 1\\): TypeError[^\\n]*\\n\\s+at Object\\.run \\(flaky/experiment\\.ts:${THROW_LINE}:`));
  assert.match(status.log.join("\n"), /1 diverged, 1 failed/);
  const train = c.spawn("train", ["train", c.writeConfig("train-throw", { experiment: writeExperiment(c), metric: { name: "score", goal: "maximize" }, mode: "throw" })]);
  assert.equal(await settled(train), 1, c.dump());
  assert.match(train.log.join("\n"), new RegExp(`trial failed: TypeError[^\\n]*\\n\\s+at Object\\.run \\(flaky/experiment\\.ts:${THROW_LINE}:`));
});

test("a built-in trial whose lr diverges ends diverged after one attempt", { timeout: 120_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig("lr", {
    name: "diverging-lr",
    dataset: { name: "xor", train: 400, test: 100 },
    model: { hidden: [64, 64] },
    train: { epochs: 4, batch: 8, optimizer: "sgd", lr: 0.01, loss: "mse" },
    maxAttempts: 3,
    search: { method: "grid", parameters: { "train.lr": [0.01, 10] } },
  }));
  c.startAgent(1);
  await waitForSweepEnd(c);
  const trials = await trialsOf(c);
  const diverged = trials.find((t) => t.params["train.lr"] === 10)!;
  assert.equal(diverged.state, "diverged", JSON.stringify(diverged));
  assert.deepEqual(diverged.attemptLog.map((a) => a.outcome), ["diverged"]);
  assert.match(diverged.error ?? "", /metric "trainLoss" is NaN/);
  assert.equal(trials.find((t) => t.params["train.lr"] === 0.01)!.state, "done");
  const board = await c.client.get("leaderboard", {}, { id: 1 });
  assert.deepEqual(board.rows.map((r) => r.params["train.lr"]), [0.01], "the diverged point is not ranked above a finished one");
  const best = await c.client.get("trials", { sweep: 1, order: "best" });
  assert.deepEqual(best.items.map((t) => [t.params["train.lr"], t.state]), [[0.01, "done"], [10, "diverged"]], "order=best: finished trials, then diverged ones below them");
  const train = c.spawn("train", ["train", c.writeConfig("train-lr", {
    dataset: { name: "xor", train: 400, test: 100 }, model: { hidden: [64, 64] }, train: { epochs: 4, batch: 8, optimizer: "sgd", lr: 10, loss: "mse" },
  })]);
  assert.equal(await settled(train), 1, c.dump());
  assert.match(train.log.join("\n"), /diverged: report 1: metric "trainLoss" is NaN/);
});

test("Ctrl-C of discalc run hands its trials back without using an attempt; the resume keeps the failed trial's error", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  // Trials of 8 s: the one running at Ctrl-C outlasts the agent's 5 s grace and is handed back too.
  const config = c.writeConfig("ctrl-c", sweep(c, "ctrl-c", ["throw", "slow"], { steps: 400, search: { method: "grid", repeats: 2, parameters: { mode: ["throw", "slow"] } } }));
  const data = join(c.dir, "data");
  const runOnce = (): Proc => c.spawn("run", ["run", config, "--data", data, "--threads", "1"]);
  const first = runOnce();
  await waitFor(async () => first.log.some((l) => /[1-9] failed\), 1 running/.test(l)), 90_000, "a failed trial and a running one", () => c.dump());
  c.signal(first, "SIGINT"); // to the process group, as a terminal's Ctrl-C
  assert.equal(await settled(first), 130, c.dump());
  assert.match(first.log.join("\n"), /SIGINT: handing back running trials/);

  const second = runOnce();
  assert.equal(await settled(second), 0, c.dump());
  assert.match(second.log.join("\n"), /\(resumed\)/);

  // Read what the store holds through a controller on the same data.
  await c.startController(config, { data });
  const trials = await trialsOf(c);
  assert.equal(trials.length, 4);
  for (const t of trials.filter((x) => x.params.mode === "throw")) {
    assert.equal(t.state, "failed");
    assert.deepEqual(t.attemptLog.map((a) => a.outcome), ["failed"]);
    assert.match(t.error ?? "", new RegExp(`flaky/experiment\\.ts:${THROW_LINE}:`), "the real error, kept through the resume");
  }
  const slow = trials.filter((x) => x.params.mode === "slow");
  assert.ok(slow.every((t) => t.state === "done"), JSON.stringify(slow.map((t) => [t.id, t.state])));
  assert.ok(slow.some((t) => t.attemptLog.some((a) => a.outcome === "released")), "Ctrl-C handed trials back");
  for (const t of slow) {
    assert.deepEqual(t.attemptLog.filter((a) => a.outcome !== "released" && a.outcome !== "done").map((a) => a.outcome), [],
      `trial ${t.id}: no attempt failed or expired (${JSON.stringify(t.attemptLog)})`);
  }
});
