// Runtime benchmark: trials per second through controller → relay → agent for trials that
// do almost no work (the per-trial overhead of the whole path), and strong scaling: one
// compute-bound sweep on 1, 2, 4 … N worker threads (N = the machine's cores), each beside
// the ideal, which is what N independent `discalc train` processes running the same trial
// at once get from the hardware. Real processes on 127.0.0.1.
//
// Then the store's size after a sweep with checkpoints and kept final states, beside without.
//
//   npm run bench:runtime [-- --trials N] [-- --threads 1,2,4] [-- --epochs E] [-- --rounds R] [-- --out FILE]
//                         [-- --state-trials 1000] [-- --state-params 16384] [-- --only states]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cluster, waitFor } from "../e2e/cluster.ts";
import { threadSteps, scalingRow, formatScalingTable, type ScalingRow } from "./scaling.ts";
import { processCpuSeconds } from "./process-cpu.ts";

const { values: args } = parseArgs({
  options: {
    trials: { type: "string", default: "16000" },
    threads: { type: "string" },
    epochs: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    out: { type: "string", default: "build/bench/runtime.json" },
    "state-trials": { type: "string", default: "1000" },
    "state-params": { type: "string", default: "16384" },
    /** `states`: only the store-size part. */
    only: { type: "string" },
  },
});
// The no-op sweep is 64 learning rates × repeats (at most 1,000 repeats a point).
const TRIALS = Math.min(64_000, Math.ceil(Number(args.trials) / 64) * 64);
/** The steady-state run: four times as many trials, where warm-up (JIT, rate windows) weighs less. */
const STEADY_TRIALS = Math.min(64_000, 4 * TRIALS);
const CORES = availableParallelism();
const STEPS = args.threads ? args.threads.split(",").map(Number) : threadSteps(CORES);
const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));

interface SweepTiming {
  seconds: number;
  trials: number;
  trainMs: number;
  /** CPU µs per trial of each process (controller, relay, agent) from resume to the end, where /proc says. */
  cpuUsPerTrial: Record<string, number>;
}

/**
 * Runs one sweep on a fresh controller + one agent, under a relay daemon or (relay: false) the
 * controller's own root relay as `discalc run` does; returns seconds from first lease to done.
 */
async function timeSweep(config: object, threads: number, total: number, opts: { relay: boolean } = { relay: true }): Promise<SweepTiming> {
  const c = new Cluster();
  try {
    await c.startController(c.writeConfig("bench", config));
    if (opts.relay) {
      c.startRelay();
      await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "relay", () => c.dump());
    }
    // Hold the sweep until the agent is up, so start-up time is not counted.
    await c.admin("/api/commands?kind=pause&sweep=1");
    c.startAgent(threads);
    await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "worker"), 30_000, "agent", () => c.dump());
    await new Promise((r) => setTimeout(r, 1500)); // threads spawned and polling
    const cpuAt = () => new Map(c.procs.map((p) => [p.name, processCpuSeconds(p.child.pid!)]));
    const cpuBefore = cpuAt();
    await c.admin("/api/commands?kind=resume&sweep=1");
    const done = await waitFor(async () => {
      const s = await c.client.get("sweep", {}, { id: 1 });
      return s.state === "done" ? s : undefined;
    }, 1_800_000, "the sweep", () => c.dump());
    const cpuAfter = cpuAt();
    if (done.counts.done !== total) throw new Error(`expected ${total} done, got ${JSON.stringify(done.counts)}`);
    // From the first lease to the last stored result, on the controller's clock: the time
    // a resume command takes to reach the relay (one heartbeat) is not the sweep's.
    const trials = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
    const first = Math.min(...trials.flatMap((t) => t.attemptLog.map((a) => a.leasedAt)));
    const last = Math.max(...trials.flatMap((t) => t.attemptLog.map((a) => a.endedAt ?? 0)));
    const seconds = (last - first) / 1000;
    const trainMs = trials.reduce((sum, t) => sum + Number((t.result as { info: { trainMs: number } }).info.trainMs), 0) / trials.length;
    const cpuUsPerTrial: Record<string, number> = {};
    for (const [name, before] of cpuBefore) {
      const after = cpuAfter.get(name);
      if (before !== undefined && after !== undefined) cpuUsPerTrial[name] = ((after - before) / total) * 1e6;
    }
    return { seconds, trials: total, trainMs, cpuUsPerTrial };
  } finally {
    await c.stopAll();
  }
}

/** "controller 120, relay 139, agent 213 (total 472) µs of CPU per trial". */
function formatCpu(cpu: Record<string, number>): string {
  const parts = Object.entries(cpu).map(([name, us]) => `${name} ${us.toFixed(0)}`);
  if (!parts.length) return "per-process CPU not available here (no /proc)";
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  return `CPU per trial, µs: ${parts.join(", ")} (total ${total.toFixed(0)}, on ${CORES} cores)`;
}

/**
 * `k` independent `discalc train` processes, started together, each running the sweep's first
 * trial: the mean time one trial took (its runMs, start-up excluded) while the others ran. The
 * fastest of `rounds` such rounds: on a shared machine, another job only ever slows a round down.
 */
async function independentTrialMs(configPath: string, k: number, rounds: number): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, await independentRound(configPath, k));
  return best;
}

