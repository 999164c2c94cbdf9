// End to end: a controller, two relays and three agents (one a bare machine joined with the
// bootstrap one-liner) run a 24-trial sweep; every trial is stored once, with the weight
// hash the trainer gives for that trial alone in this process.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";
import { parseSweepConfig } from "../controller/sweeps/sweep-config.ts";
import { expandSweep } from "../controller/sweeps/expand-sweep.ts";
import { verifyExactlyOnce } from "./verify.ts";

const cluster = new Cluster();
after(() => cluster.stopAll());

const SWEEP = {
  name: "e2e-grid",
  dataset: { name: "moons", train: 1000, test: 200, noise: 0.1 },
  model: { hidden: [8], activation: "tanh" },
  train: { epochs: 3, batch: 8, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.003, 0.01, 0.03, 0.1], "model.hidden": [[4], [8], [16]] } },
  relays: { fanout: 8 },
};

test("a sweep runs through two relays and three agents, each trial stored once with its reproducible hash", { timeout: 120_000 }, async () => {
  await cluster.startController(cluster.writeConfig("grid", SWEEP));
  cluster.startRelay();
  cluster.startRelay();
  const relays = await waitFor(async () => {
    const nodes = await cluster.client.getAll("nodes");
    const r = nodes.filter((n) => n.role === "relay" && n.url && n.state === "alive");
    return r.length === 2 ? r : undefined;
  }, 30_000, "two relays to heartbeat", () => cluster.dump());
  // Hold the sweep until all three machines have joined, so the work spreads over them.
  await cluster.admin("/api/commands?kind=pause&sweep=1");
  cluster.startAgent(1);
  cluster.startAgent(1);
  cluster.startBootstrapAgent();
  await waitFor(async () => (await cluster.client.getAll("nodes")).filter((n) => n.role === "worker" && n.state === "alive").length === 3,
    30_000, "three workers to join", () => cluster.dump());
  await cluster.admin("/api/commands?kind=resume&sweep=1");

  const sweep = await waitFor(async () => {
    const s = await cluster.client.get("sweep", {}, { id: 1 });
    return s.state === "done" ? s : undefined;
  }, 90_000, "the sweep to finish", () => cluster.dump());
  assert.equal(sweep.total, 24);
  assert.equal(sweep.counts.done, 24);

  const trials = await cluster.client.getAll("trials", { metrics: 1,  sweep: 1 });
  assert.equal(trials.length, 24);
  assert.equal(new Set(trials.map((t) => t.id)).size, 24, "every trial once");
  const nodes = await cluster.client.getAll("nodes");
  const workers = nodes.filter((n) => n.role === "worker");
  assert.equal(workers.length, 3, "three agents joined as workers");
  for (const w of workers) assert.ok(relays.some((r) => r.id === w.relay), `worker ${w.id} hangs under a relay, not the root`);
  // Which agent takes which trial depends on timing (fast agents keep a reserve); every
  // trial must have been run by one of the joined workers.
  assert.ok(trials.every((t) => workers.some((w) => w.id === t.workerId)), "every trial ran on a joined worker");
  assert.ok(trials.every((t) => t.relayId && relays.some((r) => r.id === t.relayId)), "results came up through the relays");
  // A relay's statistics, as it pushes them with every heartbeat (the controller calls no URL a relay declares).
  const stats = await waitFor(async () => {
    const st = await cluster.client.get("stats", {}, { id: relays[0]!.id });
    return st.workers.length >= 1 && st.resultsUploaded >= 1 ? st : undefined;
  }, 10_000, "the relay's statistics after its uploads", () => cluster.dump());
  assert.equal(stats.relayId, relays[0]!.id);

  // Every trial stored once, and each hash equal to the trial run alone in this process.
  const verified = await verifyExactlyOnce(cluster, SWEEP);
  const expanded = expandSweep(parseSweepConfig(SWEEP));
  for (const t of verified) {
    assert.equal(t.metrics!.length, 3, `trial ${t.id} has every epoch`);
    assert.deepEqual(t.params, expanded[t.index]!.params);
    assert.equal(t.seed, expanded[t.index]!.seed);
  }
});
