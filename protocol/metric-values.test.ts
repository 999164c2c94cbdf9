// Metric values: what every result and report carries, checked quickly when good and in detail
// (with the reason) when not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricValues } from "./messages.ts";

test("good metric values pass as they are", () => {
  assert.deepEqual(MetricValues.parse({ loss: 0.5, "test/acc": 1, epoch: 3 }), { loss: 0.5, "test/acc": 1, epoch: 3 });
  assert.deepEqual(MetricValues.parse({}), {});
});

test("bad metric values are refused naming the key and the problem", () => {
  const problem = (v: unknown) => {
    const r = MetricValues.safeParse(v);
    return r.success ? "accepted" : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };
  assert.match(problem({ loss: Infinity }), /^loss: .*Infinity/);
  assert.match(problem({ loss: Number.NaN }), /^loss: .*NaN/);
  assert.match(problem({ loss: "0.5" }), /^loss: .*string/);
  assert.match(problem({ "bad name": 1 }), /^bad name: /);
  assert.match(problem(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]))), /at most 64 metrics/);
  assert.match(problem([1, 2]), /expected record, received array/);
  assert.match(problem(new Date(0)), /expected record/);
  assert.match(problem(new Map([["a", 1]])), /expected record/);
});

test("an own __proto__ key from JSON is dropped, as the record schema always did", () => {
  const parsed = MetricValues.parse(JSON.parse('{"__proto__": 1, "loss": 2}'));
  assert.deepEqual(Object.keys(parsed), ["loss"]);
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
});
