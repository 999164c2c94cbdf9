import { test } from "node:test";
import assert from "node:assert/strict";
import { decideRung } from "./stopping-rules.ts";
import { quantile } from "./quantile.ts";
import { EarlyStopping, isDecisionStep } from "../../protocol/early-stopping.ts";
import type { RungInput } from "./stopping-rule.ts";

const asha = EarlyStopping.parse({ rule: "asha", min_epochs: 1, reduction: 3 });
const median = EarlyStopping.parse({ rule: "median", min_epochs: 2, min_trials: 3 });
const input = (own: number[], earlier: number[], pendingEarlier = 0, goal: RungInput["goal"] = "maximize"): RungInput => ({
  metric: "acc", goal, step: own.length, own, earlier, pendingEarlier,
});

test("quantile interpolates as NumPy's default and keeps infinities", () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantile([3, 1, 2], 2 / 3) - 7 / 3) < 1e-12);
  assert.equal(quantile([1, -Infinity], 0.5), -Infinity);
  assert.equal(quantile([1, Infinity], 0.5), Infinity);
  assert.equal(quantile([Infinity, Infinity], 0.5), Infinity);
  assert.equal(quantile([5], 0.9), 5);
});

test("ASHA rungs are min·reduction^k, and never the trial's last report", () => {
  const rungs = [...Array(40).keys()].map((i) => i + 1).filter((s) => isDecisionStep(asha, s, 30));
  assert.deepEqual(rungs, [1, 3, 9, 27]);
  assert.deepEqual([...Array(30).keys()].map((i) => i + 1).filter((s) => isDecisionStep(asha, s, 9)), [1, 3]);
  const m = [...Array(6).keys()].map((i) => i + 1).filter((s) => isDecisionStep(median, s, 6));
  assert.deepEqual(m, [2, 3, 4, 5]);
});

test("ASHA keeps the top 1/reduction of the earlier trials' values at the rung", () => {
  // Earlier values 1..9: the cutoff is their 2/3 quantile, 6.33.
  const earlier = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.equal(decideRung(asha, input([6], earlier)).decision, "prune");
  assert.equal(decideRung(asha, input([6.4], earlier)).decision, "continue");
  assert.match(decideRung(asha, input([2], earlier)).reason!, /rung 1: acc 2 is outside the top 1\/3 of the 9 earlier trials' values there \(cutoff 6\.33333\)/);
  // Minimizing turns the order around.
  assert.equal(decideRung(asha, input([3.6], earlier, 0, "minimize")).decision, "continue");
  assert.equal(decideRung(asha, input([4], earlier, 0, "minimize")).decision, "prune");
  // The first trial has nothing to be compared with.
  assert.equal(decideRung(asha, input([0], [])).decision, "continue");
});

test("ASHA decides before every earlier trial has reported when no outcome can change it", () => {
  const earlier = [1, 2, 3, 4, 5, 6];
  // Two pending: filled with −∞ the cutoff is quantile([−∞,−∞,1..6], 2/3) = 3.67; with +∞, 5.67.
  assert.equal(decideRung(asha, input([3.5], earlier, 2)).decision, "prune");
  assert.equal(decideRung(asha, input([5], earlier, 2)).decision, "pending");
  assert.equal(decideRung(asha, input([5.7], earlier, 2)).decision, "continue");
  assert.equal(decideRung(asha, input([100], [1, 2, 3, 4, 5, 6, 7, 8], 1)).decision, "continue");
  assert.equal(decideRung(asha, input([0], [], 1)).decision, "pending");
});

test("a report without the metric goes on", () => {
  const r = decideRung(asha, { ...input([1], [5, 6, 7]), own: [undefined] });
  assert.equal(r.decision, "continue");
});

test("the median rule compares the best so far with the earlier trials' median at the step", () => {
  // Best so far 0.5 (step 1) against the median 0.6 of 0.4, 0.6, 0.7: pruned.
  const r = decideRung(median, input([0.5, 0.3], [0.4, 0.6, 0.7]));
  assert.equal(r.decision, "prune");
  assert.match(r.reason!, /step 2: best acc so far 0\.5 is worse than the median 0\.6 of the 3 earlier trials there/);
  assert.equal(decideRung(median, input([0.6, 0.3], [0.4, 0.6, 0.7])).decision, "continue");
  // Fewer than min_trials earlier trials can ever report: go on.
  assert.equal(decideRung(median, input([0, 0], [0.4, 0.6], 0)).decision, "continue");
  // Two reached, one pending: it might never report (too few) or report anything.
  assert.equal(decideRung(median, input([0, 0], [0.4, 0.6], 1)).decision, "pending");
  // Minimize: best is the lowest.
  assert.equal(decideRung(median, input([0.5, 0.9], [0.4, 0.6, 0.7], 0, "minimize")).decision, "continue");
  assert.equal(decideRung(median, input([0.65, 0.9], [0.4, 0.6, 0.7], 0, "minimize")).decision, "prune");
});

test("the config names its problems", () => {
  const bad = EarlyStopping.safeParse({ rule: "hyperband" });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /rule must be asha or median/);
  const r = EarlyStopping.safeParse({ rule: "asha", reduction: 1, extra: 1 });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.map((i) => i.path.join(".")).sort(), ["", "reduction"]);
});
