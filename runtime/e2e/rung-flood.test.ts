// Adversarial, with a real controller: rung long-polls cost nothing once their client is gone.
// A worker holding a trial whose decision is open posts its rung over and over and drops each
// socket; the controller keeps one wait per (trial, attempt, step), drops it with its last
// client, and answers everything else as before. Behind a relay daemon, the relay's call to
// the controller goes with the worker's socket.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";
import { floodRung, metric } from "./rung-flood.ts";

const c = new Cluster();
after(() => c.stopAll());

const SWEEP = {
  name: "rung-flood", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] },
  train: { epochs: 3, batch: 8, lr: 0.1 }, search: { repeats: 12 }, leaseSeconds: 120,
  metric: { name: "testAccuracy", goal: "maximize" },
  early_stopping: { rule: "asha", min_epochs: 1, reduction: 3 },
};

let cookie = "";
/** The first two trials of the sweep, held by our worker: `b` waits at rung 1 for `a`. */
let a = { trialId: 0, attempt: 0 };
let b = { trialId: 0, attempt: 0 };
const rungUrl = (t: { trialId: number; attempt: number }, wait: number) => `${c.url}/v1/rung?trial=${t.trialId}&attempt=${t.attempt}&step=1&wait=${wait}`;
const post = (t: { trialId: number; attempt: number }, value: number, wait: number, signal?: AbortSignal) => fetch(rungUrl(t, wait), {
  method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ reports: [{ testAccuracy: value }] }), signal,
});
const waiting = async () => ({ waits: await metric(c.url, "discalc_rung_waits"), requests: await metric(c.url, "discalc_rung_requests_waiting") });

before(async () => {
  await c.startController(c.writeConfig("rung-flood", SWEEP));
  const join = await fetch(`${c.url}/v1/join?threads=2`, { method: "POST", headers: { authorization: `Bearer ${c.token}` } });
  cookie = join.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  const work = await waitFor(async () => {
    const w = (await (await fetch(`${c.url}/v1/work?free=2&running=`, { headers: { cookie } })).json()) as { trials: Array<{ trialId: number; attempt: number }> };
    return w.trials.length === 2 ? w.trials : undefined;
  }, 10_000, "two trials for the worker");
  [a, b] = work.map((t) => ({ trialId: t.trialId, attempt: t.attempt })).sort((x, y) => x.trialId - y.trialId) as [typeof a, typeof b];
});

test("repeated posts for one open rung share one wait, and it goes with its last client", { timeout: 60_000 }, async () => {
  const clients = Array.from({ length: 20 }, () => new AbortController());
  const answers = clients.map((ac) => post(b, 0.5, 60_000, ac.signal).catch(() => undefined));
  await waitFor(async () => {
    const w = await waiting();
    return w.waits === 1 && w.requests === 20 ? w : undefined;
  }, 10_000, "20 requests waiting on one wait");
  for (const ac of clients) ac.abort();
  await Promise.all(answers);
  assert.deepEqual(await waitFor(async () => {
    const w = await waiting();
    return w.waits === 0 && w.requests === 0 ? w : undefined;
  }, 5_000, "the wait dropped with its clients"), { waits: 0, requests: 0 });
});

test("10,000 abandoned rung posts leave nothing waiting, and the controller answers as before", { timeout: 300_000 }, async (t) => {
  const rssBefore = await metric(c.url, "discalc_process_resident_memory_bytes");
  const cpuBefore = await metric(c.url, "discalc_process_cpu_seconds_total");
  await floodRung({ url: rungUrl(b, 60_000), cookie, body: { reports: [{ testAccuracy: 0.5 }] }, posts: 10_000, concurrency: 50, dropAfterMs: 20 });
  assert.deepEqual(await waitFor(async () => {
    const w = await waiting();
    return w.waits === 0 && w.requests === 0 ? w : undefined;
  }, 5_000, "no wait left once every client has gone"), { waits: 0, requests: 0 });
  const sweeps = (await c.api<{ items: Array<{ id: number; state: string }> }>("/api/sweeps")).items;
  assert.equal(sweeps[0]!.state, "running");
  const trials = await c.client.getAll("trials", { sweep: 1 });
  for (const held of [a, b]) {
    const trial = trials.find((x) => x.id === held.trialId)!;
    assert.deepEqual([trial.state, trial.attempts], ["leased", held.attempt], `trial ${held.trialId} is still ours`);
  }
  const rssAfter = await metric(c.url, "discalc_process_resident_memory_bytes");
  t.diagnostic(`controller CPU ${(await metric(c.url, "discalc_process_cpu_seconds_total")) - cpuBefore} s, RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(rssAfter / 2 ** 20)} MiB`);
  assert.ok(rssAfter < rssBefore + 256 * 2 ** 20, `memory did not balloon: ${rssBefore} → ${rssAfter} bytes`);
});

test("an open rung is decided when the report it waits for comes, and asked again it is answered the same", { timeout: 60_000 }, async () => {
  const waitingB = post(b, 0.5, 60_000);
  await waitFor(async () => ((await waiting()).waits === 1 ? true : undefined), 10_000, "b waiting at rung 1");
  assert.deepEqual(await (await post(a, 0.9, 0)).json(), { decision: "continue", reason: null }, "the first trial always goes on");
  const decided = (await (await waitingB).json()) as { decision: string; reason: string };
  assert.equal(decided.decision, "prune", "0.5 is outside the top 1/3 of [0.9]");
  assert.match(decided.reason, /^rung 1: testAccuracy 0\.5 is outside the top 1\/3 of the 1 earlier trials' values there \(cutoff 0\.9\)$/);
  assert.deepEqual(await (await post(b, 0.5, 60_000)).json(), decided);
  assert.deepEqual(await waiting(), { waits: 0, requests: 0 });
});

test("behind a relay daemon, a worker's dropped rung post drops the relay's call and the controller's wait", { timeout: 90_000 }, async () => {
  c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"), 30_000, "the relay", () => c.dump());
  const join = await fetch(`${c.url}/v1/join?threads=1`, { method: "POST", headers: { authorization: `Bearer ${c.token}` } });
  const joined = (await join.json()) as { relayUrl: string };
  assert.notEqual(new URL(joined.relayUrl).origin, new URL(c.url).origin, "the worker is the relay daemon's");
  const own = join.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  const [held] = await waitFor(async () => {
    const w = (await (await fetch(`${joined.relayUrl}/v1/work?free=1&running=`, { headers: { cookie: own } })).json()) as { trials: Array<{ trialId: number; attempt: number }> };
    return w.trials.length ? w.trials : undefined;
  }, 30_000, "a trial from the relay daemon");
  const clients = Array.from({ length: 5 }, () => new AbortController());
  const answers = clients.map((ac) => fetch(`${joined.relayUrl}/v1/rung?trial=${held!.trialId}&attempt=${held!.attempt}&step=1&wait=60000`, {
    method: "POST", headers: { cookie: own, "content-type": "application/json" }, body: JSON.stringify({ reports: [{ testAccuracy: 0.1 }] }), signal: ac.signal,
  }).catch(() => undefined));
  await waitFor(async () => {
    const w = await waiting();
    return w.waits === 1 && w.requests === 5 ? w : undefined;
  }, 10_000, "the relay's 5 calls waiting at the controller");
  for (const ac of clients) ac.abort();
  await Promise.all(answers);
  assert.deepEqual(await waitFor(async () => {
    const w = await waiting();
    return w.waits === 0 && w.requests === 0 ? w : undefined;
  }, 5_000, "the controller's wait dropped with the relay's calls"), { waits: 0, requests: 0 });
});
