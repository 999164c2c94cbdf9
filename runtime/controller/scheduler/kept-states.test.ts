import { test } from "node:test";
import assert from "node:assert/strict";
import { finalStatesToDrop } from "./kept-states.ts";

const c = (trialId: number, objective: number | null) => ({ trialId, objective });

test("top K by objective, maximize: the others are dropped", () => {
  const drop = finalStatesToDrop([c(1, 0.5), c(2, 0.9), c(3, 0.7), c(4, 0.1)], { top: 2 }, "maximize");
  assert.deepEqual(drop.sort(), [1, 4]);
});

test("minimize keeps the lowest", () => {
  assert.deepEqual(finalStatesToDrop([c(1, 0.5), c(2, 0.9), c(3, 0.7)], { top: 1 }, "minimize").sort(), [2, 3]);
});

test("ties go to the earlier trial, whatever order the candidates come in", () => {
  assert.deepEqual(finalStatesToDrop([c(5, 1), c(3, 1), c(4, 1)], { top: 2 }, "maximize"), [5]);
  assert.deepEqual(finalStatesToDrop([c(3, 1), c(4, 1), c(5, 1)], { top: 2 }, "maximize"), [5]);
});

test("a trial without an objective ranks below every trial with one", () => {
  assert.deepEqual(finalStatesToDrop([c(1, null), c(2, -100)], { top: 1 }, "maximize"), [1]);
  assert.deepEqual(finalStatesToDrop([c(1, null), c(2, 1e9)], { top: 1 }, "minimize"), [1]);
});

test("keep all drops none; top 0 drops all", () => {
  assert.deepEqual(finalStatesToDrop([c(1, 1), c(2, 2)], { all: true }, "maximize"), []);
  assert.deepEqual(finalStatesToDrop([c(1, 1), c(2, 2)], { top: 0 }, "maximize").sort(), [1, 2]);
});

test("a worker's own judgement (mayBeKept) agrees with the ranking: better than the K-th, or tied and earlier", async () => {
  const { mayBeKept } = await import("../../experiments/objective-of.ts");
  const k = { metric: "acc", goal: "maximize" as const, than: 0.7, thanTrial: 5 };
  assert.equal(mayBeKept(k, 9, 0.71), true);
  assert.equal(mayBeKept(k, 9, 0.7), false, "a later trial's tie stays out");
  assert.equal(mayBeKept(k, 3, 0.7), true, "an earlier trial's tie (a retry) goes in");
  assert.equal(mayBeKept(k, 3, null), false);
  assert.equal(mayBeKept({ ...k, goal: "minimize" }, 9, 0.69), true);
  // The same as finalStatesToDrop with the K-th and the newcomer.
  assert.deepEqual(finalStatesToDrop([c(5, 0.7), c(3, 0.7)], { top: 1 }, "maximize"), [5]);
});
