// End to end, the grokking example (examples/grokking, a one-layer transformer written with
// ctx.nn): at a small size it groks within a minute (train accuracy 100% early, test accuracy
// much later); its sweep runs on a fleet through a relay daemon, and every trial's hash is
// reproduced alone (as `discalc train` runs it) and by a second network.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { Cluster } from "./cluster.ts";
import { sweepOnFleet } from "./verify.ts";
import { reproducer } from "./reproduce.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const EXPERIMENT = fileURLToPath(new URL("../../examples/grokking", import.meta.url));

test("grokking at a small size: train accuracy reaches 100% long before test accuracy does, then test accuracy jumps", { timeout: 300_000 }, async () => {
  const config = {
    name: "grok-small", experiment: EXPERIMENT, metric: { name: "testAccuracy", goal: "maximize" },
    p: 23, dModel: 32, heads: 4, dMlp: 128, trainFraction: 0.7, steps: 4000, lr: 0.002, weightDecay: 2.0, evalEvery: 250, seed: 0,
  };
  const out = await (await reproducer(config, tmpdir())).run(0);
  const reports = out.reports as Array<Record<string, number>>;
  const firstAt = (key: string, at: number) => reports.find((r) => r[key]! >= at)?.step;
  const memorised = firstAt("trainAccuracy", 1), generalised = firstAt("testAccuracy", 0.95);
  const shown = reports.map((r) => `${r.step}: ${r.trainAccuracy!.toFixed(2)}/${r.testAccuracy!.toFixed(2)}`).join(", ");
  assert.ok(memorised !== undefined && memorised <= 1000, `train accuracy 100% by step 1000 (${shown})`);
  assert.ok(generalised !== undefined, `test accuracy reaches 95% (${shown})`);
  assert.ok(generalised >= memorised + 1500, `test accuracy comes long after train accuracy (${shown})`);
  assert.ok(reports.find((r) => r.step === memorised)!.testAccuracy! < 0.6, `test accuracy low when the training set is memorised (${shown})`);
});

const SWEEP = {
  name: "e2e-grokking", experiment: EXPERIMENT, metric: { name: "testAccuracy", goal: "maximize" },
  p: 11, dModel: 16, heads: 2, dMlp: 32, steps: 60, lr: 0.003, evalEvery: 20, seed: 1,
  search: { method: "grid", repeats: 2, parameters: { weightDecay: [0.5, 2.0], trainFraction: [0.5] } },
};

test("the grokking sweep on a fleet through a relay daemon: every hash reproduced alone and by a second network", { timeout: 240_000 }, async () => {
  const trials = await sweepOnFleet(clusters, SWEEP, { threads: 2, viaRelay: true, timeoutMs: 150_000 });
  assert.equal(trials.length, 4);
  const alone = await reproducer(SWEEP, tmpdir());
  for (const t of trials) {
    assert.equal(t.state, "done", `trial ${t.id}: ${t.error}`);
    assert.deepEqual(t.metrics!.map((m) => m.step), [20, 40, 60], `trial ${t.id}: a report every evalEvery steps, at its own step`);
    assert.ok(t.metrics!.every((m) => ["trainLoss", "trainAccuracy", "testLoss", "testAccuracy"].every((k) => typeof m[k] === "number")));
    assert.equal(t.resultSha256, (await alone.run(t.index)).resultSha256, `trial ${t.id} reproduces alone`);
  }
  assert.equal(new Set(trials.map((t) => t.resultSha256)).size, 4, "each point and seed has its own weights");
  const second = await sweepOnFleet(clusters, SWEEP, { threads: 1, viaRelay: false, timeoutMs: 150_000 });
  for (const t of trials) assert.equal(second.find((u) => u.index === t.index)!.resultSha256, t.resultSha256, `trial ${t.index} on a second network`);
});

test("the grokking example checkpoints its model and optimiser as named arrays; stopped and resumed from one, it ends with the uninterrupted hash", { timeout: 120_000 }, async () => {
  const { decodeCheckpoint } = await import("../experiments/checkpoint-envelope.ts");
  const { decodeNpz } = await import("../experiments/npz.ts");
  const config = { ...SWEEP, name: "grok-resume", search: undefined, weightDecay: 1.0, trainFraction: 0.5 };
  const r = await reproducer(config, tmpdir());
  const whole = await r.run(0, { keepState: true });
  assert.ok(Object.keys(decodeNpz(whole.state!)).includes("attention.in_proj_weight"), "kept as .npz by PyTorch's names");
  const taken: Uint8Array[] = [];
  let reported = 0;
  await r.run(0, { checkpointEvery: 20, onCheckpoint: (bytes) => taken.push(bytes), onReport: (step) => void (reported = step), shouldStop: () => reported >= 2 });
  const at = decodeCheckpoint(taken.at(-1)!);
  assert.deepEqual([at.step, at.format, at.reports.length], [40, "npz", 2]);
  const resumed = await r.run(0, { checkpointEvery: 20, restore: at });
  assert.equal(resumed.resultSha256, whole.resultSha256, "the uninterrupted run's weights");
  assert.deepEqual(resumed.reports, whole.reports, "every evaluation once, the same numbers");
});
