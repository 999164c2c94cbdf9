// A population-based training sweep through the scheduler and the controller's trial states,
// without sockets: leases carry the stopStep and (from generation 1) the parent's kept final
// state; a member's done result waits for its final state; the relay is served the parent's
// state; the sweep keeps the states later members start from and `keep` decides the rest.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflate, inflate } from "pako";
import { Store } from "../store/store.ts";
import { Scheduler } from "./scheduler.ts";
import { TrialStates } from "./trial-states.ts";
import { registerSweep } from "../sweeps/register-sweep.ts";
import { parseSweepConfig } from "../sweeps/sweep-config.ts";
import { networkExperiment } from "../../experiments/network/network-experiment.ts";
import type { TrialResult, UnsignedLease } from "../../../protocol/messages.ts";

const SWEEP = {
  name: "pbt-leases",
  dataset: { name: "xor", train: 100, test: 20 },
  model: { hidden: [4], activation: "tanh" },
  train: { epochs: 2, batch: 16, lr: 0.1 },
  search: { method: "pbt", population: 2, generations: 2, interval: 1, quantile: 0.5, seed: 3, parameters: { "train.lr": { loguniform: [0.01, 1] } } },
  keep: { top: 0 },
};

const RELAY = "r-test";

/** The sweep registered in a fresh store, its scheduler and the controller's trial states. */
async function pbtSweep(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "discalc-pbt-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open({ dir });
  t.after(() => store.close());
  const config = parseSweepConfig(SWEEP);
  const { sweepId } = await registerSweep(store, config);
  const scheduler = new Scheduler(store, { datasets: {} });
  await scheduler.setSweepSource(sweepId, { config, entry: networkExperiment });
  return { store, sweepId, scheduler, states: new TrialStates(store, scheduler) };
}
const stateOf = (trialId: number) => new TextEncoder().encode(`state of trial ${trialId}`);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const done = (l: UnsignedLease, accuracy: number): TrialResult => ({
  trialId: l.trialId, attempt: l.attempt, status: "done", workerId: "w-test", error: null, finishedAt: Date.now(),
  outcome: { reports: [{ valAccuracy: accuracy }], metrics: { valAccuracy: accuracy }, resultSha256: "cd".repeat(32), info: {}, runMs: 1 },
});

test("pbt leases: stopStep, the parent's state to restore, results after the final state, states kept for children", async (t) => {
  const { store, sweepId, scheduler, states } = await pbtSweep(t);
  const upload = (l: UnsignedLease) => states.put(RELAY, { trial: l.trialId, attempt: l.attempt, step: l.stopStep!, sha: sha(stateOf(l.trialId)), kind: "final" }, deflate(stateOf(l.trialId)));

  const gen0 = await scheduler.leaseTrials(RELAY, 10);
  assert.deepEqual(gen0.map((l) => [l.stopStep, l.keepState, l.restore]), [[1, true, undefined], [1, true, undefined]], "from scratch, to report 1, state kept though keep.top is 0");
  // Done before its final state is stored: refused (its children start from that state).
  assert.deepEqual((await scheduler.recordResults(RELAY, { batchId: "b-0", results: [done(gen0[0]!, 0.9)] })).statuses, ["refused"]);
  for (const l of gen0) assert.equal((await upload(l)).stored, true);
  const ack = await scheduler.recordResults(RELAY, { batchId: "b-1", results: [done(gen0[0]!, 0.9), done(gen0[1]!, 0.4)] });
  assert.deepEqual(ack.statuses, ["stored", "stored"]);

  // Generation 1: slot 1 (the worse) exploits slot 0; slot 0 goes on from its own state.
  const gen1 = await scheduler.leaseTrials(RELAY, 10);
  assert.equal(gen1.length, 2);
  const [first, second] = [gen0[0]!.trialId, gen0[1]!.trialId];
  assert.deepEqual(gen1.map((l) => [l.stopStep, l.restore]), [[2, { step: 1, sha256: sha(stateOf(first)) }], [2, { step: 1, sha256: sha(stateOf(first)) }]]);
  // The relay holding a member is served its parent's state, and nothing else.
  assert.deepEqual(inflate(await states.checkpoint(RELAY, { trialId: gen1[1]!.trialId, attempt: gen1[1]!.attempt }, sha(stateOf(first)))), stateOf(first));
  await assert.rejects(states.checkpoint(RELAY, { trialId: gen1[1]!.trialId, attempt: gen1[1]!.attempt }, sha(stateOf(second))), /has no stored checkpoint/);

  for (const l of gen1) await upload(l);
  await scheduler.recordResults(RELAY, { batchId: "b-2", results: [done(gen1[0]!, 0.95), done(gen1[1]!, 0.92)] });
  assert.equal((await store.sweep(sweepId))!.state, "done");
  // keep.top 0: only the state both children started from stays.
  const kept = await store.finalStateShas([...gen0, ...gen1].map((l) => l.trialId));
  assert.deepEqual([...kept.keys()], [first]);
});

test("pbt leases: a member whose parent's state is gone fails naming it, and its sweep ends", async (t) => {
  const { store, sweepId, scheduler, states } = await pbtSweep(t);
  const gen0 = await scheduler.leaseTrials(RELAY, 10);
  for (const l of gen0) await states.put(RELAY, { trial: l.trialId, attempt: l.attempt, step: 1, sha: sha(stateOf(l.trialId)), kind: "final" }, deflate(stateOf(l.trialId)));
  await scheduler.recordResults(RELAY, { batchId: "b-1", results: [done(gen0[0]!, 0.9), done(gen0[1]!, 0.4)] });
  for (const l of gen0) await store.dropTrialState(l.trialId, "final");

  assert.deepEqual(await scheduler.leaseTrials(RELAY, 10), []);
  const gen1 = (await store.trialsOfSweep(sweepId)).slice(2);
  assert.deepEqual(gen1.map((r) => [r.state, r.last_error]), [1, 2].map(() => ["failed", `population-based training: its parent, trial ${gen0[0]!.trialId}, has no kept final state to start from`]));
  assert.equal((await store.sweep(sweepId))!.state, "done");
});
