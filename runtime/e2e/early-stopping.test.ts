// End to end, early stopping: the same sweep prunes the same trials at the same reports on one
// thread (the root relay) and on three (a relay daemon and an agent), with ASHA and with the
// median rule, because each decision depends on the trials' values in sweep order, never on
// which result arrives first.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Cluster, type ApiTrial } from "./cluster.ts";
import { sweepOnFleet } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/curves", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const sweep = (rule: Record<string, unknown>) => ({
  name: `e2e-stopping-${rule.rule}`,
  experiment: EXPERIMENT,
  metric: { name: "score", goal: "maximize" },
  epochs: 9,
  seed: 3,
  early_stopping: rule,
  search: { method: "random", samples: 14, seed: 11, parameters: { x: { uniform: [0, 1] } } },
});

/** The sweep on its own fleet of `threads`. */
const runOn = (config: unknown, threads: number, viaRelay: boolean): Promise<ApiTrial[]> =>
  sweepOnFleet(clusters, config, { threads, viaRelay, timeoutMs: 150_000 });

/** What must not depend on the fleet: each trial's end state, the report it stopped at, and its hash. */
const outcome = (trials: ApiTrial[]) => trials.map((t) => ({ index: t.index, state: t.state, stoppedAt: t.pruned?.step ?? null, sha: t.resultSha256 }));

for (const rule of [{ rule: "asha", min_epochs: 1, reduction: 3 }, { rule: "median", min_epochs: 2, min_trials: 3 }]) {
  test(`${rule.rule}: the same trials are pruned at the same reports on 1 thread and on 3`, { timeout: 300_000 }, async () => {
    const config = sweep(rule);
    const one = await runOn(config, 1, false);
    const pruned = one.filter((t) => t.state === "pruned");
    const done = one.filter((t) => t.state === "done");
    assert.equal(pruned.length + done.length, 14, JSON.stringify(outcome(one)));
    assert.ok(pruned.length >= 3, `some trials are pruned: ${JSON.stringify(outcome(one))}`);
    assert.ok(done.length >= 2, "some trials run to the end");
    for (const t of pruned) {
      assert.ok(t.pruned!.step < 9, `trial ${t.id} stopped before its last epoch`);
      assert.equal(t.metrics!.length, t.pruned!.step, `trial ${t.id}: its reports end where it was pruned`);
      assert.match(t.pruned!.reason, rule.rule === "asha" ? /^rung \d+: score .* outside the top 1\/3 of the \d+ earlier trials' values there \(cutoff .*\)$/ : /^step \d+: best score so far .* is worse than the median/);
      assert.equal(t.error, null, "a pruned trial is not an error");
      assert.equal(t.attemptLog.filter((a) => a.outcome === "pruned").length, 1, "and is not retried");
      assert.equal(t.objective, t.metrics!.at(-1)!.score, "its objective is its value where it stopped");
    }
    if (rule.rule === "asha") {
      assert.deepEqual([...new Set(pruned.map((t) => t.pruned!.step))].every((s) => [1, 3].includes(s)), true, "ASHA stops only at rungs 1 and 3");
    }
    for (const t of done) assert.equal(t.metrics!.length, 9);

    const three = await runOn(config, 3, true);
    assert.deepEqual(outcome(three), outcome(one), "the same decisions on 3 threads behind a relay daemon");
  });
}
