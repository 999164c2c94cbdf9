// Trials that survive their machine: a long trial checkpoints (ctx.checkpoint), its agent is
// killed (SIGKILL) or stopped (SIGTERM: it checkpoints within its grace period and hands the
// trial back), and the trial resumes on another agent from its checkpoint, reports no step
// twice, and ends with the hash of an uninterrupted run (reproduced in this process). Real
// daemons and signals; a relay daemon in the path of one, PostgreSQL under another.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster, waitFor, type ApiTrial } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";
import { postgresMissing, startPostgres, type PostgresServer } from "./postgres-server.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/checkpoints", import.meta.url));
const STEPS = 30;

const clusters: Cluster[] = [];
const pgMissing = postgresMissing();
let pg: PostgresServer | undefined;
before(async () => {
  if (!pgMissing && process.env.DISCALC_E2E_PG !== "0") pg = await startPostgres();
});
after(async () => {
  await Promise.all(clusters.map((c) => c.stopAll()));
  pg?.stop();
});

const sweep = (name: string, extra: object = {}) => ({
  name, experiment: EXPERIMENT, steps: STEPS, stepMs: 100,
  metric: { name: "value", goal: "maximize" },
  leaseSeconds: 2, maxAttempts: 5,
  // Two trials alike but for an unused label: the same seed, so the same hash.
  search: { method: "grid", parameters: { label: [1, 2] } },
  ...extra,
});

const trial = (c: Cluster, id: number) => c.client.get("trial", {}, { id });

/**
 * The first agent runs trial 1 until `ready`, gets `signal`, and a second agent finishes the
 * sweep. Returns trial 1 as stored, and the step its resumed attempt started after.
 */
async function interrupted(name: string, config: object, o: { signal: "SIGKILL" | "SIGTERM"; ready: (t: ApiTrial) => boolean; relay?: boolean; store?: string }) {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig(name, config), { extra: o.store ? ["--store", o.store] : [] });
  await c.admin("/api/commands?kind=pause&sweep=1");
  if (o.relay) {
    c.startRelay();
    await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"), 30_000, "the relay", () => c.dump());
  }
  const first = c.startAgent(1);
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "worker"), 30_000, "the first agent", () => c.dump());
  await c.admin("/api/commands?kind=resume&sweep=1");
  await waitFor(async () => o.ready(await trial(c, 1)), 60_000, "trial 1 to get far enough", () => c.dump());
  const signalledAt = Date.now();
  c.signal(first, o.signal);
  const code = await first.exited;
  const exitMs = Date.now() - signalledAt;
  c.startAgent(2);
  const s = await waitForSweepEnd(c, 120_000);
  assert.equal(s.state, "done", c.dump());
  const trials = await verifyExactlyOnce(c, config);
  const t1 = await trial(c, 1);
  return { c, t1, trials, code, exitMs, first };
}

/** The report index (0-based) where the resumed attempt's own reports begin: its first says ranHere 1. */
function resumedAt(t: ApiTrial): number {
  const m = t.metrics!;
  assert.deepEqual(m.map((r) => r.step), Array.from({ length: STEPS }, (_, i) => i + 1), "every step reported once, in order");
  const k = m.findIndex((r, i) => i > 0 && r.ranHere === 1);
  assert.ok(k > 0, `trial ${t.id} resumed from a checkpoint: ${JSON.stringify(m.map((r) => r.ranHere))}`);
  // Past the checkpoint, every step ran once, in the resumed attempt.
  for (let i = k; i < m.length; i++) assert.equal(m[i]!.ranHere, i - k + 1, `step ${i + 1} ran once after the checkpoint`);
  return k;
}

