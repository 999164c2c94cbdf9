// What abandoned rung long-polls cost a real controller: POSTS posts (default 10,000) for one
// held trial whose decision is open, each socket dropped DROP_MS (20) after it is sent, while
// GET /api/sweeps is asked every 100 ms. Prints the controller's CPU seconds and memory, the
// slowest /api answer during the flood and the 3 s after it, and what still waits at the end.
// Run: node --import tsx runtime/bench/rung-flood-bench.ts   (not part of npm test)
import { Cluster, waitFor } from "../e2e/cluster.ts";
import { floodRung, metric } from "../e2e/rung-flood.ts";

const POSTS = Number(process.env.POSTS ?? 10_000);
const DROP_MS = Number(process.env.DROP_MS ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);

const c = new Cluster();
try {
  await c.startController(c.writeConfig("rung-flood", {
    name: "rung-flood", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] },
    train: { epochs: 3, batch: 8, lr: 0.1 }, search: { repeats: 4 }, leaseSeconds: 600,
    metric: { name: "testAccuracy", goal: "maximize" }, early_stopping: { rule: "asha", min_epochs: 1, reduction: 3 },
  }));
  const join = await fetch(`${c.url}/v1/join?threads=2`, { method: "POST", headers: { authorization: `Bearer ${c.token}` } });
  const cookie = join.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  const trials = await waitFor(async () => {
    const w = (await (await fetch(`${c.url}/v1/work?free=2&running=`, { headers: { cookie } })).json()) as { trials: Array<{ trialId: number; attempt: number }> };
    return w.trials.length === 2 ? w.trials.sort((x, y) => x.trialId - y.trialId) : undefined;
  }, 10_000, "two trials");
  // The second trial waits at rung 1 for the first, which never reports.
  const held = trials[1]!;
  const optional = (name: string) => metric(c.url, name).catch(() => NaN);
  const cpu0 = await metric(c.url, "discalc_process_cpu_seconds_total");
  const rss0 = await metric(c.url, "discalc_process_resident_memory_bytes");
  let slowest = 0;
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t0 = performance.now();
      await fetch(`${c.url}/api/sweeps`).then((r) => r.text());
      slowest = Math.max(slowest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t0 = performance.now();
  await floodRung({
    url: `${c.url}/v1/rung?trial=${held.trialId}&attempt=${held.attempt}&step=1&wait=60000`, cookie,
    body: { reports: [{ testAccuracy: 0.5 }] }, posts: POSTS, concurrency: CONCURRENCY, dropAfterMs: DROP_MS,
  });
  const floodMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 3000));
  probing = false;
  await probe;
  const cpu = (await metric(c.url, "discalc_process_cpu_seconds_total")) - cpu0;
  const rss = await metric(c.url, "discalc_process_resident_memory_bytes");
  const heap = await metric(c.url, "discalc_nodejs_heap_size_used_bytes");
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  console.log(`| posts | flood wall | controller CPU | slowest GET /api/sweeps | RSS before → 3 s after | heap used | waits / requests left |`);
  console.log(`|---|---|---|---|---|---|---|`);
  console.log(`| ${POSTS} (drop ${DROP_MS} ms, ${CONCURRENCY} at once) | ${(floodMs / 1000).toFixed(1)} s | ${cpu.toFixed(1)} s | ${Math.round(slowest)} ms | ${mib(rss0)} → ${mib(rss)} | ${mib(heap)} | ${await optional("discalc_rung_waits")} / ${await optional("discalc_rung_requests_waiting")} |`);
} finally {
  await c.stopAll();
}
