// Adversarial, with real daemons on 127.0.0.1: what an intruder can do with each token, and
// what a node can do with its identity. No machine may do more than its role.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { generateKeyPairSync, sign } from "node:crypto";
import { Cluster, waitFor, freePort, type Proc } from "./cluster.ts";

const c = new Cluster();
let controller: Proc;
let port = 0;
let config = "";
after(() => c.stopAll());

const SWEEP = {
  name: "trust", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] },
  train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 6 }, leaseSeconds: 30,
};

before(async () => {
  port = await freePort();
  config = c.writeConfig("trust", SWEEP);
  controller = await c.startController(config, { port });
  await c.admin("/api/commands?kind=pause&sweep=1");
});

async function call(path: string, init: { method?: string; token?: string; cookie?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${c.url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? "";
  const cookie = res.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  return { status: res.status, json: json as Record<string, unknown>, message, cookie };
}

const join = (token: string, query = "threads=1", cookie?: string) => call(`/v1/join?${query}`, { method: "POST", token, cookie });

test("each token does only its own job", async () => {
  const asRelay = await join(c.token, "threads=1&role=relay");
  assert.equal(asRelay.status, 403);
  assert.match(asRelay.message, /joining as a relay needs the relay token/);
  assert.equal((await join(c.adminToken)).status, 403, "the admin token joins nothing when a relay token is set");
  for (const token of [c.token, c.relayToken]) {
    assert.equal((await call("/api/commands?kind=resume", { method: "POST", token })).status, 403, "no command without the admin token");
    assert.equal((await call("/api/deploy", { method: "POST", token })).status, 403, "no deploy without the admin token");
  }
  const worker = await join(c.token);
  assert.equal(worker.status, 200);
  assert.equal(worker.json.role, "worker");
  assert.equal(worker.json.identity, undefined, "a worker gets nothing to check identities with");
  const relay = await join(c.relayToken, "threads=1&role=relay");
  assert.equal(relay.json.role, "relay");
  const check = relay.json.identity as { publicKey: string; tokens: string[] };
  assert.match(check.publicKey, /^-----BEGIN PUBLIC KEY-----/);
  assert.doesNotMatch(JSON.stringify(relay.json), /PRIVATE|cookieKeys/, "a relay gets the public key only");
  assert.ok(!JSON.stringify(relay.json).includes(c.token) && !JSON.stringify(relay.json).includes(c.adminToken), "and no token");
});

test("no node can mint or take over another's identity", async () => {
  const a = await join(c.token);
  const b = await join(c.token);
  const relay = await join(c.relayToken, "threads=1&role=relay");
  // node= with another node's id but one's own identity: a new id, not the other's.
  const takeover = await join(c.token, `threads=1&node=${b.json.nodeId}`, a.cookie);
  assert.notEqual(takeover.json.nodeId, b.json.nodeId);
  const relayTakeover = await join(c.token, `threads=1&node=${relay.json.nodeId}`);
  assert.notEqual(relayTakeover.json.nodeId, relay.json.nodeId, "no relay's id without its identity");
  assert.equal((await join(c.token, `threads=1&node=${a.json.nodeId}`, a.cookie)).json.nodeId, a.json.nodeId, "its own identity keeps its id");
  // An identity signed with any key but the controller's is refused everywhere.
  const { privateKey } = generateKeyPairSync("ed25519");
  const payload = Buffer.from(JSON.stringify({ v: 1, n: relay.json.nodeId, r: "relay", u: null, x: Date.now() + 3600_000, t: "0".repeat(16) })).toString("base64url");
  const minted = `discalc_id=${payload}.${sign(null, Buffer.from(payload), privateKey).toString("base64url")}`;
  const leases = await call("/v1/leases?n=5", { cookie: minted });
  assert.equal(leases.status, 401);
  assert.match(leases.message, /signature the controller did not make/);
});

test("a worker reports only on trials handed to it and still running", async () => {
  const a = await join(c.token, "threads=1&host=a");
  const b = await join(c.token, "threads=1&host=b");
  await c.admin("/api/commands?kind=resume&sweep=1");
  const work = await waitFor(async () => {
    const w = await call("/v1/work?free=1&running=", { cookie: a.cookie });
    return (w.json.trials as unknown[]).length ? w.json : undefined;
  }, 10_000, "a trial for worker a");
  const t = (work.trials as Array<{ trialId: number; attempt: number }>)[0]!;
  const ref = { trialId: t.trialId, attempt: t.attempt };
  const outcome = { resultSha256: "ab".repeat(32), metrics: { testAccuracy: 1 }, reports: [{ trainLoss: 0.1 }], info: {}, runMs: 1 };
  const result = (workerId: unknown) => ({ batchId: "x", results: [{ ...ref, status: "done", workerId, outcome, finishedAt: Date.now() }] });
  // b forges a's trial: its result and its metrics are refused.
  assert.deepEqual((await call("/v1/results", { method: "POST", cookie: b.cookie, body: result(b.json.nodeId) })).json, { statuses: ["refused"] });
  assert.deepEqual((await call("/v1/metrics", { method: "POST", cookie: b.cookie, body: { items: [{ ...ref, step: 1, values: { trainLoss: 9 } }] } })).json, { accepted: 0 });
  assert.equal((await call("/v1/results", { method: "POST", cookie: b.cookie, body: result(a.json.nodeId) })).status, 403, "naming another worker");
  // a reports on its own trial; a step past the config's 2 epochs is refused.
  const items = [1, 2, 3].map((step) => ({ ...ref, step, values: { trainLoss: step } }));
  assert.deepEqual((await call("/v1/metrics", { method: "POST", cookie: a.cookie, body: { items } })).json, { accepted: 2 });
  assert.deepEqual((await call("/v1/results", { method: "POST", cookie: a.cookie, body: result(a.json.nodeId) })).json, { statuses: ["stored"] });
  // The trial has ended: more metrics are refused, and the stored result is a's.
  assert.deepEqual((await call("/v1/metrics", { method: "POST", cookie: a.cookie, body: { items: [{ ...ref, step: 1, values: { trainLoss: 99 } }] } })).json, { accepted: 0 });
  const stored = await waitFor(async () => (await c.client.getAll("trials", { metrics: 1,  sweep: 1 })).find((x) => x.id === t.trialId && x.state === "done"), 10_000, "the result stored");
  assert.equal(stored.workerId, a.json.nodeId);
  assert.equal(stored.resultSha256, "ab".repeat(32));

  // free is bounded by threads and a small reserve, twice over (results on their way are
  // listed too); trials a does not list go back at once.
  const greedy = await call("/v1/work?free=1024&running=", { cookie: a.cookie });
  const got = greedy.json.trials as Array<{ trialId: number; attempt: number }>;
  assert.ok(got.length >= 1 && got.length <= 4, `one thread lists at most 2 × (1 + a reserve of 1) trials, got ${got.length}`);
  await call("/v1/work?free=0&running=", { cookie: a.cookie });
  const back = await waitFor(async () => {
    const trials = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
    const gone = got.map((g) => trials.find((x) => x.id === g.trialId)!);
    return gone.every((x) => x.attemptLog.some((l) => l.attempt === got.find((g) => g.trialId === x.id)!.attempt && l.outcome === "released")) ? gone : undefined;
  }, 10_000, "the unlisted trials handed back");
  assert.equal(back.length, got.length);
  await c.admin("/api/commands?kind=pause&sweep=1");
});

test("a late joiner starts at the current command, and pause state travels as state", { timeout: 60_000 }, async () => {
  await c.admin("/api/commands?kind=pause");
  await c.admin("/api/commands?kind=resume&sweep=1");
  await c.admin("/api/commands?kind=shutdown");
  const relay = await join(c.relayToken, "threads=1&role=relay");
  const beat = await call(`/v1/heartbeat?seq=${relay.json.commandSeq}&port=1`, {
    method: "POST", cookie: relay.cookie,
    body: { stats: { relayId: relay.json.nodeId, url: "", queued: 0, running: 0, bufferedResults: 0, workers: [], trialsPerMinute: 0, resultsUploaded: 0, bytesBeforeCompression: 0, bytesAfterCompression: 0 }, held: [] },
  });
  assert.deepEqual(beat.json.commands, [], "no replay of history");
  assert.deepEqual(beat.json.pausedSweeps, [], "the sweep-level resume after the global pause holds");
  // A real relay daemon that joins after the shutdown keeps running.
  const daemon = c.startRelay();
  const alive = await waitFor(async () => (await c.client.getAll("nodes")).find((n) => n.role === "relay" && n.url && n.state === "alive"), 20_000, "the relay daemon");
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(daemon.child.exitCode, null, `the relay did not exit: ${daemon.log.join("\n")}`);
  await c.admin("/api/commands?kind=pause&sweep=1");
  await waitFor(async () => ((await c.client.get("stats", {}, { id: alive.id })).relayId === alive.id ? true : undefined), 5000, "its stats");
});

test("the controller sends nothing to a URL a relay declared; stats come from heartbeats", async () => {
  let requests = 0;
  const trap = http.createServer((_req, res) => { requests++; res.end("{}"); });
  await new Promise<void>((r) => trap.listen(0, "127.0.0.1", r));
  try {
    const relay = await join(c.relayToken, "threads=1&role=relay");
    const url = `http://127.0.0.1:${(trap.address() as { port: number }).port}`;
    const stats = { relayId: relay.json.nodeId, url, queued: 7, running: 0, bufferedResults: 0, workers: [], trialsPerMinute: 0, resultsUploaded: 0, bytesBeforeCompression: 0, bytesAfterCompression: 0 };
    assert.equal((await call(`/v1/heartbeat?url=${encodeURIComponent(url)}`, { method: "POST", cookie: relay.cookie, body: { stats, held: [] } })).status, 200);
    const answer = await c.client.get("stats", {}, { id: relay.json.nodeId as string });
    assert.equal(answer.queued, 7, "the pushed statistics");
    assert.equal(requests, 0, "no request went to the declared URL");
  } finally {
    trap.close();
  }
});

test("rotating the cluster token revokes every identity issued under it", { timeout: 60_000 }, async () => {
  // The worker polls its own relay: the daemon above or the controller's root relay, once the
  // hand-made relays of the tests above (which declared URLs nobody serves) have gone silent.
  const poll = async (a: Awaited<ReturnType<typeof join>>) => {
    const res = await fetch(`${a.json.relayUrl}/v1/work?free=0`, { headers: { cookie: a.cookie } });
    return { status: res.status, message: ((await res.json()) as { error?: { message?: string } }).error?.message ?? "" };
  };
  const a = await waitFor(async () => {
    const joined = await join(c.token);
    return (await poll(joined).catch(() => ({ status: 0 }))).status === 200 ? joined : undefined;
  }, 20_000, "a worker under a relay that answers");
  c.signal(controller, "SIGTERM");
  await controller.exited;
  const rotated = "rotated-cluster-token";
  controller = c.spawn("controller", ["controller", "--config", config, "--port", String(port), "--host", "127.0.0.1", "--data", `${c.dir}/data`,
    "--token", rotated, "--relay-token", c.relayToken, "--admin-token", c.adminToken]);
  await waitFor(async () => (await fetch(`${c.url}/api/sweeps`)).ok || undefined, 30_000, "the restarted controller");
  // Relays learn the current tokens with their next heartbeat.
  const old = await waitFor(async () => {
    const r = await poll(a);
    return r.status === 401 ? r : undefined;
  }, 15_000, "the old identity refused");
  assert.match(old.message, /issued under a token that is no longer valid/);
  assert.equal((await join(c.token)).status, 403, "the old token joins nothing");
  assert.equal((await join(rotated)).status, 200);
});

test("limits: per-route body caps, array lengths, bounded numbers, one long-poll per worker", { timeout: 60_000 }, async () => {
  const relay = await join(c.relayToken, "threads=1&role=relay");
  const big = await fetch(`${c.url}/v1/heartbeat`, {
    method: "POST", headers: { cookie: relay.cookie, "content-type": "application/json" }, body: new Uint8Array(5 * 1024 * 1024),
  });
  assert.equal(big.status, 413, "a heartbeat is capped at 4 MiB");
  const items = Array.from({ length: 20_001 }, () => ({ trialId: 1, attempt: 1, step: 1, values: {} }));
  const many = await call("/v1/metrics", { method: "POST", cookie: relay.cookie, body: { items } });
  assert.equal(many.status, 400);
  assert.match(many.message, /items/);
  // The test above rotated the cluster token; wait for a worker under a relay that answers.
  const w = await waitFor(async () => {
    const joined = await join("rotated-cluster-token");
    const ok = await fetch(`${joined.json.relayUrl}/v1/work?free=0`, { headers: { cookie: joined.cookie } }).then((r) => r.ok, () => false);
    return ok ? joined : undefined;
  }, 20_000, "a worker under a relay that answers");
  const relayBase = w.json.relayUrl as string;
  // An agent of 1,024 threads lists up to 2 × (1,024 + 256) trials, with results on their way:
  // in the poll's body, since request heads stay at Node's 16 KiB.
  const listed = Array.from({ length: 2 * (1024 + 256) }, (_, i) => `${1_000_000_000 + i}:1`).join(",");
  const poll = (running: string) => fetch(`${relayBase}/v1/work?free=0`, {
    method: "POST", headers: { cookie: w.cookie, "content-type": "application/json" }, body: JSON.stringify({ running }),
  });
  const long = await poll(listed);
  assert.equal(long.status, 200, `a poll listing ${listed.length} characters of trials is answered`);
  const inUrl = await fetch(`${relayBase}/v1/work?free=0&running=${listed}`, { headers: { cookie: w.cookie } });
  assert.equal(inUrl.status, 431, "in the URL the same list is past the head's 16 KiB");
  const over = `${listed},${Array.from({ length: 2100 }, (_, i) => `${2_000_000_000 + i}:1`).join(",")}`;
  assert.ok(over.length > 60_000, `${over.length}`);
  const tooLong = await poll(over);
  assert.equal(tooLong.status, 400, "past 60,000 characters the list is refused");
  assert.match(await tooLong.text(), /running/);
  const huge = await fetch(`${relayBase}/v1/work?free=0&gflops=${"9".repeat(400)}`, { headers: { cookie: w.cookie } });
  assert.equal(huge.status, 400, "a 400-digit number is refused, not passed on as Infinity");
  // A second long-poll from the same worker answers the first at once.
  const started = Date.now();
  const first = fetch(`${relayBase}/v1/work?free=1&wait=4000&running=&seq=${w.json.commandSeq}`, { headers: { cookie: w.cookie } }).then(() => Date.now() - started);
  await new Promise((r) => setTimeout(r, 200));
  const second = fetch(`${relayBase}/v1/work?free=1&wait=1000&running=&seq=${w.json.commandSeq}`, { headers: { cookie: w.cookie } }).then(() => Date.now() - started);
  const [a, b] = await Promise.all([first, second]);
  assert.ok(a < 2500, `the first long-poll was answered when the second came (${a} ms)`);
  assert.ok(b >= 1000, `the second waited its own time (${b} ms)`);
});

test("identities expire and renew: a relay and an agent keep their ids and keep working past three lifetimes", { timeout: 90_000 }, async () => {
  const d = new Cluster();
  const previous = process.env.DISCALC_IDENTITY_TTL_MS;
  process.env.DISCALC_IDENTITY_TTL_MS = "4000";
  try {
    await d.startController(d.writeConfig("ttl", { ...SWEEP, name: "ttl", search: { repeats: 4 } }));
    await d.admin("/api/commands?kind=pause&sweep=1");
    d.startRelay();
    const relay = await waitFor(async () => (await d.client.getAll("nodes")).find((n) => n.role === "relay" && n.url && n.state === "alive"), 20_000, "the relay");
    d.startAgent(1);
    const worker = await waitFor(async () => (await d.client.getAll("nodes")).find((n) => n.role === "worker" && n.state === "alive"), 20_000, "the agent");
    await new Promise((r) => setTimeout(r, 13_000));
    const nodes = await d.client.getAll("nodes");
    assert.deepEqual(nodes.filter((n) => n.role !== "controller").map((n) => [n.id, n.state]).sort(), [[relay.id, "alive"], [worker.id, "alive"]].sort(), "the same ids, alive");
    const logs = d.procs.map((p) => p.log.join("\n")).join("\n");
    assert.match(logs, /identity renewed until/);
    assert.doesNotMatch(logs, /has expired/);
    await d.admin("/api/commands?kind=resume&sweep=1");
    const done = await waitFor(async () => {
      const s = await d.client.get("sweep", {}, { id: 1 });
      return s.state === "done" ? s : undefined;
    }, 30_000, "the sweep", () => d.dump());
    assert.equal(done.counts.done, 4);
  } finally {
    if (previous === undefined) delete process.env.DISCALC_IDENTITY_TTL_MS;
    else process.env.DISCALC_IDENTITY_TTL_MS = previous;
    await d.stopAll();
  }
});

test("the one-line join refuses a bootstrap that is not the one it pins", { timeout: 30_000 }, async () => {
  const impostor = http.createServer((_req, res) => res.end("export async function main() { console.error('IMPOSTOR RAN'); return 0; }"));
  await new Promise<void>((r) => impostor.listen(0, "127.0.0.1", r));
  try {
    const { bootstrapOneLiner } = await import("../commands/join.ts");
    const { BOOTSTRAP_SHA256 } = await import("../controller/fleet/node-routes.ts");
    const line = bootstrapOneLiner(`http://127.0.0.1:${(impostor.address() as { port: number }).port}`, BOOTSTRAP_SHA256, { token: c.token });
    const p = c.spawn("pinned-join", ["sh", "-c", line], { node: false });
    const code = await p.exited;
    await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(code, 0);
    assert.match(p.log.join("\n"), /bootstrap refused: SHA-256 [0-9a-f]{64}, pinned [0-9a-f]{64}/);
    assert.doesNotMatch(p.log.join("\n"), /IMPOSTOR RAN/);
  } finally {
    impostor.close();
  }
});
