// Bad input and intruders get a clear 4xx (or a refusal) and change nothing: bad config,
// bad query, missing or forged cookie, wrong token, a role on another role's route, blob
// paths that try to walk out, oversized and bomb bodies, and a tampered bundle.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflate } from "pako";
import { startController, type Controller } from "../controller/controller.ts";
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { Cluster } from "./cluster.ts";
import { routes } from "../../protocol/routes.ts";

const TOKEN = "cluster-secret";
const RELAY = "relay-secret";
const ADMIN = "admin-secret";
let controller: Controller;
let workerCookie = "";
let relayCookie = "";
const cluster = new Cluster();

before(async () => {
  controller = await startController({
    data: mkdtempSync(join(tmpdir(), "discalc-refusals-")), token: TOKEN, relayToken: RELAY, adminToken: ADMIN, port: 0, host: "127.0.0.1",
    config: await prepareSweep({
      name: "refusals", dataset: { name: "xor", train: 50, test: 20 }, model: { hidden: [4] },
      train: { epochs: 1, batch: 8, lr: 0.1 }, search: { repeats: 3 },
    }, tmpdir()),
  });
  const joinAs = async (role: string) => {
    const res = await fetch(`${controller.url}/v1/join?threads=1&role=${role}`, { method: "POST", headers: { authorization: `Bearer ${role === "relay" ? RELAY : TOKEN}` } });
    assert.equal(res.status, 200);
    return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  };
  workerCookie = await joinAs("worker");
  relayCookie = await joinAs("relay");
});
after(async () => {
  await controller.close();
  await cluster.stopAll();
});

async function call(path: string, init: RequestInit & { cookie?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  const res = await fetch(`${controller.url}${path}`, { ...init, headers });
  const text = await res.text();
  let message = text;
  try {
    message = (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    // not an error body
  }
  return { status: res.status, message };
}

/** What the store holds, through its own API (trials, their results and reports, commands). */
async function storeSnapshot() {
  const store = controller.state.store;
  const trials = await store.allTrials();
  const results = await Promise.all(trials.map((t) => store.result(t.id)));
  const reports = await Promise.all(trials.map((t) => store.reportsOf(t.id)));
  return JSON.stringify([trials.map((t) => [t.id, t.state, t.attempts]), results, reports, await store.commandsAfter(0)]);
}

test("a bad sweep config exits non-zero naming each bad field, and nothing starts", async () => {
  const data = join(cluster.dir, "bad-data");
  const bad = cluster.writeConfig("bad", {
    name: "bad name!", dataset: { name: "mnist", train: 9000, test: 2000 }, model: { hidden: [0] },
    train: { epochs: 0, batch: 64, lr: 0.1 }, search: { method: "grid", parameters: { "train.lrr": [0.1] } },
  });
  const p = cluster.spawn("bad-controller", ["controller", "--config", bad, "--port", "0", "--host", "127.0.0.1", "--data", data, "--token", TOKEN]);
  assert.equal(await p.exited, 2);
  const out = p.log.join("\n");
  for (const field of ["name:", "dataset.train:", "model.hidden.0:", "train.epochs:", "search.parameters.train.lrr:"]) {
    assert.ok(out.includes(field), `error names ${field}\n${out}`);
  }
  assert.equal(existsSync(join(data, "discalc.sqlite")), false, "no store was created");
});

test("join: no token 401, wrong token 403, bad query 400 naming the parameter", async () => {
  const before = await storeSnapshot();
  assert.deepEqual(await call("/v1/join?threads=1", { method: "POST" }), { status: 401, message: "header 'authorization' is missing: joining needs 'Bearer <token>'" });
  assert.deepEqual(await call("/v1/join?threads=1", { method: "POST", headers: { authorization: "Bearer nope" } }), { status: 403, message: "wrong token for joining" });
  const bad = await call("/v1/join?threads=0&role=boss", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(bad.status, 400);
  assert.match(bad.message, /query parameter 'threads' must be at least 1/);
  assert.match(bad.message, /query parameter 'role'/);
  assert.equal(await storeSnapshot(), before);
});

test("identity: missing, forged and re-signed cookies get 401; another role's route 403", async () => {
  const before = await storeSnapshot();
  assert.equal((await call("/v1/work?free=1")).status, 401);
  // The identity's payload edited to say relay: the signature no longer matches.
  const [payload, sig] = workerCookie.replace("discalc_id=", "").split(".") as [string, string];
  const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), r: "relay" })).toString("base64url");
  const forged = `discalc_id=${edited}.${sig}`;
  const f = await call("/v1/leases?n=5", { cookie: forged });
  assert.equal(f.status, 401);
  assert.match(f.message, /has a signature the controller did not make/);
  const resigned = `discalc_id=${payload}.${"A".repeat(86)}`;
  assert.equal((await call("/v1/work?free=1", { cookie: resigned })).status, 401);
  const w = await call("/v1/leases?n=5", { cookie: workerCookie });
  assert.equal(w.status, 403);
  assert.match(w.message, /a worker's identity may not use GET \/v1\/leases/);
  assert.equal((await call("/v1/work?free=1", { cookie: relayCookie })).status, 403);
  assert.equal(await storeSnapshot(), before);
});

