// Dashboard cost benchmark: does an open dashboard slow the fleet? A controller holds a
// 100,000-trial sweep (20,000 of them done, each with 10 reports, stored through the relay
// routes); a relay heartbeats every 100 ms while (a) nobody watches, (b) the dashboard refreshes
// every 2 s as dashboard.js does (pages only), and (c) a client reads every trial with its
// reports every 2 s (what the first release's dashboard did). Heartbeat latency side by side.
//
//   npm run bench:dashboard [-- --seconds 20] [-- --trials 100000] [-- --done 20000]
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { Cluster } from "../e2e/cluster.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" }, trials: { type: "string", default: "100000" }, done: { type: "string", default: "20000" },
    out: { type: "string", default: "build/bench/dashboard.json" },
  },
});
const seconds = Number(args.seconds), trials = Number(args.trials), doneCount = Number(args.done);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function main() {
  const c = new Cluster();
  try {
    const points = 100;
    await c.startController(c.writeConfig("dash", {
      name: "dash", dataset: { name: "xor", train: 10, test: 10 }, model: { hidden: [2] }, train: { epochs: 10, batch: 4, lr: 0.1 },
      search: { method: "grid", repeats: trials / points, parameters: { "train.lr": Array.from({ length: points }, (_, i) => (i + 1) / 1000) } },
      leaseSeconds: 3600,
    }));
    // A hand-driven relay: leases trials and reports results for them, as a relay daemon does.
    const joined = await fetch(`${c.url}/v1/join?threads=1&role=relay`, { method: "POST", headers: { authorization: `Bearer ${c.relayToken}` } });
    const cookie = joined.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
    const post = (path: string, body: unknown) => fetch(`${c.url}${path}`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
    const t0 = performance.now();
    for (let filled = 0; filled < doneCount;) {
      const leases = await (await fetch(`${c.url}/v1/leases?n=1000`, { headers: { cookie } })).json() as { trials: Array<{ trialId: number; attempt: number }> };
      const results = leases.trials.slice(0, doneCount - filled).map((l, i) => ({
        trialId: l.trialId, attempt: l.attempt, status: "done", workerId: "w-000000000000", finishedAt: Date.now(),
        outcome: {
          resultSha256: "ab".repeat(32), metrics: { testAccuracy: ((filled + i) % 997) / 997 }, info: {}, runMs: 1,
          reports: Array.from({ length: 10 }, (_, e) => ({ epoch: e + 1, trainLoss: 1 / (e + 1), testAccuracy: e / 10 })),
        },
      }));
      await post("/v1/results", { batchId: `fill-${filled}`, results });
      filled += results.length;
    }
    console.log(`filled: ${trials} trials, ${doneCount} done with 10 reports each, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const stats = { relayId: "x", url: "", queued: 0, running: 0, bufferedResults: 0, workers: [], trialsPerMinute: 0, resultsUploaded: 0, bytesBeforeCompression: 0, bytesAfterCompression: 0 };
    const heartbeats = async (until: number) => {
      const ms: number[] = [];
      while (Date.now() < until) {
        const t = performance.now();
        await post("/v1/heartbeat?port=1", { stats, held: [] });
        ms.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
      return ms;
    };
    const get = (path: string) => fetch(`${c.url}${path}`).then((r) => r.arrayBuffer()).then((b) => b.byteLength);
    const dashboard = [
      "/api/sweeps?limit=1000", "/api/nodes?limit=1000", "/api/trials?sweep=1&state=leased&metrics=1&limit=40",
      "/api/trials?sweep=1&order=best&metrics=1&limit=40", "/api/trials?sweep=1&order=best&limit=1000", "/api/sweeps/1/leaderboard?limit=100",
    ];
    const everything = async () => {
      let bytes = 0;
      for (let cursor: string | null = "0"; cursor !== null;) {
        const page = await (await fetch(`${c.url}/api/trials?sweep=1&metrics=1&limit=1000&cursor=${cursor}`)).json() as { items: unknown[]; next: string | null };
        bytes += JSON.stringify(page.items).length;
        cursor = page.next;
      }
      return bytes;
    };
    const watch = async (refresh: () => Promise<number>, until: number) => {
      const ms: number[] = [];
      let bytes = 0;
      while (Date.now() < until) {
        const t = performance.now();
        bytes = await refresh();
        ms.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (performance.now() - t))));
      }
      return { ms, bytes };
    };
    const rows = [];
    for (const [label, viewer] of [
      ["nobody watching", null],
      ["dashboard open (pages)", async () => (await Promise.all(dashboard.map(get))).reduce((a, b) => a + b, 0)],
      ["every trial with reports (first release)", everything],
      ["nobody watching (again)", null],
    ] as const) {
      const until = Date.now() + seconds * 1000;
      const [beats, view] = await Promise.all([heartbeats(until), viewer ? watch(viewer, until) : Promise.resolve(null)]);
      const row = {
        label, heartbeats: beats.length, p50: quantile(beats, 0.5), p99: quantile(beats, 0.99), max: Math.max(...beats),
        refreshMs: view ? quantile(view.ms, 0.5) : null, refreshBytes: view?.bytes ?? null,
      };
      rows.push(row);
      console.log(`${label.padEnd(42)} heartbeat p50 ${row.p50.toFixed(1).padStart(6)} ms  p99 ${row.p99.toFixed(1).padStart(7)} ms  max ${row.max.toFixed(0).padStart(5)} ms` +
        (view ? `   refresh ${row.refreshMs!.toFixed(0).padStart(5)} ms, ${(row.refreshBytes! / 1024).toFixed(0)} KiB` : ""));
    }
    // Where the dashboard's time goes: each of its requests alone, median of 5.
    const perRequest: Record<string, number> = {};
    for (const path of dashboard) {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await get(path);
        ms.push(performance.now() - t);
      }
      perRequest[path] = quantile(ms, 0.5);
      console.log(`  ${path.padEnd(56)} ${perRequest[path]!.toFixed(1).padStart(6)} ms`);
    }
    mkdirSync("build/bench", { recursive: true });
    writeFileSync(args.out!, JSON.stringify({ date: new Date().toISOString(), node: process.version, trials, done: doneCount, seconds, rows, perRequest }, null, 2));
    console.log(`\nfigures written to ${args.out}`);
  } finally {
    await c.stopAll();
  }
}

console.log(`discalc dashboard benchmark — one controller on 127.0.0.1, ${trials} trials, ${seconds} s per case\n`);
await main();
