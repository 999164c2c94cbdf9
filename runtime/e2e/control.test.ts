// End to end: commands to a running fleet. Deploy mid-sweep (agents switch bundle, no trial
// lost or run twice; the relay daemon reloads too, at the same address), pause stops new
// leases and resume continues, cancel stops a sweep.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

// About 0.3 s per trial on one thread (engine 2's tanh).
const sweep = (name: string, repeats: number) => ({
  name,
  dataset: { name: "moons", train: 2000, test: 200, noise: 0.1 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 120, batch: 8, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats, parameters: { "train.lr": [0.003, 0.01] } },
});

async function startFleet(name: string, repeats: number): Promise<Cluster> {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig(name, sweep(name, repeats)));
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "the relay", () => c.dump());
  c.startAgent(1);
  c.startAgent(1);
  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "worker").length === 2, 30_000, "two workers", () => c.dump());
  return c;
}

const counts = async (c: Cluster) => (await c.client.get("sweep", {}, { id: 1 })).counts;

test("deploy mid-sweep: agents switch to the new bundle, no trial is lost or run twice", { timeout: 120_000 }, async () => {
  const c = await startFleet("deploy", 16);
  const before = await c.client.getAll("nodes");
  const oldSha = before.find((n) => n.role === "controller")!.bundleSha;
  await waitFor(async () => (await counts(c)).done >= 2, 60_000, "two trials done", () => c.dump());
  const deploy = c.spawn("deploy", ["deploy", "--controller", c.url, "--admin-token", c.adminToken, "--label", "e2e-second"]);
  assert.equal(await deploy.exited, 0, deploy.log.join("\n"));
  const newSha = (await c.client.getAll("nodes")).find((n) => n.role === "controller")!.bundleSha;
  assert.notEqual(newSha, oldSha);
  const midway = await counts(c);
  assert.ok(midway.queued + midway.leased > 0, "the deploy landed mid-sweep");
  await waitFor(async () => {
    const workers = (await c.client.getAll("nodes")).filter((n) => n.role === "worker");
    return workers.length === 2 && workers.every((w) => w.bundleSha === newSha);
  }, 60_000, "both agents to rejoin on the new bundle", () => c.dump());
  await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).state === "done", 90_000, "the sweep to finish", () => c.dump());
  const trials = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
  assert.equal(trials.length, 32);
  assert.ok(trials.every((t) => t.state === "done" && t.weightsSha256), "every trial done with a result");
  // A relay may hand back prefetched trials it never started; none may run twice or be lost.
  const wrong = trials.filter((t) => t.attemptLog.filter((a) => a.outcome === "done").length !== 1 || t.attemptLog.some((a) => a.outcome === "expired" || a.outcome === "failed"));
  assert.deepEqual(wrong.map((t) => t.id), [], `trials run twice or lost: ${JSON.stringify(wrong.map((t) => t.attemptLog))}\n${c.dump()}`);
  const commands = await c.client.getAll("commands");
  assert.ok(commands.some((x) => x.kind === "update" && x.bundleSha === newSha));
});

