// What the controller refuses of a trial's state, over HTTP with a real controller daemon: a
// state whose bytes are not the SHA-256 named (tampered on the way), one from a worker that does
// not run the trial, one past --max-state-bytes (the worker learns the cap at join); and a
// checkpoint its lease does not name is not served.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { Cluster } from "./cluster.ts";

const c = new Cluster();
after(() => c.stopAll());

const SWEEP = {
  name: "state-refusals", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] },
  train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 2 }, leaseSeconds: 30,
};

async function call(path: string, init: { method?: string; token?: string; cookie?: string; body?: Uint8Array; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body) Object.assign(headers, { "content-type": "application/octet-stream", "content-encoding": "deflate" });
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${c.url}${path}`, {
    method: init.method ?? "GET", headers, body: init.body ? Buffer.from(init.body) : init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = undefined; }
  const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? "";
  const cookie = res.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  return { status: res.status, json, message, cookie };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("a tampered, foreign or oversized state is refused with its reason; the cap reaches workers at join", { timeout: 60_000 }, async () => {
  await c.startController(c.writeConfig("refusals", SWEEP), { extra: ["--max-state-bytes", "1000"] });
  const a = await call("/v1/join?threads=1", { method: "POST", token: c.token });
  const b = await call("/v1/join?threads=1", { method: "POST", token: c.token });
  assert.equal(a.json!.maxStateBytes, 1000, "the worker learns the cap, so ctx.checkpoint refuses locally");
  const work = await call("/v1/work?free=1&wait=5000", { method: "POST", cookie: a.cookie, json: { running: "" } });
  const [lease] = (work.json!.trials as Array<{ trialId: number; attempt: number; keepState?: boolean }>);
  assert.ok(lease, `a trial leased: ${JSON.stringify(work.json)}`);
  const state = new Uint8Array(200).fill(3);
  const at = (q: Record<string, string | number>) => `/v1/checkpoints?${new URLSearchParams(Object.entries({ trial: lease.trialId, attempt: lease.attempt, step: 3, kind: "checkpoint", sha: sha(state), ...q }).map(([k, v]) => [k, String(v)]))}`;

  const tampered = new Uint8Array(state);
  tampered[7] = 4;
  const wrong = await call(at({}), { method: "POST", cookie: a.cookie, body: deflateSync(tampered) });
  assert.equal(wrong.status, 400);
  assert.match(wrong.message, new RegExp(`state bytes have SHA-256 ${sha(tampered)}, not the ${sha(state)} named: refused`));

  const foreign = await call(at({}), { method: "POST", cookie: b.cookie, body: deflateSync(state) });
  assert.equal(foreign.status, 409);
  assert.match(foreign.message, /is not running on worker/);

  const big = new Uint8Array(5000).fill(1);
  const tooBig = await call(at({ sha: sha(big) }), { method: "POST", cookie: a.cookie, body: deflateSync(big) });
  assert.equal(tooBig.status, 413);
  assert.match(tooBig.message, /exceeds the controller's cap of 1000 bytes \(--max-state-bytes\)/);

  const good = await call(at({}), { method: "POST", cookie: a.cookie, body: deflateSync(state) });
  assert.equal(good.status, 200, good.message);
  assert.deepEqual(good.json, { stored: true, bytes: 200 });
  assert.equal((await c.client.get("trial", {}, { id: lease.trialId })).checkpointStep, 3);

  // This attempt's lease names no checkpoint: nothing is served for it, by any SHA-256.
  const fetched = await call(`/v1/checkpoints/${sha(state)}?trial=${lease.trialId}&attempt=${lease.attempt}`, { cookie: a.cookie });
  assert.equal(fetched.status, 404);
  assert.match(fetched.message, /lease names no checkpoint/);
});
