// Machines die, links stall, trials throw, disks refuse: each scenario runs a sweep to the
// end with real processes on 127.0.0.1 and real signals, then checks that every trial was
// stored exactly once with the hash it reproduces to.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Cluster, waitFor, type Proc } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

/** About 0.1 s of training per trial. */
const sweep = (name: string, extra: object = {}) => ({
  name,
  dataset: { name: "moons", train: 1500, test: 200, noise: 0.1 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 20, batch: 8, optimizer: "adam", lr: 0.01 },
  leaseSeconds: 3,
  maxAttempts: 5,
  search: { method: "grid", repeats: 12, parameters: { "train.lr": [0.003, 0.01] } },
  ...extra,
});

async function fleet(name: string, config: object, opts: { relays?: number; agents?: number } = {}) {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig(name, config));
  await c.admin("/api/commands?kind=pause&sweep=1");
  for (let i = 0; i < (opts.relays ?? 1); i++) c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "relay" && n.url).length === (opts.relays ?? 1),
    30_000, "relays", () => c.dump());
  const agents: Proc[] = [];
  for (let i = 0; i < (opts.agents ?? 2); i++) agents.push(c.startAgent(1));
  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "worker").length === agents.length,
    30_000, "agents", () => c.dump());
  await c.admin("/api/commands?kind=resume&sweep=1");
  return { c, agents };
}

const doneCount = async (c: Cluster) => (await c.client.get("sweep", {}, { id: 1 })).counts.done;
const nodes = (c: Cluster) => c.client.getAll("nodes");

test("kill -9 of an agent mid-trial: its trials are re-leased within 10 s and the sweep ends exact", { timeout: 180_000 }, async () => {
  const config = sweep("kill-agent");
  const { c, agents } = await fleet("kill-agent", config);
  await waitFor(async () => (await doneCount(c)) >= 3, 60_000, "progress", () => c.dump());
  const victim = (await nodes(c)).find((n) => n.role === "worker")!;
  const victimProc = agents[0]!;
  const killedAt = Date.now();
  c.signal(victimProc, "SIGKILL");
  await victimProc.exited;
  await waitForSweepEnd(c);
  const trials = await verifyExactlyOnce(c, config);
  // How long the dead agent's trials waited: from the kill to their next lease.
  const waits = trials.flatMap((t) => {
    const i = t.attemptLog.findIndex((a, k) => k + 1 < t.attemptLog.length && a.outcome !== "done" && a.leasedAt < killedAt);
    return i >= 0 ? [t.attemptLog[i + 1]!.leasedAt - killedAt] : [];
  });
  console.log(`# dead agent ${victim.id}: ${waits.length} trial(s) re-leased after ${waits.map((w) => (w / 1000).toFixed(1)).join(", ")} s`);
  assert.ok(waits.length > 0, "the dead agent held trials");
  assert.ok(waits.every((w) => w < 10_000), `re-leased within 10 s: ${waits}`);
});

test("kill -9 of a relay: its workers find another relay, its leases expire and run again, exact", { timeout: 180_000 }, async () => {
  const config = sweep("kill-relay");
  const { c } = await fleet("kill-relay", config, { relays: 2, agents: 2 });
  await waitFor(async () => (await doneCount(c)) >= 4, 60_000, "progress", () => c.dump());
  const relays = c.procs.filter((p) => p.name === "relay");
  const relayNodes = (await nodes(c)).filter((n) => n.role === "relay");
  c.signal(relays[0]!, "SIGKILL");
  await relays[0]!.exited;
  await waitForSweepEnd(c);
  const trials = await verifyExactlyOnce(c, config);
  const workers = (await nodes(c)).filter((n) => n.role === "worker");
  assert.equal(workers.length, 2, "the workers kept their identities");
  // The dead relay's leases ran out and were run again elsewhere.
  const lost = trials.filter((t) => t.attemptLog.some((a) => a.outcome === "expired" && relayNodes.some((r) => r.id === a.relayId)));
  assert.ok(lost.length > 0, "the killed relay held leases that expired");
  for (const t of lost) assert.ok(t.attemptLog.some((a) => a.outcome === "done"), `trial ${t.id} ran again`);
});