test("bad query values name the parameter; unknown parameters are refused", async () => {
  const a = await call("/v1/work?free=abc", { cookie: workerCookie });
  assert.deepEqual(a, { status: 400, message: "query parameter 'free' must be an integer" });
  const b = await call("/v1/work?free=1&bogus=2", { cookie: workerCookie });
  assert.deepEqual(b, { status: 400, message: "unknown query parameter 'bogus'" });
  const c = await call("/v1/work?free=1&free=2", { cookie: workerCookie });
  assert.deepEqual(c, { status: 400, message: "query parameter 'free' is given twice" });
  const d = await call("/api/trials?sweep=x");
  assert.equal(d.status, 400);
  assert.match(d.message, /query parameter 'sweep' must be an integer/);
});

test("admin routes need the admin token", async () => {
  const before = await storeSnapshot();
  assert.equal((await call("/api/commands?kind=pause", { method: "POST" })).status, 401);
  assert.equal((await call("/api/commands?kind=pause", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status, 403);
  assert.deepEqual(await call("/api/commands?kind=pause", { method: "POST", cookie: workerCookie }),
    { status: 403, message: "a node's identity may not use commands (admin): it needs the admin token" });
  assert.equal((await call("/api/deploy", { method: "POST", cookie: relayCookie })).status, 403);
  const bad = await call("/api/commands?kind=explode", { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(bad.status, 400);
  assert.match(bad.message, /query parameter 'kind'/);
  assert.equal((await call("/api/commands?kind=cancel&sweep=99", { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } })).status, 404);
  const deploy = await call("/api/deploy", { method: "POST", headers: { authorization: `Bearer ${ADMIN}` }, body: "console.log('not a bundle')" });
  assert.deepEqual(deploy, { status: 400, message: "body is not a discalc node bundle (build it with `discalc deploy`)" });
  assert.equal(await storeSnapshot(), before);
});

test("blob paths that try to walk out are refused; unknown blobs are 404", async () => {
  for (const path of ["/v1/blobs/..%2F..%2Fdiscalc.sqlite", "/v1/blobs/%2e%2e", `/v1/blobs/${"A".repeat(64)}`]) {
    const r = await call(path, { cookie: workerCookie });
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
  }
  assert.equal((await call("/v1/blobs/../../etc/passwd", { cookie: workerCookie })).status, 404);
  assert.equal((await call(`/v1/blobs/${"0".repeat(64)}`, { cookie: workerCookie })).status, 404);
  const bundle = await controller.state.work.currentBundle();
  assert.equal((await call(`/v1/blobs/${bundle}`)).status, 401, "blobs need an identity");
  assert.equal((await call(`/v1/blobs/${bundle}`, { cookie: workerCookie })).status, 200);
});

test("oversized bodies get 413, a deflate bomb is refused at the cap, bad bodies 400; nothing stored", async () => {
  const before = await storeSnapshot();
  const big = new Uint8Array(65 * 1024 * 1024);
  const over = await call(routes.results.path, { method: "POST", cookie: relayCookie, headers: { "content-type": "application/json" }, body: big });
  assert.equal(over.status, 413);
  const bomb = deflate(new Uint8Array(300 * 1024 * 1024).fill(32));
  const b = await call(routes.results.path, { method: "POST", cookie: relayCookie, headers: { "content-type": "application/json", "content-encoding": "deflate" }, body: bomb });
  assert.equal(b.status, 413);
  assert.match(b.message, /inflated body exceeds/);
  const junk = await call(routes.results.path, { method: "POST", cookie: relayCookie, headers: { "content-type": "application/json" }, body: "{not json" });
  assert.equal(junk.status, 400);
  const shape = await call(routes.results.path, { method: "POST", cookie: relayCookie, headers: { "content-type": "application/json" }, body: JSON.stringify({ batchId: "x", results: [{ trialId: -1 }] }) });
  assert.equal(shape.status, 400);
  assert.match(shape.message, /results\.0\.trialId/);
  assert.equal(await storeSnapshot(), before);
});

test("the bootstrap refuses a bundle whose SHA-256 is not the one the controller named", { timeout: 60_000 }, async () => {
  const genuine = "// discalc node bundle (genuine)\nexport async function runNode() { return { next: 'exit', code: 0 }; }\n";
  const tampered = "// discalc node bundle (tampered)\nexport async function runNode() { console.error('TAMPERED CODE RAN'); return { next: 'exit', code: 0 }; }\n";
  const sha = createHash("sha256").update(genuine).digest("hex");
  // A controller impostor that names the genuine hash but serves other bytes.
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith(routes.join.path)) {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ nodeId: "w-000000000001", role: "worker", controllerUrl: `http://127.0.0.1:${port}`, relayUrl: `http://127.0.0.1:${port}`, bundleSha: sha, leaseMs: 1, heartbeatMs: 1, commandSeq: 0 }));
    } else {
      res.end(tampered);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const agent = cluster.spawn("tampered-join", ["join", "--controller", `http://127.0.0.1:${port}`, "--token", TOKEN, "--threads", "1"]);
    const end = Date.now() + 20_000;
    while (Date.now() < end && agent.log.filter((l) => l.includes("REFUSED bundle")).length < 2) await new Promise((r) => setTimeout(r, 100));
    cluster.signal(agent, "SIGKILL");
    await agent.exited;
    const out = agent.log.join("\n");
    assert.match(out, /REFUSED bundle from http:\/\/127\.0\.0\.1:\d+: SHA-256 [0-9a-f]{64}, the controller named/);
    assert.doesNotMatch(out, /TAMPERED CODE RAN/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
