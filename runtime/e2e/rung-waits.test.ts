// End to end, waiting at a rung never holds the thread that the awaited trial needs: a sweep
// whose first trial throws (its retry is queued behind the trials that wait for it) and whose
// fourth sleeps through its first epoch ends on 1 and on 2 threads, with ASHA and with the
// median rule, and prunes the same trials with the same reasons as on 4 threads. Before, on 1
// thread (and on 2, with 8 trials) the waiting trials held every thread until max_wait_seconds.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Cluster, type ApiTrial } from "./cluster.ts";
import { sweepOnFleet } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/stalls", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const XS = [0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.99];

const sweep = (rule: Record<string, unknown>) => ({
  name: `e2e-rung-waits-${rule.rule}`,
  experiment: EXPERIMENT,
  metric: { name: "score", goal: "maximize" },
  epochs: 4,
  throwAt: 0.05,
  slowAt: 0.45,
  maxAttempts: 2,
  // The default: a trial waiting past it was handed back; the sweep must end long before.
  early_stopping: { ...rule, max_wait_seconds: 300 },
  search: { method: "grid", parameters: { x: XS } },
});

/** The sweep on its own fleet of `threads`. */
const runOn = (config: unknown, threads: number, viaRelay: boolean): Promise<ApiTrial[]> =>
  // Well under max_wait_seconds: a wait that held the threads would take 300 s per stall.
  sweepOnFleet(clusters, config, { threads, viaRelay, timeoutMs: 90_000 });

/**
 * What must not depend on the fleet: each trial's end state, where and why it was pruned (the
 * rung, its value and the rule's bound), its hash. A reason's tail (how many earlier trials had
 * reported, the cutoff bound then) tells when the decision was made: a prune is decided as soon
 * as no outcome of the earlier trials still running can save the trial, so that part differs
 * with the fleet (on 4 threads as on 1, failures or not).
 */
const why = (reason: string | undefined) => reason?.replace(/( the median) \S+ of the \d+ earlier.*$/, "$1").replace(/ of the \d+ earlier trials.*$/, "") ?? null;
const outcome = (trials: ApiTrial[]) => trials.map((t) => ({
  index: t.index, state: t.state, stoppedAt: t.pruned?.step ?? null, reason: why(t.pruned?.reason), sha: t.resultSha256,
}));

for (const rule of [{ rule: "asha", min_epochs: 1, reduction: 3 }, { rule: "median", min_epochs: 1, min_trials: 2 }]) {
  test(`${rule.rule}: a throwing and a slow trial hang no thread count, and the decisions are those of 4 threads`, { timeout: 400_000 }, async () => {
    const config = sweep(rule);
    const four = await runOn(config, 4, false);
    const shown = JSON.stringify(outcome(four));
    assert.equal(four.filter((t) => t.state === "failed").length, 1, shown);
    assert.match(four.find((t) => t.state === "failed")!.error ?? "", /x = 0\.05 throws/);
    assert.ok(four.filter((t) => t.state === "pruned").length >= 2, `some trials are pruned: ${shown}`);
    assert.ok(four.filter((t) => t.state === "done").length >= 1, `some run to the end: ${shown}`);
    const one = await runOn(config, 1, false);
    assert.deepEqual(outcome(one), outcome(four), "the same decisions on 1 thread");
    const two = await runOn(config, 2, true);
    assert.deepEqual(outcome(two), outcome(four), "the same decisions on 2 threads behind a relay daemon");
  });
}