async function keptState(c: Cluster, t: ApiTrial) {
  assert.equal(t.checkpointStep, null, "an ended trial's checkpoint is dropped");
  assert.equal(t.stateSha256, t.resultSha256, "the kept final state is the state the result hashes");
  const res = await fetch(new URL(`/api/trials/${t.id}/state`, c.url));
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(createHash("sha256").update(bytes).digest("hex"), t.resultSha256);
  assert.equal(res.headers.get("x-discalc-state-sha256"), t.resultSha256);
  assert.equal(res.headers.get("x-discalc-state-step"), String(STEPS));
  // The same through the CLI, from the controller's API: written as its raw bytes (not named arrays).
  const out = join(c.dir, `trial-${t.id}.bin`);
  const got = c.spawn("artifact", ["artifact", "get", "--trial", String(t.id), "--out", out, "--controller", c.url]);
  assert.equal(await got.exited, 0, got.log.join("\n"));
  assert.match(got.log.join("\n"), /as its raw bytes/);
  assert.equal(createHash("sha256").update(readFileSync(out)).digest("hex"), t.resultSha256);
}

test("SIGKILL of an agent mid-trial, through a relay daemon: the trial resumes from its checkpoint on another agent, with the uninterrupted run's hash", { timeout: 240_000 }, async () => {
  const config = sweep("ckpt-kill", { checkpoint: { every: 5 } });
  const { c, t1, trials, first } = await interrupted("ckpt-kill", config, {
    signal: "SIGKILL", relay: true, ready: (t) => (t.checkpointStep ?? 0) >= 10,
  });
  const relayUrl = first.log.map((l) => /thread\(s\), relay (http\S+)/.exec(l)?.[1]).find(Boolean);
  assert.ok(relayUrl && relayUrl !== c.url, `the agent worked through the relay daemon, not the root relay (${relayUrl})\n${c.dump()}`);
  assert.ok(t1.attempts >= 2, `trial 1 ran again: ${JSON.stringify(t1.attemptLog)}`);
  const k = resumedAt(t1);
  assert.ok(k >= 10 && k % 5 === 0, `resumed after a checkpoint at a multiple of checkpoint.every: step ${k}`);
  assert.equal(trials[0]!.resultSha256, trials[1]!.resultSha256, "the resumed trial's hash is its uninterrupted twin's");
  await keptState(c, t1);
});

test("SIGTERM: the agent checkpoints its running trial within the grace period, hands it back and exits; the trial resumes there", { timeout: 240_000 }, async () => {
  // No checkpoint.every and trials far shorter than 30 s: the only checkpoint is the one SIGTERM asks for.
  const config = sweep("ckpt-term");
  const { c, t1, trials, code, exitMs, first } = await interrupted("ckpt-term", config, {
    signal: "SIGTERM", ready: (t) => (t.metrics?.length ?? 0) >= 8,
  });
  assert.equal(code, 0, c.dump());
  assert.ok(exitMs < 15_000, `the agent exited ${exitMs} ms after SIGTERM`);
  assert.ok(first.log.some((l) => l.includes("asking 1 running trial(s) for a checkpoint")), c.dump());
  assert.ok(t1.attemptLog.some((a) => a.outcome === "released"), `handed back: ${JSON.stringify(t1.attemptLog)}`);
  const k = resumedAt(t1);
  assert.ok(k >= 8, `resumed after the checkpoint taken on SIGTERM: step ${k}`);
  assert.equal(trials[0]!.resultSha256, trials[1]!.resultSha256);
  await keptState(c, t1);
});

test("postgres: SIGKILL of an agent mid-trial; the trial resumes from the checkpoint stored in PostgreSQL", { timeout: 240_000, skip: pgMissing ?? undefined }, async () => {
  const config = sweep("ckpt-pg", { checkpoint: { every: 5 } });
  const store = await pg!.createDatabase("checkpoints");
  const { c, t1 } = await interrupted("ckpt-pg", config, { signal: "SIGKILL", store, ready: (t) => (t.checkpointStep ?? 0) >= 10 });
  assert.ok(t1.attempts >= 2);
  const k = resumedAt(t1);
  assert.ok(k >= 10 && k % 5 === 0, `step ${k}`);
  await keptState(c, t1);
});