async function independentRound(configPath: string, k: number): Promise<number> {
  const runs = Array.from({ length: k }, () => new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "train", configPath, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.includes('"type":"result"'));
      if (code !== 0 || !line) return reject(new Error(`discalc train exited ${code}: ${err.slice(-2000)}`));
      resolve((JSON.parse(line) as { runMs: number }).runMs);
    });
  }));
  const ms = await Promise.all(runs);
  return ms.reduce((a, b) => a + b, 0) / ms.length;
}

/** `total` trials of the built-in on one xor sample: next to no work, so the runtime's own cost per trial shows. */
const noop = (total: number) => ({
  name: "noop",
  dataset: { name: "xor", train: 1, test: 1 },
  model: { hidden: [1] },
  train: { epochs: 1, batch: 1, lr: 0.1 },
  search: { repeats: total / 64, parameters: { "train.lr": Array.from({ length: 64 }, (_, i) => 0.01 * (i + 1)) } },
});
// About a second of training per trial on one thread (300 epochs); 8 trials per core, so the
// sweep's end (the tail) weighs as it does in a real sweep.
const SCALE_TRIALS = 8 * Math.max(...STEPS);
const compute = {
  name: "compute",
  // No validation split: every epoch trains on all 2,000 rows and measures the test set, the work
  // this benchmark has always timed (so figures stay comparable across versions).
  dataset: { name: "moons", train: 2000, test: 200, noise: 0.1, validation: 0 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: Number(args.epochs), batch: 8, optimizer: "adam", lr: 0.01 },
  search: { repeats: SCALE_TRIALS / 2, parameters: { "train.lr": [0.003, 0.01] } },
};

console.log(`discalc runtime benchmark — controller → relay → agent on 127.0.0.1, Node ${process.version}, ${CORES} cores\n`);
const { printStateStoreSize } = await import("./state-store.ts");
if (args.only === "states") {
  await printStateStoreSize({ trials: Number(args["state-trials"]), params: Number(args["state-params"]), threads: Math.min(2, CORES) });
  process.exit(0);
}
await (await import("./startup.ts")).printStartup({ milestones: false }); // `discalc run` to its first lease (runtime/bench/startup.ts)
const tiny = await timeSweep(noop(TRIALS), 2, TRIALS);
const rate = tiny.trials / tiny.seconds;
const overheadMs = (tiny.seconds * 1000 * 2) / tiny.trials;
console.log(`no-op trials: ${tiny.trials} in ${tiny.seconds.toFixed(2)} s → ${rate.toFixed(0)} trials/s end to end (1 relay, 1 agent × 2 threads)`);
console.log(`  ${formatCpu(tiny.cpuUsPerTrial)}`);
console.log(`  per-trial overhead: ${overheadMs.toFixed(2)} ms of a worker thread's time (lease, hand-out, run, report, store)`);
const direct = await timeSweep(noop(TRIALS), 2, TRIALS, { relay: false });
const directRate = direct.trials / direct.seconds;
console.log(`no-op trials on the controller's root relay (as \`discalc run\`): ${direct.trials} in ${direct.seconds.toFixed(2)} s → ${directRate.toFixed(0)} trials/s (1 agent × 2 threads)`);
console.log(`  ${formatCpu(direct.cpuUsPerTrial)}`);
const steady = await timeSweep(noop(STEADY_TRIALS), 2, STEADY_TRIALS, { relay: false });
const steadyRate = steady.trials / steady.seconds;
console.log(`  the same, ${steady.trials} trials (warm-up weighs less): ${steady.seconds.toFixed(2)} s → ${steadyRate.toFixed(0)} trials/s`);
console.log(`  ${formatCpu(steady.cpuUsPerTrial)}`);
console.log(`  reference, not measured here: Ray's microbenchmark reports ≈ 8,000 tasks/s for one client\n`);

const configPath = join(mkdtempSync(join(tmpdir(), "discalc-bench-")), "compute.json");
writeFileSync(configPath, JSON.stringify(compute));
const rows: ScalingRow[] = [];
let base: { seconds: number; aloneMs: number } | undefined;
for (const threads of STEPS) {
  const sweep = await timeSweep(compute, threads, SCALE_TRIALS);
  const trialMs = await independentTrialMs(configPath, threads, Number(args.rounds));
  base ??= { seconds: sweep.seconds, aloneMs: trialMs };
  rows.push(scalingRow({ threads, seconds: sweep.seconds, trials: SCALE_TRIALS, trainMs: sweep.trainMs, independentMs: trialMs }, base));
  console.error(`  ${threads} thread(s): sweep ${sweep.seconds.toFixed(2)} s, independent trial ${trialMs.toFixed(0)} ms`);
}
console.log(`strong scaling: ${SCALE_TRIALS} trials of ~${(base!.aloneMs / 1000).toFixed(1)} s (moons, MLP 32-32, ${compute.train.epochs} epochs), 1 agent under 1 relay`);
console.log(formatScalingTable(rows));
console.log(`  ideal: k independent \`discalc train\` processes of the same trial at once, k × (its time alone) / (its mean time among k), best of ${args.rounds} rounds`);

console.log("");
const states = await printStateStoreSize({ trials: Number(args["state-trials"]), params: Number(args["state-params"]), threads: Math.min(2, CORES) });

const report = {
  date: new Date().toISOString(), node: process.version, cores: CORES,
  noop: { ...tiny, trialsPerSec: rate, overheadMs }, noopRootRelay: { ...direct, trialsPerSec: directRate },
  noopRootRelaySteady: { ...steady, trialsPerSec: steadyRate }, scaling: rows, stateStore: states,
};
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify(report, null, 2));
console.log(`\nfigures written to ${args.out}`);