test("deploy mid-sweep: the relay daemon drains, reloads the new bundle through its bootstrap, and serves again at the same address", { timeout: 150_000 }, async () => {
  const c = await startFleet("deploy-relay", 24);
  const relayProc = c.procs.find((p) => p.name === "relay")!;
  const before = (await c.client.getAll("nodes")).find((n) => n.role === "relay")!;
  await waitFor(async () => (await counts(c)).done >= 2, 60_000, "two trials done", () => c.dump());
  const deploy = c.spawn("deploy", ["deploy", "--controller", c.url, "--admin-token", c.adminToken, "--label", "e2e-relay"]);
  assert.equal(await deploy.exited, 0, deploy.log.join("\n"));
  const newSha = (await c.client.getAll("nodes")).find((n) => n.role === "controller")!.bundleSha;
  assert.notEqual(newSha, before.bundleSha);
  // It joins again under its own id, on the new bundle, and listens where it did.
  const serving = (l: string) => /^\[discalc (\S+)\] relay \S+ serving workers on port (\d+) \(bundle ([^,]+),/.exec(l);
  const reloaded = await waitFor(async () => relayProc.log.map(serving).find((m) => m?.[3] === "e2e-relay"), 60_000, "the relay to serve on the new bundle", () => c.dump());
  const after = await waitFor(async () => {
    const r = (await c.client.getAll("nodes")).find((n) => n.id === before.id);
    return r?.bundleSha === newSha && r.state === "alive" ? r : undefined;
  }, 30_000, "the relay's node on the new bundle", () => c.dump());
  assert.equal(after.url, before.url, "the same address, so its workers find it");
  assert.deepEqual(relayProc.log.map(serving).filter((m) => m).map((m) => m![2]), [reloaded[2], reloaded[2]], "the old bundle and the new served on one port");
  assert.equal(relayProc.child.exitCode, null, "the relay process kept running");
  await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).state === "done", 90_000, "the sweep to finish", () => c.dump());
  const trials = await c.client.getAll("trials", { sweep: 1 });
  assert.equal(trials.length, 48);
  // It let its workers finish before it went: nothing ran twice, nothing was lost or expired.
  const wrong = trials.filter((t) => t.attemptLog.filter((a) => a.outcome === "done").length !== 1 || t.attemptLog.some((a) => a.outcome === "expired" || a.outcome === "failed"));
  assert.deepEqual(wrong.map((t) => t.id), [], `trials run twice or lost: ${JSON.stringify(wrong.map((t) => t.attemptLog))}\n${c.dump()}`);
  const reloadedAt = Date.parse(reloaded[1]!);
  assert.ok(trials.some((t) => t.relayId === before.id && t.finishedAt! > reloadedAt), `results came up through the reloaded relay\n${c.dump()}`);
});

test("pause stops new leases, resume continues, cancel stops the sweep", { timeout: 120_000 }, async () => {
  const c = await startFleet("control", 20);
  await waitFor(async () => (await counts(c)).done >= 2, 60_000, "two trials done", () => c.dump());
  await c.admin("/api/commands?kind=pause&sweep=1");
  // Trials already handed to the agents (running or in reserve) finish; then nothing new starts.
  let last = -1;
  await waitFor(async () => {
    const done = (await counts(c)).done;
    const settled = done === last;
    last = done;
    await new Promise((r) => setTimeout(r, 1000));
    return settled;
  }, 30_000, "handed-out trials to finish", () => c.dump());
  const paused = await counts(c);
  await new Promise((r) => setTimeout(r, 2000));
  const stillPaused = await counts(c);
  assert.equal(stillPaused.done, paused.done, "no trial finished while paused");
  assert.equal((await c.client.get("sweep", {}, { id: 1 })).state, "paused");

  await c.admin("/api/commands?kind=resume&sweep=1");
  await waitFor(async () => (await counts(c)).done >= paused.done + 2, 30_000, "progress after resume", () => c.dump());

  await c.admin("/api/commands?kind=cancel&sweep=1");
  const cancelled = await c.client.get("sweep", {}, { id: 1 });
  assert.equal(cancelled.state, "cancelled");
  assert.equal(cancelled.counts.queued + cancelled.counts.leased, 0);
  const doneAtCancel = cancelled.counts.done;
  assert.ok(doneAtCancel < 40 && cancelled.counts.cancelled > 0);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
  assert.equal(after.filter((t) => t.state === "done").length, doneAtCancel, "nothing is stored for cancelled trials");
  assert.ok(after.filter((t) => t.state === "cancelled").every((t) => t.weightsSha256 === null));

  // shutdown: the relay and both agents finish what they hold and exit 0.
  await c.admin("/api/commands?kind=shutdown");
  const fleet = c.procs.filter((p) => p.name === "relay" || p.name === "agent");
  const codes = await Promise.race([
    Promise.all(fleet.map((p) => p.exited)),
    new Promise<string>((r) => setTimeout(() => r("timeout"), 20_000)),
  ]);
  assert.deepEqual(codes, [0, 0, 0], c.dump());
});
