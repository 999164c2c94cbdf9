// End to end, model-based search: a tpe sweep proposes its points as results come in, the
// same points in the same order on 1 thread and on 4 (each batch depends only on the results
// of the batches before it), and a controller restarted mid-sweep goes on exactly.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cluster, type ApiTrial } from "./cluster.ts";
import { sweepAcrossRestart } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/curves", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const SWEEP = {
  name: "e2e-tpe",
  experiment: EXPERIMENT,
  metric: { name: "score", goal: "maximize" },
  epochs: 2,
  workMs: 5,
  seed: 1,
  search: { method: "tpe", samples: 18, batch: 3, seed: 7, parameters: { x: { uniform: [0, 1] }, epochs: [1, 2, 3] } },
};

const proposals = (trials: ApiTrial[]) => trials.map((t) => ({ index: t.index, point: t.point, params: t.params, sha: t.resultSha256 }));

const runOn = (threads: number, restartAfter?: number, inspect?: (c: Cluster) => Promise<void>) =>
  sweepAcrossRestart(clusters, SWEEP, { threads, restartAfter, timeoutMs: 150_000, inspect });

test("tpe proposes the same points in the same order on 1 thread and on 4, and after a controller restart", { timeout: 300_000 }, async () => {
  const one = await runOn(1, undefined, async (c) => {
    // Parameter importance over the finished trials: both parameters, shares summing to 1.
    const imp = await c.client.get("importance", {}, { id: 1 });
    assert.deepEqual(Object.keys(imp.importance).sort(), ["epochs", "x"]);
    assert.ok(Math.abs(Object.values(imp.importance).reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(imp.trials, 18);
    const best = c.spawn("best", ["best", "--sweep", "1", "--controller", c.url, "--importance"]);
    assert.equal(await best.exited, 0, best.log.join("\n"));
    assert.match(best.log.join("\n"), /parameter importance \(PED-ANOVA over 18 finished trials, score maximize\):\n\s+(x|epochs)\s+0\.\d{3}\s+#*/);
  });
  assert.equal(one.length, 18, "every proposal ran");
  assert.deepEqual(one.map((t) => t.point), [...Array(18).keys()]);
  assert.ok(one.every((t) => t.state === "done"));
  const xs = one.map((t) => t.params.x as number);
  assert.equal(new Set(xs).size, 18, "distinct proposals");
  assert.ok(xs.every((x) => x >= 0 && x <= 1));
  // The model moves toward the optimum (x = 0.3, the most epochs): the last batches beat the random start.
  const score = (t: ApiTrial) => t.objective!;
  const firstBatches = one.slice(0, 9).map(score), lastBatches = one.slice(9).map(score);
  assert.ok(Math.max(...lastBatches) >= Math.max(...firstBatches) - 1e-9 || lastBatches.reduce((a, b) => a + b) > firstBatches.reduce((a, b) => a + b),
    `later proposals are no worse: ${JSON.stringify(one.map(score))}`);

  const four = await runOn(4);
  assert.deepEqual(proposals(four), proposals(one), "the same proposals and results on 4 threads");

  const restarted = await runOn(2, 7);
  assert.deepEqual(proposals(restarted), proposals(one), "the same after the controller was killed mid-sweep");
});
