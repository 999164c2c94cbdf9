// The one ranking: by the sweep's metric and goal, mean ± sample std over a point's seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { leaderboard, formatLeaderboard } from "./leaderboard.ts";
import { objectiveOf } from "../scheduler/scheduler.ts";

const trials = [
  { id: 1, point: 0, params: { lr: 0.1 }, objective: 0.5 },
  { id: 2, point: 0, params: { lr: 0.1 }, objective: 0.7 },
  { id: 3, point: 1, params: { lr: 1 }, objective: 0.2 },
  { id: 4, point: 2, params: { lr: 10 }, objective: null },
  { id: 5, point: 3, params: { lr: 3 }, objective: 0.9 },
];

test("maximize puts the highest mean first; minimize the lowest; trials without the metric are left out", () => {
  const max = leaderboard(1, { name: "acc", goal: "maximize" }, trials);
  assert.deepEqual(max.rows.map((r) => r.point), [3, 0, 1]);
  assert.equal(max.rows[1]!.mean, 0.6);
  assert.ok(Math.abs(max.rows[1]!.std - Math.sqrt(0.02)) < 1e-12);
  assert.deepEqual(max.rows[1]!.trialIds, [1, 2]);
  const min = leaderboard(1, { name: "loss", goal: "minimize" }, trials);
  assert.deepEqual(min.rows.map((r) => r.point), [1, 0, 3]);
  assert.equal(formatLeaderboard(min), "rank  loss (lower is better): mean ± std  seeds  params\n   1  0.2 ±        0      1  lr=1\n   2  0.6 ± 0.141421      2  lr=0.1\n   3  0.9 ±        0      1  lr=3");
});

test("the objective comes from the final metrics, else from the last report that has it", () => {
  assert.equal(objectiveOf("a", { a: 1 }, [{ a: 2 }]), 1);
  assert.equal(objectiveOf("a", {}, [{ a: 2 }, { b: 3 }]), 2);
  assert.equal(objectiveOf("a", {}, [{ b: 3 }]), null);
});
