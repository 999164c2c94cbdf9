// End to end: convolutional networks train on the fleet like MLPs. A small CNN sweep (two
// filter counts × two seeds, with dropout) runs through a controller, a relay daemon and an
// agent; every trial is stored once with the weight hash it gives alone in this process.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";

const c = new Cluster();
after(() => c.stopAll());

const SWEEP = {
  name: "e2e-cnn",
  dataset: { name: "mnist", train: 600, test: 200 },
  model: { layers: [
    { type: "conv2d", filters: 8, kernel: 3, padding: "same", activation: "relu" },
    { type: "maxpool2d", size: 2 },
    { type: "conv2d", filters: 16, kernel: 3, padding: "valid", activation: "relu" },
    { type: "flatten" },
    { type: "dropout", rate: 0.2 },
    { type: "dense", units: 10 },
  ] },
  train: { epochs: 2, batch: 32, optimizer: "adam", lr: 0.002 },
  search: { method: "grid", repeats: 2, parameters: { "model.layers.0.filters": [8, 16] } },
};

test("a CNN sweep runs through a relay daemon and an agent; every hash reproduces alone", { timeout: 180_000 }, async () => {
  await c.startController(c.writeConfig("cnn", SWEEP));
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"), 30_000, "the relay", () => c.dump());
  c.startAgent(2);
  const sweep = await waitForSweepEnd(c, 150_000);
  assert.equal(sweep.state, "done", c.dump());
  assert.equal(sweep.counts.done, 4);
  const trials = await verifyExactlyOnce(c, SWEEP);
  assert.deepEqual(trials.map((t) => t.params["model.layers.0.filters"] as number).sort((a, b) => a - b), [8, 8, 16, 16]);
  for (const t of trials) {
    assert.equal(t.metrics!.length, 2, "both epochs reported");
    assert.ok(t.objective! > 0.5, `trial ${t.id}: test accuracy ${t.objective}`);
  }
});
