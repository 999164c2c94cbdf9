// Adversarial, with real daemons on 127.0.0.1: what the cluster token and a relay's identity
// can do to the shape of the fleet. Joins alone make no relay, and a token's joins are
// limited; threads are fixed at join; a relay's heartbeat speaks only for its own workers.
// An honest fleet, whose machines return results, still gets its relays.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join as joinPath } from "node:path";
import Database from "better-sqlite3";
import { Cluster, waitFor } from "./cluster.ts";

const c = new Cluster();
after(() => c.stopAll());

const SWEEP = {
  name: "trust-fleet", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] },
  train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 1000 }, leaseSeconds: 30,
  // Two proven machines per relay: the third honest join is promoted.
  relays: { fanout: 2 },
};
/** A small bucket, so the limit is reached in a test: 60 joins at once, then 2 a second. */
const JOIN_LIMIT = { burst: 60, perSecond: 2 };

before(async () => {
  await c.startController(c.writeConfig("fleet", SWEEP), { env: { DISCALC_JOIN_LIMIT: `${JOIN_LIMIT.burst}/${JOIN_LIMIT.perSecond}` } });
  await c.admin("/api/commands?kind=pause&sweep=1");
});

async function call(path: string, init: { method?: string; token?: string; cookie?: string; body?: unknown; base?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${init.base ?? c.url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? "";
  const cookie = res.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  return { status: res.status, json: json as Record<string, unknown>, message, cookie, retryAfter: res.headers.get("retry-after") };
}

const join = (token: string, query = "threads=1", cookie?: string) => call(`/v1/join?${query}`, { method: "POST", token, cookie });
/** A join that waits out the rate limit (as the bootstrap does). */
const joinWhenAllowed = (token: string, query = "threads=1") => waitFor(async () => {
  const j = await join(token, query);
  if (j.status === 429) return undefined;
  assert.equal(j.status, 200, j.message);
  return j;
}, 30_000, "a join within the rate limit");
/** For a failure's report: what the promotion counted (proven, alive, last seen) of the nodes that matter. */
function nodeRows(): string {
  const db = new Database(joinPath(c.dir, "data", "discalc.sqlite"), { readonly: true });
  try {
    const now = Date.now();
    return (db.prepare("SELECT id, role, state, relay_id, last_seen, proven_at, joined_at FROM nodes WHERE proven_at IS NOT NULL OR joined_at > ? ORDER BY joined_at").all(now - 60_000) as Array<Record<string, number | string | null>>)
      .map((n) => `${n.id} ${n.role} ${n.state} relay=${n.relay_id} seen ${now - (n.last_seen as number)} ms ago, proven ${n.proven_at === null ? "no" : `${now - (n.proven_at as number)} ms ago`}`).join("\n");
  } finally {
    db.close();
  }
}
const node = async (id: unknown) => (await c.client.getAll("nodes")).find((n) => n.id === id)!;

test("fifty joins in a second with the cluster token make no relay; past the token's limit, 429 with Retry-After, and a renewal still passes", async () => {
  const started = Date.now();
  const joins = await Promise.all(Array.from({ length: 50 }, (_, i) => join(c.token, `threads=1&host=quick-${i}`)));
  assert.ok(Date.now() - started < 5_000, "quick joins");
  assert.deepEqual(joins.map((j) => j.status), joins.map(() => 200));
  assert.deepEqual(joins.map((j) => j.json.role), joins.map(() => "worker"), "none joined with the cluster token is promoted: none has returned a result");
  assert.equal((await c.client.getAll("nodes")).filter((n) => n.role === "relay").length, 0);

  // The token's bucket runs dry: the next joins are refused with when to come back.
  let refused: Awaited<ReturnType<typeof join>> | undefined;
  for (let i = 0; i < 40 && !refused; i++) {
    const j = await join(c.token, `threads=1&host=more-${i}`);
    if (j.status === 429) refused = j;
    else assert.equal(j.json.role, "worker");
  }
  assert.ok(refused, "a join past the limit is refused");
  assert.match(refused.message, /too many joins with this token: 60 at once, then 2 a second; retry in \d+ s/);
  assert.ok(Number(refused.retryAfter) >= 1, `Retry-After: ${refused.retryAfter}`);
  // A node renewing its own identity is not a new machine: it is never starved.
  const first = joins[0]!;
  const renewed = await join(c.token, `threads=1&node=${first.json.nodeId}&renew=1`, first.cookie);
  assert.equal(renewed.status, 200, renewed.message);
  assert.equal(renewed.json.nodeId, first.json.nodeId);
});

test("threads are fixed at join: 1,024 asked gets --max-threads (256), and a 1-thread worker polling with threads=1024 gets its bounded grant", async () => {
  const big = await joinWhenAllowed(c.token, "threads=1024&host=big");
  assert.equal(big.json.threads, 256, "capped, not refused");
  assert.equal((await node(big.json.nodeId)).threads, 256);
  const renewedBig = await join(c.token, `threads=1024&node=${big.json.nodeId}&renew=1`, big.cookie);
  assert.equal(renewedBig.json.threads, 256);

  const small = await joinWhenAllowed(c.token, "threads=1&host=small");
  assert.equal(small.json.threads, 1);
  // A renewal cannot raise it either.
  const raised = await join(c.token, `threads=1024&node=${small.json.nodeId}&renew=1`, small.cookie);
  assert.equal(raised.json.threads, 1);
  const cookie = raised.cookie;
  await c.admin("/api/commands?kind=resume&sweep=1");
  try {
    const got = await waitFor(async () => {
      const w = await call("/v1/work?free=1024&threads=1024&wait=2000&running=", { cookie, base: small.json.relayUrl as string });
      assert.equal(w.status, 200, w.message);
      const trials = w.json.trials as Array<{ trialId: number; attempt: number }>;
      return trials.length ? trials : undefined;
    }, 20_000, "trials for the greedy worker");
    // The relay's cap: 2 × (threads + a reserve of at least threads), threads from the identity.
    assert.ok(got.length <= 4, `one thread gets at most 2 × (1 + 1) trials whatever threads= says, got ${got.length}`);
    // Listing none hands them back at once.
    await call("/v1/work?free=0&running=", { cookie, base: small.json.relayUrl as string });
  } finally {
    await c.admin("/api/commands?kind=pause&sweep=1");
  }
});

test("a fleet that grows honestly still gets relays: machines that returned results count, and the next join is promoted", { timeout: 90_000 }, async () => {
  await c.admin("/api/commands?kind=resume&sweep=1");
  c.startAgent(1);
  c.startAgent(1);
  // Each has returned a result the controller stored (the agents rejoin past a 429 by themselves).
  const provers = await waitFor(async () => {
    const trials = await c.client.getAll("trials", { sweep: 1, state: "done" });
    const ids = new Set(trials.map((t) => t.workerId));
    return ids.size >= 2 ? ids : undefined;
  }, 60_000, "results from two agents", () => c.dump());
  // Paused, the sweep is still the one whose fanout applies.
  await c.admin("/api/commands?kind=pause&sweep=1");
  assert.equal((await c.client.getAll("nodes")).filter((n) => n.role === "relay").length, 0, "no relay before");
  for (const id of provers) assert.equal((await node(id)).role, "worker");
  // Both counted as live before the third joins: under a loaded machine a worker's last poll
  // can lag, and the promotion is decided once, at the join.
  await waitFor(async () => {
    const states = await Promise.all([...provers].map(async (id) => (await node(id)).state));
    return states.every((s) => s === "alive") || undefined;
  }, 30_000, "both provers alive", () => c.dump());
  c.startAgent(1);
  const promoted = await waitFor(async () => (await c.client.getAll("nodes")).find((n) => n.role === "relay" && n.url && n.state === "alive"),
    45_000, "the third machine promoted to relay", () => `${c.dump()}\n--- nodes that returned a result or joined last\n${nodeRows()}`);
  assert.ok(!provers.has(promoted.id), "a new machine, joined with the cluster token");
});

test("a relay's heartbeat listing another relay's worker changes nothing about it", async () => {
  const victim = await joinWhenAllowed(c.token, "threads=2&host=victim");
  const before = await node(victim.json.nodeId);
  assert.notEqual(before.relay, undefined);
  const relay = await join(c.relayToken, "threads=1&role=relay");
  assert.equal(relay.status, 200, relay.message);
  const forged = {
    workerId: victim.json.nodeId, host: "forged", threads: 512, busy: 0, lastPoll: Date.now() + 3_600_000, silent: true, trialsDone: 1000, gflops: 1,
  };
  const stats = {
    relayId: relay.json.nodeId, url: "", queued: 0, running: 0, bufferedResults: 0, workers: [forged],
    trialsPerMinute: 0, resultsUploaded: 0, bytesBeforeCompression: 0, bytesAfterCompression: 0,
  };
  const beat = await call("/v1/heartbeat", { method: "POST", cookie: relay.cookie, body: { stats, held: [] } });
  assert.equal(beat.status, 200, beat.message);
  const after = await node(victim.json.nodeId);
  assert.equal(after.relay, before.relay, "not moved to the relay that listed it");
  assert.equal(after.lastHeartbeat, before.lastHeartbeat, "its last-seen time is its own");
  assert.deepEqual(after.stats, before.stats, "no statistics from another relay");
  assert.equal(after.state, before.state);
  assert.equal(after.threads, 2);
});
