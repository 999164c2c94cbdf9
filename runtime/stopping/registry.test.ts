import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { decideRung, EarlyStoppingConfig, isDecisionStep, registerStoppingRule, stoppingRuleNames } from "./registry.ts";
import { quantile } from "./quantile.ts";
import { CONTINUE, ruleSchema, type StoppingRule } from "./stopping-rule.ts";
import { EarlyStopping } from "../../protocol/early-stopping.ts";
import type { RungInput } from "./stopping-rule.ts";

const asha = EarlyStoppingConfig.parse({ rule: "asha", min_epochs: 1, reduction: 3 });
const median = EarlyStoppingConfig.parse({ rule: "median", min_epochs: 2, min_trials: 3 });
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

test("the config names its problems; an unknown rule's error lists the registered ones", () => {
  const bad = EarlyStoppingConfig.safeParse({ rule: "ashaa" });
  assert.equal(bad.success, false);
  assert.equal(bad.error!.issues[0]!.message, 'must be one of the registered stopping rules: asha, median (got "ashaa"; did you mean asha?)');
  assert.deepEqual(bad.error!.issues[0]!.path, ["rule"]);
  const none = EarlyStoppingConfig.safeParse({ min_epochs: 2 });
  assert.match(none.error!.issues[0]!.message, /^must be one of the registered stopping rules: asha, median$/);
  assert.match(EarlyStoppingConfig.safeParse("asha").error!.issues[0]!.message, /^must be an object naming its rule \(one of asha, median/);
  const r = EarlyStoppingConfig.safeParse({ rule: "asha", reduction: 1, extra: 1 });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.map((i) => i.path.join(".")).sort(), ["", "reduction"]);
  assert.match(r.error!.issues.find((i) => i.path.length === 0)!.message, /extra/);
  assert.deepEqual(asha, { rule: "asha", min_epochs: 1, reduction: 3, max_wait_seconds: 300 }, "defaults filled");
  assert.deepEqual(Object.keys(median), ["rule", "min_epochs", "min_trials", "max_wait_seconds"], "the key order stored sweeps have");
});

test("the wire keeps a rule's keys as the controller signed them", () => {
  assert.deepEqual(EarlyStopping.parse(asha), asha);
  assert.equal(EarlyStopping.safeParse({ rule: "asha" }).success, false, "every lease carries max_wait_seconds");
});

test("a new rule is one file and one registration: its schema, its rungs and its decisions", () => {
  const everyOther: StoppingRule<z.output<ReturnType<typeof schema>>> = {
    name: "every-other",
    schema: schema(),
    decisionStep: (cfg, step) => step % cfg.every === 0,
    decide: (_cfg, input) => (input.own[input.step - 1]! < 0 ? { decision: "prune", reason: "negative" } : CONTINUE),
  };
  function schema() { return ruleSchema("every-other", { every: z.int().min(1).default(2) }); }
  registerStoppingRule(everyOther);
  assert.throws(() => registerStoppingRule(everyOther), /already registered/);
  assert.ok(stoppingRuleNames().includes("every-other"));
  const cfg = EarlyStoppingConfig.parse({ rule: "every-other" });
  assert.deepEqual(cfg, { rule: "every-other", every: 2, max_wait_seconds: 300 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].filter((s) => isDecisionStep(cfg, s, 6)), [2, 4]);
  assert.equal(decideRung(cfg, input([-1], [])).decision, "prune");
  assert.throws(() => isDecisionStep({ rule: "gone", max_wait_seconds: 1 }, 1, 5), /early_stopping\.rule must be one of the registered stopping rules/);
});
