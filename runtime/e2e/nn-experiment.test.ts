// End to end, ctx.nn: a model written with tensors and gradients (examples/nn-mlp) runs through
// a controller and a relay daemon on an agent of two threads; every trial's weights' hash is
// reproduced by the same trial run alone in this process (runTrial, as `discalc train` runs it).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { Cluster } from "./cluster.ts";
import { sweepOnFleet } from "./verify.ts";
import { reproducer } from "./reproduce.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const SWEEP = {
  name: "e2e-nn",
  experiment: fileURLToPath(new URL("../../examples/nn-mlp", import.meta.url)),
  metric: { name: "valLoss", goal: "minimize" },
  dataset: { name: "spirals", train: 256, test: 128 },
  steps: 100,
  seed: 2,
  search: { method: "grid", repeats: 2, parameters: { hidden: [8, 16] } },
};

test("a ctx.nn model trains on a fleet through a relay daemon; every hash reproduces alone", { timeout: 180_000 }, async () => {
  const trials = await sweepOnFleet(clusters, SWEEP, { threads: 2, viaRelay: true, timeoutMs: 120_000 });
  assert.equal(trials.length, 4);
  const alone = await reproducer(SWEEP, tmpdir());
  for (const t of trials) {
    assert.equal(t.state, "done", `trial ${t.id}: ${t.error}`);
    assert.deepEqual(t.metrics!.map((m) => m.step), [1, 2], `trial ${t.id}: a report every 50 steps`);
    assert.ok(t.metrics![1]!.loss! < t.metrics![0]!.loss!, `trial ${t.id} learns`);
    assert.equal(t.resultSha256, (await alone.run(t.index)).resultSha256, `trial ${t.id} reproduces alone`);
  }
  assert.equal(new Set(trials.map((t) => t.resultSha256)).size, 4, "each point and seed has its own weights");
});
