// End to end, population-based training on the built-in trainer: every `interval` epochs the
// bottom of the population takes a top member's state and perturbs its learning rate. The same
// lineage (generation, slot, parent, params) and the same hashes on 1 thread and on 4, and after
// the controller is killed mid-sweep; `discalc train --trial N` reproduces a generation-2 member
// from its parent's kept state.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, type ApiTrial, type Proc } from "./cluster.ts";
import { sweepAcrossRestart } from "./verify.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const POPULATION = 4, GENERATIONS = 3, INTERVAL = 2;
const SWEEP = {
  name: "e2e-pbt",
  dataset: { name: "moons", train: 240, test: 60 },
  model: { hidden: [8], activation: "tanh" },
  train: { epochs: GENERATIONS * INTERVAL, batch: 16, optimizer: "adam", lr: 0.01, seed: 3 },
  search: { method: "pbt", population: POPULATION, generations: GENERATIONS, interval: INTERVAL, quantile: 0.25, seed: 11, parameters: { "train.lr": { loguniform: [0.001, 0.3] } } },
};

type Lineage = { generation: number; slot: number; parentTrialId: number | null; parentPoint: number | null; exploited: boolean; startStep: number; stopStep: number };
const members = (trials: ApiTrial[]) => trials.map((t) => ({
  point: t.point, params: t.params, sha: t.resultSha256, state: t.state, error: t.error, lineage: (t as ApiTrial & { lineage?: Lineage }).lineage,
}));

async function run(c: Cluster, args: string[]): Promise<{ code: number | null; out: string }> {
  const p: Proc = c.spawn(args[0]!, args);
  const code = await p.exited;
  await new Promise((r) => setTimeout(r, 50));
  return { code, out: p.log.join("\n") };
}

const runOn = (threads: number, restartAfter?: number, inspect?: (c: Cluster, trials: ApiTrial[]) => Promise<void>) =>
  sweepAcrossRestart(clusters, SWEEP, { threads, restartAfter, timeoutMs: 180_000, inspect });

test("pbt: the same lineage and hashes on 1 thread and on 4 and after a controller SIGKILL; train --trial reproduces a generation-2 member", { timeout: 600_000 }, async () => {
  const one = await runOn(1, undefined, async (c, trials) => {
    // Lineage in GET /api/trials/:id, with the parent's trial id.
    const g2 = trials.find((t) => t.point === 2 * POPULATION + 3)!;
    const detail = (await c.client.get("trial", {}, { id: g2.id })) as ApiTrial & { lineage?: Lineage; stateSha256?: string | null };
    assert.equal(detail.lineage?.generation, 2);
    assert.equal(detail.lineage?.startStep, 2 * INTERVAL);
    assert.equal(detail.lineage?.stopStep, 3 * INTERVAL);
    const parent = trials.find((t) => t.id === detail.lineage!.parentTrialId)!;
    assert.equal(parent.point, detail.lineage!.parentPoint);
    // Its parent's final state is kept (a later member starts from it), whatever `keep` ranks.
    const parentDetail = (await c.client.get("trial", {}, { id: parent.id })) as ApiTrial & { stateSha256?: string | null };
    assert.ok(parentDetail.stateSha256, "the parent's state is kept");

    // Rerun here, from the controller: from the parent's kept state to its stopStep, the fleet's hash.
    const again = await run(c, ["train", "--trial", String(g2.id), "--controller", c.url, "--token", c.token]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, new RegExp(`population-based training: generation 2, slot 3, reports ${2 * INTERVAL + 1}\\.\\.${3 * INTERVAL}, from trial ${parent.id}'s kept state`));
    assert.match(again.out, new RegExp(`^matches the stored result of trial ${g2.id}$`, "m"));
  });
  assert.equal(one.length, POPULATION * GENERATIONS, "every member ran");
  assert.ok(one.every((t) => t.state === "done"), JSON.stringify(members(one)));
  const m = members(one);
  assert.deepEqual(m.map((t) => t.lineage?.generation), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.ok(m.slice(POPULATION).every((t) => t.lineage?.parentPoint !== null), "every later member starts from a parent");
  assert.ok(m.some((t) => t.lineage?.exploited), "some member took a better one's state");
  // A member that continued its own slot keeps its lr; an exploiting one perturbed its parent's.
  for (const t of m.slice(POPULATION)) {
    const parent = m[t.lineage!.parentPoint!]!;
    if (!t.lineage!.exploited) assert.deepEqual(t.params, parent.params);
  }
  assert.equal(new Set(m.map((t) => t.sha)).size, m.length, "each member's weights differ");

  const four = await runOn(4);
  assert.deepEqual(members(four), m, "the same lineage, params and hashes on 4 threads");

  const restarted = await runOn(2, POPULATION + 1);
  assert.deepEqual(members(restarted), m, "the same after the controller was killed mid-sweep");
});
