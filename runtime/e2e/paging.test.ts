// Every list of the REST API is paged, and reports come only on request: a real controller on
// 127.0.0.1 with a 2,500-trial sweep, read page by page through the one API client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startController, type Controller } from "../controller/controller.ts";
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { ApiClient, ApiError } from "../../protocol/api-client.ts";
import type { TrialResult } from "../../protocol/messages.ts";

let controller: Controller;
let client: ApiClient;

before(async () => {
  controller = await startController({
    data: mkdtempSync(join(tmpdir(), "discalc-paging-")), token: "cluster-token", adminToken: "admin-token", port: 0, host: "127.0.0.1",
    config: await prepareSweep({
      name: "paging", dataset: { name: "xor", train: 20, test: 10 }, model: { hidden: [2] }, train: { epochs: 2, batch: 4, lr: 0.1 },
      search: { method: "grid", repeats: 5, parameters: { "train.lr": Array.from({ length: 500 }, (_, i) => (i + 1) / 1000) } },
    }, tmpdir()),
  });
  client = new ApiClient(controller.url);
  // 30 trials finish, with validation accuracy rising with their id, through the scheduler (as a relay's batch would).
  const s = controller.state.scheduler;
  const leases = await s.leaseTrials("r-test", 30);
  const results = leases.map((l, i): TrialResult => ({
    trialId: l.trialId, attempt: l.attempt, status: "done", workerId: "w-test", error: null, finishedAt: Date.now(),
    outcome: { resultSha256: "ab".repeat(32), metrics: { valAccuracy: i / 100 }, reports: [{ epoch: 1, valAccuracy: 0 }, { epoch: 2, valAccuracy: i / 100 }], info: {}, runMs: 1 },
  }));
  await s.recordResults("r-test", { batchId: "b", results });
});
after(() => controller.close());

test("trials come 100 a page by default, at most 1,000, in id order, until next is null", async () => {
  const first = await client.get("trials", { sweep: 1 });
  assert.equal(first.items.length, 100);
  assert.equal(first.next, "100");
  assert.equal(first.items[0]!.metrics, undefined, "no reports unless asked");
  const all = await client.getAll("trials", { sweep: 1 });
  assert.equal(all.length, 2500);
  assert.deepEqual(all.map((t) => t.id), Array.from({ length: 2500 }, (_, i) => i + 1), "every trial once, in order");
  const last = await client.get("trials", { sweep: 1, limit: 1000, cursor: 2000 });
  assert.equal(last.items.length, 500);
  assert.equal(last.next, null);
  await assert.rejects(client.get("trials", { limit: 1001 }), (err: unknown) => err instanceof ApiError && err.status === 400 && /query parameter 'limit' must be at most 1000/.test(err.message));
  await assert.rejects(client.get("trials", { cursor: "x" }), (err: unknown) => err instanceof ApiError && err.status === 400 && /query parameter 'cursor'/.test(err.message));
});

test("reports only on request: metrics=1 on a page, or one trial", async () => {
  const page = await client.get("trials", { sweep: 1, state: "done", metrics: 1, limit: 5 });
  assert.equal(page.items.length, 5);
  assert.ok(page.items.every((t) => t.metrics?.length === 2));
  const one = await client.get("trial", {}, { id: 3 });
  assert.deepEqual(one.metrics!.map((m) => m.step), [1, 2]);
  await assert.rejects(client.get("trial", {}, { id: 99_999 }), (err: unknown) => err instanceof ApiError && err.status === 404);
});

test("order=best lists the done trials by the sweep's metric, best first, paged", async () => {
  const best = await client.get("trials", { sweep: 1, order: "best", limit: 10 });
  assert.deepEqual(best.items.map((t) => t.objective), Array.from({ length: 10 }, (_, i) => (29 - i) / 100));
  const rest = await client.getAll("trials", { sweep: 1, order: "best" });
  assert.equal(rest.length, 30);
  await assert.rejects(client.get("trials", { order: "best" }), /order': best needs 'sweep'/);
  const board = await client.get("leaderboard", { limit: 4 }, { id: 1 });
  assert.equal(board.rows.length, 4);
  assert.equal(board.total, 6, "30 trials of 6 points (5 seeds each)");
  assert.equal(board.next, "4");
});

test("nodes, sweeps and commands are paged too; the controller comes first", async () => {
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${controller.url}/v1/join?threads=1&host=n${i}`, { method: "POST", headers: { authorization: "Bearer cluster-token" } });
    assert.equal(res.status, 200);
  }
  const first = await client.get("nodes", { limit: 2 });
  assert.equal(first.items[0]!.role, "controller");
  const all = await client.getAll("nodes");
  assert.equal(all.length, 6);
  assert.equal(new Set(all.map((n) => n.id)).size, 6, "no node twice across pages");
  assert.deepEqual((await client.getAll("sweeps")).map((s) => s.name), ["paging"]);
  for (const kind of ["pause", "resume", "pause"]) {
    await fetch(`${controller.url}/api/commands?kind=${kind}`, { method: "POST", headers: { authorization: "Bearer admin-token" } });
  }
  const page = await client.get("commands", { limit: 2 });
  assert.deepEqual(page.items.map((c) => c.kind), ["pause", "resume"]);
  assert.deepEqual((await client.get("commands", { cursor: page.next! })).items.map((c) => c.kind), ["pause"]);
});
