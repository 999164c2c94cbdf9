// `discalc best --data`: a store built with registerSweep and filled through the scheduler
// (leases, then results whose epochs carry the test accuracy), read back as the leaderboard.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../controller/store/store.ts";
import { Scheduler } from "../controller/scheduler/scheduler.ts";
import { registerSweep } from "../controller/sweeps/register-sweep.ts";
import { parseSweepConfig } from "../controller/sweeps/sweep-config.ts";
import type { TrialOutcome, TrialResult } from "../../protocol/messages.ts";
import { bestCommand, bestFromData } from "./best.ts";

/** 3 learning rates × 3 seeds = 9 trials. */
const SWEEP = {
  name: "best-xor",
  dataset: { name: "xor", train: 200, test: 50 },
  model: { hidden: [8], activation: "tanh" },
  train: { epochs: 2, batch: 16, lr: 0.1 },
  search: { method: "grid", repeats: 3, parameters: { "train.lr": [0.01, 0.1, 1] } },
  maxAttempts: 1,
};

/** Final validation accuracy per lr, one per seed (0, 1, 2); undefined: that trial fails. */
const ACCURACY: Record<string, Array<number | undefined>> = {
  "0.01": [0.6, 0.7, 0.8], // mean 0.7, std 0.1
  "0.1": [0.9, 0.95, undefined], // one seed fails: mean 0.925 over 2, std 0.0354
  "1": [0.75, 0.75, 0.75], // mean 0.75, std 0
};

const outcome = (finalAccuracy: number): TrialOutcome => ({
  reports: [
    { epoch: 1, trainLoss: 0.9, valLoss: 1.0, valAccuracy: finalAccuracy / 2, lr: 0.1 },
    { epoch: 2, trainLoss: 0.5, valLoss: 1 - finalAccuracy, valAccuracy: finalAccuracy, testLoss: 0.5, testAccuracy: 0.5, lr: 0.1 },
  ],
  // The test accuracy is the same for every trial: the ranking must not read it.
  metrics: { trainLoss: 0.5, valLoss: 1 - finalAccuracy, valAccuracy: finalAccuracy, testLoss: 0.5, testAccuracy: 0.5 },
  resultSha256: "ab".repeat(32), info: { paramCount: 42 }, runMs: 10,
});

/** A data directory holding one sweep whose trials all ended (8 done, 1 failed). */
async function dataDir(t: TestContext): Promise<{ dir: { dir: string }; sweepId: number }> {
  const dir = mkdtempSync(join(tmpdir(), "discalc-best-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open({ dir });
  try {
    const { sweepId } = await registerSweep(store, parseSweepConfig(SWEEP));
    const scheduler = new Scheduler(store, { datasets: {} });
    const leases = await scheduler.leaseTrials("r-test", 100);
    assert.equal(leases.length, 9);
    const results = leases.map((l): TrialResult => {
      const accuracy = ACCURACY[String((l.config.train as { lr: number }).lr)]![l.seed];
      return accuracy === undefined
        ? { trialId: l.trialId, attempt: l.attempt, status: "failed", workerId: "w-test", error: "boom", outcome: null, finishedAt: Date.now() }
        : { trialId: l.trialId, attempt: l.attempt, status: "done", workerId: "w-test", error: null, outcome: outcome(accuracy), finishedAt: Date.now() };
    });
    const ack = await scheduler.recordResults("r-test", { batchId: "b-1", results });
    assert.ok(ack.statuses.every((s) => s === "stored"), JSON.stringify(ack));
    assert.equal((await store.sweep(sweepId))!.state, "done");
    return { dir: { dir }, sweepId };
  } finally {
    await store.close();
  }
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≠ ${expected}`);

test("best --data: one row per point, mean ± std over its done seeds, best first", async (t) => {
  const { dir, sweepId } = await dataDir(t);
  const { sweep, board } = await bestFromData(dir, sweepId);
  const rows = board.rows;
  assert.deepEqual(board.metric, { name: "valAccuracy", goal: "maximize" }, "the built-in's default objective: validation, never the test set");
  assert.equal(sweep.name, "best-xor");
  assert.equal(sweep.total, 9);
  assert.deepEqual(rows.map((r) => r.params), [{ "train.lr": 0.1 }, { "train.lr": 1 }, { "train.lr": 0.01 }]);
  assert.deepEqual(rows.map((r) => r.seeds), [2, 3, 3], "the failed trial is left out");
  close(rows[0]!.mean, 0.925, "mean of lr 0.1");
  close(rows[0]!.std, Math.sqrt(((0.9 - 0.925) ** 2 + (0.95 - 0.925) ** 2) / 1), "std of lr 0.1 (sample)");
  close(rows[1]!.mean, 0.75, "mean of lr 1");
  close(rows[1]!.std, 0, "std of lr 1");
  close(rows[2]!.mean, 0.7, "mean of lr 0.01");
  close(rows[2]!.std, 0.1, "std of lr 0.01");
  for (const r of rows) assert.equal(r.trialIds.length, r.seeds);
});

test("best --data prints the table, --top cuts it, --json prints the rows", async (t) => {
  const { dir, sweepId } = await dataDir(t);
  const text = await bestCommand({ sweep: sweepId, data: dir, json: false });
  const lines = text.trimEnd().split("\n");
  assert.match(lines[0]!, /^sweep 1 "best-xor" \(done\): 8 of 9 trials done, 1 failed; 3 point\(s\) with results$/);
  const table = lines.slice(lines.indexOf("rank  valAccuracy (higher is better): mean ± std  seeds  params") + 1);
  assert.equal(table.length, 3);
  assert.match(table[0]!, /^\s+1\s+0\.925 ±\s+0\.0353553\s+2\s+train\.lr=0\.1$/);
  assert.match(table[1]!, /^\s+2\s+0\.75 ±\s+0\s+3\s+train\.lr=1$/);
  assert.match(table[2]!, /^\s+3\s+0\.7 ±\s+0\.1\s+3\s+train\.lr=0\.01$/);

  const top1 = await bestCommand({ sweep: sweepId, data: dir, json: false, top: 1 });
  assert.match(top1, /train\.lr=0\.1\n\(2 more; --top N shows more\)\n$/);
  assert.doesNotMatch(top1, /train\.lr=0\.01/);

  const json = JSON.parse(await bestCommand({ sweep: sweepId, data: dir, json: true })) as Array<Record<string, unknown>>;
  assert.equal(json.length, 3);
  assert.deepEqual(json.map((r) => r.params), [{ "train.lr": 0.1 }, { "train.lr": 1 }, { "train.lr": 0.01 }]);
  assert.deepEqual(Object.keys(json[0]!).sort(), ["mean", "params", "point", "seeds", "std", "trialIds"]);
  assert.equal((JSON.parse(await bestCommand({ sweep: sweepId, data: dir, json: true, top: 2 })) as unknown[]).length, 2);
});

test("best --data: an unknown sweep or a directory without a store is a clear error", async (t) => {
  const { dir } = await dataDir(t);
  await assert.rejects(bestCommand({ sweep: 7, data: dir, json: false }), /--sweep 7: no such sweep in .*\(sweeps: 1 "best-xor"\)/);
  const empty = mkdtempSync(join(tmpdir(), "discalc-best-empty-"));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  await assert.rejects(bestCommand({ sweep: 1, data: { dir: empty }, json: false }), /--data .* holds no discalc store/);
});
