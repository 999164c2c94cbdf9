// Runtime benchmark: trials per second through controller → relay → agent for trials that
// do almost no work (the per-trial overhead of the whole path), and the wall time of one
// compute-bound sweep on 1 and on 2 worker threads. Real processes on 127.0.0.1.
//
//   npm run bench:runtime [-- --trials N] [-- --out FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { Cluster, waitFor } from "../e2e/cluster.ts";

const { values: args } = parseArgs({
  options: { trials: { type: "string", default: "4000" }, out: { type: "string", default: "build/bench/runtime.json" } },
});
const TRIALS = Math.ceil(Number(args.trials) / 4) * 4;

/** Runs one sweep on a fresh controller + relay + one agent; returns seconds from first lease to done. */
async function timeSweep(config: object, threads: number, total: number): Promise<{ seconds: number; trials: number; trainMs: number }> {
  const c = new Cluster();
  try {
    await c.startController(c.writeConfig("bench", config));
    c.startRelay();
    await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "relay", () => c.dump());
    // Hold the sweep until the agent is up, so start-up time is not counted.
    await c.admin("/api/commands?kind=pause&sweep=1");
    c.startAgent(threads);
    await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "worker"), 30_000, "agent", () => c.dump());
    await new Promise((r) => setTimeout(r, 1500)); // threads spawned and polling
    await c.admin("/api/commands?kind=resume&sweep=1");
    const done = await waitFor(async () => {
      const s = await c.client.get("sweep", {}, { id: 1 });
      return s.state === "done" ? s : undefined;
    }, 600_000, "the sweep", () => c.dump());
    if (done.counts.done !== total) throw new Error(`expected ${total} done, got ${JSON.stringify(done.counts)}`);
    // From the first lease to the last stored result, on the controller's clock: the time
    // a resume command takes to reach the relay (one heartbeat) is not the sweep's.
    const trials = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
    const first = Math.min(...trials.flatMap((t) => t.attemptLog.map((a) => a.leasedAt)));
    const last = Math.max(...trials.flatMap((t) => t.attemptLog.map((a) => a.endedAt ?? 0)));
    const seconds = (last - first) / 1000;
    const trainMs = trials.reduce((sum, t) => sum + Number((t.result as { info: { trainMs: number } }).info.trainMs), 0) / trials.length;
    return { seconds, trials: total, trainMs };
  } finally {
    await c.stopAll();
  }
}

const noop = {
  name: "noop",
  dataset: { name: "xor", train: 1, test: 1 },
  model: { hidden: [1] },
  train: { epochs: 1, batch: 1, lr: 0.1 },
  search: { repeats: Math.ceil(TRIALS / 4), parameters: { "train.lr": [0.1, 0.2, 0.3, 0.4] } },
};
// About 0.2 s of training per trial on one thread.
const compute = {
  name: "compute",
  dataset: { name: "moons", train: 2000, test: 200, noise: 0.1 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 50, batch: 8, optimizer: "adam", lr: 0.01 },
  search: { repeats: 24, parameters: { "train.lr": [0.003, 0.01] } },
};

console.log(`discalc runtime benchmark — controller → relay → agent on 127.0.0.1, Node ${process.version}\n`);
const tiny = await timeSweep(noop, 2, TRIALS);
const rate = tiny.trials / tiny.seconds;
const overheadMs = (tiny.seconds * 1000 * 2) / tiny.trials;
console.log(`no-op trials: ${tiny.trials} in ${tiny.seconds.toFixed(2)} s → ${rate.toFixed(0)} trials/s end to end (1 relay, 1 agent × 2 threads)`);
console.log(`  per-trial overhead: ${overheadMs.toFixed(2)} ms of a worker thread's time (lease, hand-out, instantiate, report, store)`);
console.log(`  reference, not measured here: Ray's microbenchmark reports ≈ 8,000 tasks/s for one client\n`);

const one = await timeSweep(compute, 1, 48);
const two = await timeSweep(compute, 2, 48);
const speedup = one.seconds / two.seconds;
console.log(`compute-bound sweep (48 trials, ~0.2 s each):`);
console.log(`  1 worker thread  ${one.seconds.toFixed(2)} s   (mean training time per trial ${one.trainMs.toFixed(0)} ms)`);
console.log(`  2 worker threads ${two.seconds.toFixed(2)} s   (mean training time per trial ${two.trainMs.toFixed(0)} ms) → ${speedup.toFixed(2)}× (2 cores)`);

const report = { date: new Date().toISOString(), node: process.version, noop: { ...tiny, trialsPerSec: rate, overheadMs }, compute: { oneThread: one.seconds, twoThreads: two.seconds, speedup } };
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify(report, null, 2));
console.log(`\nfigures written to ${args.out}`);
