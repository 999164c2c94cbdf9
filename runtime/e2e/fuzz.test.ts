// Fuzzer: 10,000 seeded malformed requests to every route of a controller and of a relay
// daemon. The daemons must never crash or hang, must answer every request with a 4xx and a
// message (or a plain read), and the store must not change. A failure prints its seed;
// DISCALC_FUZZ_SEED=<seed> replays it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";
import { fuzzRequest, prng, type FuzzRequest } from "./fuzz-requests.ts";

const SEED = Number(process.env.DISCALC_FUZZ_SEED ?? 20261125);
const TOTAL = Number(process.env.DISCALC_FUZZ_REQUESTS ?? 10_000);
const c = new Cluster();
let relayUrl = "";
const cookies = { worker: "", relay: "" };

before(async () => {
  await c.startController(c.writeConfig("fuzz", {
    name: "fuzz", dataset: { name: "xor", train: 20, test: 10 }, model: { hidden: [2] }, train: { epochs: 1, batch: 4, lr: 0.1 }, search: { repeats: 5 },
  }));
  // Nothing may be leased or stored while the fuzzer runs.
  await c.admin("/api/commands?kind=pause&sweep=1");
  c.startRelay();
  const relay = await waitFor(async () => (await c.client.getAll("nodes")).find((n) => n.role === "relay" && n.url), 30_000, "relay", () => c.dump());
  relayUrl = relay.url!;
  const join = async (role: string) => {
    const res = await fetch(`${c.url}/v1/join?threads=1&role=${role}`, { method: "POST", headers: { authorization: `Bearer ${role === "relay" ? c.relayToken : c.token}` } });
    return res.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  };
  cookies.worker = await join("worker");
  cookies.relay = await join("relay");
});
after(() => c.stopAll());

async function snapshot() {
  const [trials, nodes, commands, sweeps] = await Promise.all([
    c.client.getAll("trials", { metrics: 1 }), c.client.getAll("nodes"), c.client.getAll("commands"), c.client.getAll("sweeps"),
  ]);
  return JSON.stringify({ trials, nodes: nodes.map((n) => [n.id, n.role]), commands, sweeps: (sweeps as Array<{ counts: unknown }>).map((s) => s.counts) });
}

async function send(base: string, req: FuzzRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${req.path}`, {
    method: req.method, headers: req.headers, body: req.body as Uint8Array<ArrayBuffer> | undefined, signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

test(`${TOTAL} seeded malformed requests (seed ${SEED}): no crash, no hang, 4xx with a message, store unchanged`, { timeout: 600_000 }, async () => {
  const before = await snapshot();
  const r = prng(SEED);
  const reqs = Array.from({ length: TOTAL }, (_, i) => ({ i, target: i % 10 < 7 ? "controller" : "relay", req: fuzzRequest(r, cookies) }));
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < reqs.length && failures.length < 5) {
      const { i, target, req } = reqs[next++]!;
      const base = target === "controller" ? c.url : relayUrl;
      let res: { status: number; text: string };
      try {
        res = await send(base, req);
      } catch (err) {
        failures.push(`#${i} ${target} ${req.describe}: no answer (${(err as Error).message})`);
        continue;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`#${i} ${target} ${req.describe}: ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.status >= 400 && req.method !== "HEAD") {
        let message = "";
        try {
          message = (JSON.parse(res.text) as { error: { message: string } }).error.message;
        } catch {
          // not the error shape
        }
        if (!message) failures.push(`#${i} ${target} ${req.describe}: ${res.status} without an error message: ${res.text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ");
  console.log(`# fuzz seed ${SEED}: ${TOTAL} requests → ${summary}`);
  assert.deepEqual(failures, [], `replay with DISCALC_FUZZ_SEED=${SEED}\n${failures.join("\n")}`);
  // Both daemons still answer, and nothing changed.
  assert.equal((await fetch(`${c.url}/api/sweeps`)).status, 200);
  assert.equal((await fetch(`${relayUrl}/v1/work?free=1`, { headers: { cookie: cookies.worker } })).status, 200);
  assert.ok(c.procs.every((p) => p.child.exitCode === null), "no daemon exited");
  assert.equal(await snapshot(), before, "the store is unchanged");
});
