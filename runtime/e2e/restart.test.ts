// End to end: the controller is killed (SIGKILL) mid-sweep and started again on the same
// --data and --config; it resumes the same sweep, relays and agents reconnect by
// themselves, and every trial is stored exactly once.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor, freePort } from "./cluster.ts";

const cluster = new Cluster();
after(() => cluster.stopAll());

const SWEEP = {
  name: "restart",
  dataset: { name: "moons", train: 2000, test: 200, noise: 0.1 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 30, batch: 8, optimizer: "adam", lr: 0.01 },
  leaseSeconds: 4,
  search: { method: "grid", repeats: 12, parameters: { "train.lr": [0.003, 0.01] } },
};

test("a controller restarted on the same data resumes its sweep; nodes reconnect; nothing is stored twice", { timeout: 150_000 }, async () => {
  const port = await freePort();
  const config = cluster.writeConfig("restart", SWEEP);
  const first = await cluster.startController(config, { port });
  cluster.startRelay();
  await waitFor(async () => (await cluster.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "the relay", () => cluster.dump());
  cluster.startAgent(1);
  cluster.startAgent(1);
  await waitFor(async () => (await cluster.client.get("sweep", {}, { id: 1 })).counts.done >= 3, 60_000, "three trials done", () => cluster.dump());

  cluster.signal(first, "SIGKILL");
  await first.exited;
  const doneBefore = (await cluster.client.get("sweep", {}, { id: 1 }).catch(() => undefined)) === undefined;
  assert.ok(doneBefore, "the controller is down");
  await new Promise((r) => setTimeout(r, 1500));

  await cluster.startController(config, { port });
  const second = cluster.procs.at(-1)!;
  assert.ok(second.log.some((l) => l.includes("resumed from the store")), second.log.join("\n"));
  const sweeps = await cluster.client.getAll("sweeps");
  assert.equal(sweeps.length, 1, "no second sweep");
  await waitFor(async () => (await cluster.client.get("sweep", {}, { id: 1 })).state === "done", 120_000, "the sweep to finish after the restart", () => cluster.dump());
  const trials = await cluster.client.getAll("trials", { metrics: 1,  sweep: 1 });
  assert.equal(trials.length, 24);
  assert.ok(trials.every((t) => t.state === "done" && t.weightsSha256));
  for (const t of trials) assert.equal(t.attemptLog.filter((a) => a.outcome === "done").length, 1, `trial ${t.id} stored once`);
  // The same relay and workers carried on (no new identities were needed).
  const nodes = await cluster.client.getAll("nodes");
  assert.equal(nodes.filter((n) => n.role === "relay").length, 1);
  assert.equal(nodes.filter((n) => n.role === "worker").length, 2);
});
