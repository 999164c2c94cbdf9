// Load generator: one process simulating many lightweight agents. Each joins the
// controller (getting a worker cookie and a relay), then polls its relay as a busy worker
// does (free=0, the poll is its heartbeat) every `interval` ms. Prints one JSON line of
// figures at the end: polls, errors, latency percentiles.
import http from "node:http";
import { parseArgs } from "node:util";
import { routeUrl } from "../../protocol/routes.ts";
import { JoinResponse } from "../../protocol/messages.ts";

const { values: a } = parseArgs({
  options: {
    controller: { type: "string" }, token: { type: "string" }, agents: { type: "string", default: "500" },
    seconds: { type: "string", default: "30" }, interval: { type: "string", default: "2000" },
  },
});
const N = Number(a.agents), SECONDS = Number(a.seconds), INTERVAL = Number(a.interval);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function request(method: string, url: string, headers: Record<string, string>): Promise<{ status: number; body: string; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: keepAlive, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, cookie: (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ") }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

interface Sim { id: number; cookie: string; relay: string }

async function joinAll(): Promise<Sim[]> {
  const sims: Sim[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < N) {
      const id = next++;
      const url = routeUrl(a.controller!, "join", { threads: 1, host: `sim-${id}`, role: "worker" });
      const res = await request("POST", url, { authorization: `Bearer ${a.token}` });
      if (res.status !== 200) throw new Error(`join ${id}: ${res.status} ${res.body}`);
      sims.push({ id, cookie: res.cookie, relay: JoinResponse.parse(JSON.parse(res.body)).relayUrl });
    }
  }));
  return sims;
}

const joinStart = performance.now();
const sims = await joinAll();
const joinSeconds = (performance.now() - joinStart) / 1000;
const latencies: number[] = [];
const errors = new Map<string, number>();
let polls = 0;
const end = Date.now() + SECONDS * 1000;
const start = performance.now();
await Promise.all(sims.map(async (sim) => {
  await new Promise((r) => setTimeout(r, Math.random() * INTERVAL)); // spread the first polls
  while (Date.now() < end) {
    const t0 = performance.now();
    try {
      const res = await request("GET", routeUrl(sim.relay, "work", { free: 0, threads: 1, host: `sim-${sim.id}` }), { cookie: sim.cookie });
      if (res.status !== 200) errors.set(`http ${res.status}`, (errors.get(`http ${res.status}`) ?? 0) + 1);
      else {
        polls++;
        latencies.push(performance.now() - t0);
      }
    } catch (err) {
      const k = (err as Error).message.slice(0, 60);
      errors.set(k, (errors.get(k) ?? 0) + 1);
    }
    const wait = INTERVAL - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}));
const seconds = (performance.now() - start) / 1000;
latencies.sort((x, y) => x - y);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
console.log(JSON.stringify({
  agents: N, relays: new Set(sims.map((s) => s.relay)).size, joinSeconds, seconds, polls, pollsPerSec: polls / seconds,
  p50ms: pct(50), p99ms: pct(99), maxMs: latencies.at(-1) ?? NaN, errors: Object.fromEntries(errors),
}));
process.exit(0);
