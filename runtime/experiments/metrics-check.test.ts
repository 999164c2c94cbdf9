import { test } from "node:test";
import assert from "node:assert/strict";
import { checkMetrics } from "./metrics-check.ts";

test("checkMetrics keeps named finite numbers and names what it refuses, every time", () => {
  assert.deepEqual(checkMetrics({ loss: 0.5, "val/acc": 1 }, "report 1"), { loss: 0.5, "val/acc": 1 });
  // A name seen before is still checked for its value.
  assert.throws(() => checkMetrics({ loss: Number.NaN }, "report 2"), /report 2: metric "loss" must be a finite number, got NaN/);
  assert.throws(() => checkMetrics({ loss: "1" }, "report 2"), /metric "loss" must be a finite number, got 1/);
  assert.throws(() => checkMetrics({ "bad name": 1 }, "the final metrics"), /the final metrics: metric name "bad name" must match/);
  // Refused names are not remembered as good.
  assert.throws(() => checkMetrics({ "bad name": 1 }, "info"), /info: metric name "bad name"/);
  assert.throws(() => checkMetrics([1], "info"), /info must be an object of named numbers, got an array/);
  assert.throws(() => checkMetrics(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i])), "report 3"), /report 3 has 65 metrics, at most 64/);
  // A name no object can hold is refused, not dropped.
  assert.throws(() => checkMetrics(JSON.parse('{"__proto__": 1, "loss": 2}'), "report 4"), /report 4: metric name "__proto__" is reserved/);
  // Only own enumerable keys, as before.
  assert.deepEqual(checkMetrics(Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true } }), "info"), { own: 2 });
});
