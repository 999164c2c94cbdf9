// The store conformance suite on SQLite files in temp folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import { storeConformance } from "./testing/store-conformance.ts";
import { makeFixture, T0, type StoreBackend } from "./testing/store-fixture.ts";

const sqlite: StoreBackend = {
  fresh: async () => ({ dir: mkdtempSync(join(tmpdir(), "discalc-store-")) }),
  drop: async (at) => {
    if ("dir" in at) rmSync(at.dir, { recursive: true, force: true });
  },
};

storeConformance("sqlite", sqlite);

// SQLite-specific: which table a join starts from is SQLite's choice, and after every result
// batch this one must not walk every trial of the sweep (thousands) to find its few kept states.
test("sqlite: a sweep's final states are read starting from the stored states, not from the sweep's trials", async (t) => {
  const f = await makeFixture(t, sqlite);
  const [a] = await f.sched.leaseTrials("r-1", 1);
  const bytes = new Uint8Array(8).fill(1);
  await f.store.putTrialState({ trialId: a!.trialId, attempt: 1, kind: "final", step: 1, sha256: createHash("sha256").update(bytes).digest("hex"), bytes, createdAt: T0 });
  const driver = (f.store as unknown as { d: { all(sql: string, params?: unknown[]): Promise<unknown[]>; db: Database.Database } }).d;
  const asked: string[] = [];
  const all = driver.all.bind(driver);
  driver.all = (sql, params) => (asked.push(sql), all(sql, params));
  assert.deepEqual((await f.store.finalStatesOfSweep(f.sweepId)).map((e) => e.trialId), [a!.trialId]);
  const plan = driver.db.prepare(`EXPLAIN QUERY PLAN ${asked.at(-1)!}`).all(f.sweepId) as Array<{ detail: string }>;
  assert.match(plan[0]!.detail, /^SCAN s\b/, JSON.stringify(plan));
  assert.ok(!plan.some((p) => /\bt USING .*INDEX/.test(p.detail)), `trials by their index: ${JSON.stringify(plan)}`);
});