test("SIGSTOP a relay past its leases, then SIGCONT: late results are acknowledged and ignored", { timeout: 180_000 }, async () => {
  const config = sweep("stop-relay");
  const { c } = await fleet("stop-relay", config, { relays: 1, agents: 2 });
  await waitFor(async () => (await doneCount(c)) >= 3, 60_000, "progress", () => c.dump());
  const relay = c.procs.find((p) => p.name === "relay")!;
  c.signal(relay, "SIGSTOP");
  await new Promise((r) => setTimeout(r, 8000)); // > leaseSeconds and the relay's silence threshold
  c.signal(relay, "SIGCONT");
  await waitForSweepEnd(c);
  const trials = await verifyExactlyOnce(c, config);
  assert.ok(trials.some((t) => t.attemptLog.length > 1), "some trials were re-leased while the relay was stopped");
});

test("a trial that throws fails at once with its error (a retry would throw again); the agent keeps serving", { timeout: 180_000 }, async () => {
  const config = {
    name: "throws",
    dataset: { name: "xor", train: 200, test: 50 },
    model: { hidden: [8] },
    train: { epochs: 2, batch: 8192, lr: 0.1 },
    maxAttempts: 2,
    search: { method: "grid", repeats: 3, parameters: { "model.hidden": [[8], Array(16).fill(8192)] } },
  };
  const { c, agents } = await fleet("throws", config, { agents: 1 });
  await waitForSweepEnd(c);
  const trials = await verifyExactlyOnce(c, config, { failed: 3 });
  for (const t of trials.filter((x) => x.state === "failed")) {
    assert.equal(t.attempts, 1, "not retried: maxAttempts is for the machine's failures");
    assert.match(t.error ?? "", /model too large: .* needs about \d+ MiB of wasm memory/);
  }
  assert.equal(agents[0]!.child.exitCode, null, "the agent is still running");
});

test("SIGTERM to an agent and to a relay: each hands back what it holds and exits 0; no lease has to expire", { timeout: 180_000 }, async () => {
  const config = sweep("sigterm", { leaseSeconds: 60 });
  const { c, agents } = await fleet("sigterm", config, { relays: 2, agents: 2 });
  await waitFor(async () => (await doneCount(c)) >= 3, 60_000, "progress", () => c.dump());
  c.signal(agents[0]!, "SIGTERM");
  assert.equal(await agents[0]!.exited, 0, agents[0]!.log.join("\n"));
  const relay = c.procs.find((p) => p.name === "relay")!;
  c.signal(relay, "SIGTERM");
  assert.equal(await relay.exited, 0, relay.log.join("\n"));
  // Leases last 60 s: ending within 50 s means nothing waited for an expiry.
  await waitForSweepEnd(c, 50_000);
  const trials = await verifyExactlyOnce(c, config);
  assert.ok(trials.some((t) => t.attemptLog.some((a) => a.outcome === "released")), "something was handed back");
  assert.deepEqual(trials.filter((t) => t.attemptLog.some((a) => a.outcome === "expired")).map((t) => t.id), []);
});

test("a store that cannot be written: the controller says so and refuses work; nothing acknowledged is lost", { timeout: 180_000 }, async (t) => {
  const config = sweep("readonly");
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  // The database and its log, as a full or failing disk refuses them. Not the -shm index: SQLite
  // maps it into memory, and a write to a mapped page of an immutable file kills the process
  // with SIGBUS (no disk does that to pages it already holds).
  const dbFiles = ["discalc.sqlite", "discalc.sqlite-wal"].map((f) => join(data, f));
  const immutable = (on: boolean) => execFileSync("chattr", [on ? "+i" : "-i", ...dbFiles], { stdio: "pipe" });
  const configPath = c.writeConfig("readonly", config);
  const ctl = await c.startController(configPath, { data });
  try {
    immutable(true);
    immutable(false);
  } catch {
    t.skip("chattr +i is not available here (needs root on ext4)");
    return;
  }
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "relay", () => c.dump());
  c.startAgent(1);
  await waitFor(async () => (await doneCount(c)) >= 3, 60_000, "progress", () => c.dump());
  immutable(true);
  try {
    await waitFor(async () => ctl.log.some((l) => l.includes("store write failed")), 30_000, "the controller to notice", () => c.dump());
    const before = await c.client.get("sweep", {}, { id: 1 });
    await new Promise((r) => setTimeout(r, 2000));
    const after = await c.client.get("sweep", {}, { id: 1 });
    assert.equal(after.counts.done, before.counts.done, "no result is stored (or acknowledged) while the store fails");
  } finally {
    immutable(false);
  }
  c.signal(ctl, "SIGKILL");
  await ctl.exited;
  await c.startController(configPath, { data, port: Number(new URL(c.url).port) });
  await waitForSweepEnd(c);
  await verifyExactlyOnce(c, config);
});
