// A data directory of the first release (schema 1: the MLP's metrics in fixed columns) opens
// with this one: its epochs become reports, its last epoch the final metrics and objective.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Store } from "./store.ts";
import { sweepView, sweepLeaderboard, trialView } from "../api/api-views.ts";
import { SCHEMA_VERSION } from "./migrate-store.ts";

test("a schema-1 store is migrated in place and reads as the API shows new ones", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-migrate-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = new Database(join(dir, "discalc.sqlite"));
  old.exec(readFileSync(new URL("./fixtures/schema-v1.sql", import.meta.url), "utf8"));
  old.exec(`
    INSERT INTO sweeps (id, name, config_hash, config, state, lease_ms, max_attempts, fanout, created_at) VALUES (1, 'old', 'h', '{"name":"old"}', 'done', 10000, 3, 8, 1);
    INSERT INTO trials (id, sweep_id, idx, point, repeat, params, seed, config, state, attempts) VALUES (1, 1, 0, 0, 0, '{"train.lr":0.1}', 0, '{}', 'done', 1);
    INSERT INTO attempts (trial_id, attempt, relay_id, worker_id, leased_at, ended_at, outcome) VALUES (1, 1, 'r', 'w', 1, 2, 'done');
    INSERT INTO results (trial_id, attempt, relay_id, worker_id, weights_sha, outcome, stored_at) VALUES (1, 1, 'r', 'w', '${"ab".repeat(32)}', '{"paramCount":42}', 3);
    INSERT INTO metrics VALUES (1, 1, 1, 0.9, 1.0, 0.5, 0.1, 5), (1, 1, 2, 0.5, 0.7, 0.75, 0.1, 5);
  `);
  old.close();

  const store = await Store.open({ dir });
  try {
    const db = new Database(join(dir, "discalc.sqlite"), { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    db.close();
    const view = await trialView(store, (await store.trial(1))!);
    assert.equal(view.resultSha256, "ab".repeat(32));
    assert.deepEqual(view.metrics, [
      { step: 1, epoch: 1, trainLoss: 0.9, testLoss: 1, testAccuracy: 0.5, lr: 0.1, wallMs: 5 },
      { step: 2, epoch: 2, trainLoss: 0.5, testLoss: 0.7, testAccuracy: 0.75, lr: 0.1, wallMs: 5 },
    ]);
    assert.deepEqual(view.final, { trainLoss: 0.5, testLoss: 0.7, testAccuracy: 0.75, lr: 0.1 });
    assert.equal(view.objective, 0.75);
    assert.deepEqual((await sweepView(store, (await store.sweep(1))!)).metric, { name: "testAccuracy", goal: "maximize" }, "a first-release sweep ranks by test accuracy");
    assert.deepEqual((await sweepLeaderboard(store, (await store.sweep(1))!)).rows.map((r) => [r.mean, r.seeds]), [[0.75, 1]]);
  } finally {
    await store.close();
  }
  // Opening it again is a no-op.
  const again = await Store.open({ dir });
  assert.equal((await again.reportsOf(1)).length, 2);
  await again.close();
});

test("a reader opens a current store while the controller holds the write lock (it writes nothing)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-migrate-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await (await Store.open({ dir })).close();
  // What a running controller's commit looks like to another connection: the write lock held.
  const writer = new Database(join(dir, "discalc.sqlite"));
  t.after(() => writer.close());
  writer.exec("BEGIN IMMEDIATE");
  const reader = await Store.open({ dir }, { serve: false });
  assert.deepEqual(await reader.sweeps(), []);
  await reader.close();
  writer.exec("ROLLBACK");
});

test("a store that cannot be opened leaves nothing running: the command ends with the reason", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-migrate-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const future = new Database(join(dir, "discalc.sqlite"));
  future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  future.close();
  // A bound only so that a regression fails here rather than hanging the suite: before, the
  // open driver's checkpoint thread kept `discalc best --data` alive after it printed its error.
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../../cli.ts", import.meta.url)), "best", "--sweep", "1", "--data", dir], {
    encoding: "utf8", timeout: 60_000,
  });
  assert.equal(r.signal, null, `still running after 60 s: ${r.stdout}${r.stderr}`);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /newer than this discalc's/);
});
