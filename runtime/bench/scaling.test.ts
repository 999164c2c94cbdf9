import { test } from "node:test";
import assert from "node:assert/strict";
import { threadSteps, scalingRow, formatScalingTable } from "./scaling.ts";

test("thread counts: powers of two below the cores, then all of them", () => {
  assert.deepEqual(threadSteps(1), [1]);
  assert.deepEqual(threadSteps(2), [1, 2]);
  assert.deepEqual(threadSteps(6), [1, 2, 4, 6]);
  assert.deepEqual(threadSteps(16), [1, 2, 4, 8, 16]);
});

test("speed-up against one thread, ideal from independent processes, efficiency their ratio", () => {
  const base = { seconds: 100, aloneMs: 1000 };
  const one = scalingRow({ threads: 1, seconds: 100, trials: 128, trainMs: 990, independentMs: 1000 }, base);
  assert.deepEqual([one.speedup, one.ideal, one.efficiency], [1, 1, 1]);
  // The 16-core figures: 7.7× measured, 10.5× from the hardware (each of 16 processes 16/10.5 slower).
  const sixteen = scalingRow({ threads: 16, seconds: 100 / 7.7, trials: 128, trainMs: 1500, independentMs: (16 * 1000) / 10.5 }, base);
  assert.ok(Math.abs(sixteen.speedup - 7.7) < 1e-9 && Math.abs(sixteen.ideal - 10.5) < 1e-9);
  assert.ok(Math.abs(sixteen.efficiency - 7.7 / 10.5) < 1e-9);
  assert.ok(Math.abs(sixteen.trialsPerSec - 128 / (100 / 7.7)) < 1e-9);
});

test("the table: a header and one aligned row per thread count", () => {
  const base = { seconds: 20, aloneMs: 1000 };
  const text = formatScalingTable([
    scalingRow({ threads: 1, seconds: 20, trials: 16, trainMs: 1000, independentMs: 1000 }, base),
    scalingRow({ threads: 2, seconds: 10.5, trials: 16, trainMs: 1020, independentMs: 1040 }, base),
  ]);
  const lines = text.split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /threads +sweep s +trials\/s +speed-up +ideal +efficiency/);
  assert.match(lines[2]!, /^ +2 +10\.50 +1\.52 +1\.90× +1\.92× +99%/);
  assert.equal(new Set(lines.map((l) => l.length)).size, 1, "aligned");
});
