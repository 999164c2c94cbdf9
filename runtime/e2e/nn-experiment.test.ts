// End to end, ctx.nn: a model written with tensors and gradients (examples/nn-mlp) runs through
// a controller, a relay daemon and two agents; every trial's weights' hash is reproduced in
// this process and by `discalc train`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const SWEEP = {
  name: "e2e-nn",
  experiment: fileURLToPath(new URL("../../examples/nn-mlp", import.meta.url)),
  metric: { name: "testLoss", goal: "minimize" },
  dataset: { name: "spirals", train: 256, test: 128 },
  steps: 100,
  seed: 2,
  search: { method: "grid", repeats: 2, parameters: { hidden: [8, 16] } },
};

test("a ctx.nn model trains on a fleet through a relay daemon; every hash reproduces alone and under discalc train", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const config = c.writeConfig("nn", SWEEP);
  await c.startController(config);
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"),
    30_000, "the relay", () => c.dump());
  c.startAgent(1);
  c.startAgent(1);
  const sweep = await waitForSweepEnd(c);
  assert.equal(sweep.state, "done", c.dump());
  const trials = await verifyExactlyOnce(c, SWEEP);
  assert.equal(trials.length, 4);
  for (const t of trials) {
    assert.deepEqual(t.metrics!.map((m) => m.step), [1, 2], `trial ${t.id}: a report every 50 steps`);
    assert.ok(t.metrics![1]!.loss! < t.metrics![0]!.loss!, `trial ${t.id} learns`);
  }
  assert.equal(new Set(trials.map((t) => t.resultSha256)).size, 4, "each point and seed has its own weights");

  const p = c.spawn("train", ["train", config, "--json"]);
  assert.equal(await p.exited, 0, p.log.join("\n"));
  await new Promise((r) => setTimeout(r, 50));
  const result = p.log.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; resultSha256?: string }).find((l) => l.type === "result")!;
  assert.equal(result.resultSha256, trials.find((t) => t.index === 0)!.resultSha256, "discalc train gives the fleet's hash");
});
