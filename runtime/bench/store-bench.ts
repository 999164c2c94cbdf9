// The controller's store alone: the scheduler leasing no-op trials and recording their results
// in batches on a SQLite file, in this process, with the CPU each statement takes per trial.
// This is the store's share of a tiny trial's cost at the controller (the runtime benchmark
// measures the whole path). It runs bundled, as the controller does (cli-bundle.ts): through
// tsx the same code costs far more, and the figures would not be the controller's.
//
//   npx tsx runtime/bench/store-bench.ts [--trials 32000] [--batch 128]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { trials: { type: "string", default: "32000" }, batch: { type: "string", default: "128" } } });

if (!process.env.DISCALC_STORE_BENCH_BUNDLED) {
  const { build } = await import("esbuild");
  const { anchorImportMeta } = await import("../cli-bundle.ts");
  const out = fileURLToPath(new URL("../../build/bench/store-bench.mjs", import.meta.url));
  mkdirSync(join(out, ".."), { recursive: true });
  await build({
    entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: "node", format: "esm", target: "node20",
    packages: "external", plugins: [anchorImportMeta(join(out, ".."))], outfile: out, logLevel: "error",
  });
  const run = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, DISCALC_STORE_BENCH_BUNDLED: "1" } });
  process.exit(run.status ?? 1);
}

const { Store } = await import("../controller/store/store.ts");
const { Scheduler } = await import("../controller/scheduler/scheduler.ts");
const { registerSweep } = await import("../controller/sweeps/register-sweep.ts");
const { parseSweepConfig } = await import("../controller/sweeps/sweep-config.ts");
type Driver = { all(sql: string, params?: unknown[]): Promise<unknown[]>; run(sql: string, params?: unknown[]): Promise<number>; db: { exec(sql: string): void } };

const TRIALS = Math.ceil(Number(args.trials) / 32) * 32;
const BATCH = Number(args.batch);
const dir = mkdtempSync(join(tmpdir(), "discalc-store-bench-"));
const store = await Store.open({ dir });
await registerSweep(store, parseSweepConfig({
  name: "noop", dataset: { name: "xor", train: 1, test: 1 }, model: { hidden: [1] }, train: { epochs: 1, batch: 1, lr: 0.1 },
  search: { repeats: TRIALS / 32, parameters: { "train.lr": Array.from({ length: 32 }, (_, i) => 0.01 * (i + 1)) } },
}));
const scheduler = new Scheduler(store, { datasets: {} });

// Each statement's CPU, by its text with the placeholders left out (batches of different sizes are one statement).
const statements = new Map<string, { us: number; calls: number }>();
const timed = <T>(sql: string, fn: () => T): T => {
  const at = process.cpuUsage();
  const out = fn();
  const used = process.cpuUsage(at);
  const key = sql.replace(/\(\?[^)]*\)(, )?|CAST\(\? AS \w+\)(, )?|\?(, )?/g, "").replace(/\s+/g, " ").slice(0, 80);
  const s = statements.get(key) ?? { us: 0, calls: 0 };
  s.us += used.user + used.system;
  s.calls++;
  statements.set(key, s);
  return out;
};
// The driver is the store's own. SQLite's statements run synchronously in its execute(), so
// the CPU of that call is the statement's (all() and run() may first yield to the event loop).
const driver = (store as unknown as { d: Driver }).d;
const internals = driver as unknown as { execute(sql: string, params: readonly unknown[]): unknown };
const execute = internals.execute.bind(driver);
internals.execute = (sql, params) => timed(sql, () => execute(sql, params));
const exec = driver.db.exec.bind(driver.db);
driver.db.exec = (sql: string) => timed(sql, () => exec(sql));

const outcome = {
  reports: [{ epoch: 1, trainLoss: 0.69, testLoss: 0.69, testAccuracy: 0.5, lr: 0.01 }], metrics: { trainLoss: 0.69, testLoss: 0.69, testAccuracy: 0.5 },
  resultSha256: "ab".repeat(32), info: { paramCount: 9, trainMs: 0.01, gemmGflops: 0 }, runMs: 0.02,
};
let leaseUs = 0;
let resultUs = 0;
let done = 0;
while (done < TRIALS) {
  let at = process.cpuUsage();
  const leases = await scheduler.leaseTrials("relay-bench", BATCH);
  let used = process.cpuUsage(at);
  leaseUs += used.user + used.system;
  if (!leases.length) break;
  const results = leases.map((l) => ({ trialId: l.trialId, attempt: l.attempt, status: "done" as const, workerId: "worker-bench", error: null, outcome: structuredClone(outcome), finishedAt: Date.now() }));
  at = process.cpuUsage();
  await scheduler.recordResults("relay-bench", { batchId: `batch-${done}`, results });
  used = process.cpuUsage(at);
  resultUs += used.user + used.system;
  done += leases.length;
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const perTrial = (us: number) => (us / done).toFixed(1);
console.log(`store alone (SQLite, in-process, bundled): ${done} trials in batches of ${BATCH}: lease ${perTrial(leaseUs)} µs, result ${perTrial(resultUs)} µs of CPU per trial → ${Math.round(1e6 / ((leaseUs + resultUs) / done))} trials/s on one core`);
console.log("  CPU per trial by statement (µs, calls):");
for (const [sql, s] of [...statements].sort((a, b) => b[1].us - a[1].us).slice(0, 12)) console.log(`  ${perTrial(s.us).padStart(6)}  ${String(s.calls).padStart(5)}×  ${sql}`);
