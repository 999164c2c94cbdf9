// Trial states over a real store (part of the store conformance suite): a trial's latest
// checkpoint, the lease that resumes from it, who may store and fetch one, and which final
// states `keep` keeps. Every store implementation runs all of it.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { inflate } from "pako";
import { TrialStates } from "../../scheduler/trial-states.ts";
import { StateRefusal } from "../../../relay/state-refusal.ts";
import { deflateState } from "../../../../protocol/client.ts";
import type { TrialResult, UnsignedLease } from "../../../../protocol/messages.ts";
import { T0, xorSweep, type Fixture } from "./store-fixture.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const bytesOf = (n: number, fill: number) => new Uint8Array(n).fill(fill);

const doneWith = (l: UnsignedLease, valAccuracy: number): TrialResult => ({
  trialId: l.trialId, attempt: l.attempt, status: "done", workerId: "w-000000000001", error: null, finishedAt: T0 + 1,
  outcome: { reports: [{ valAccuracy }], metrics: { valAccuracy }, resultSha256: "cd".repeat(32), info: {}, runMs: 1 },
});

const refusal = (status: number, pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof StateRefusal, String(err));
  assert.equal(err.status, status);
  assert.match(err.message, pattern);
  return true;
};

export function stateConformance(label: string, fixture: (t: TestContext, config?: object) => Promise<Fixture>): void {
  test(`${label}: ` + "a trial keeps its latest checkpoint only; its bytes come back raw; dropped, it is gone; the size counts what is stored", async (t) => {
    const f = await fixture(t);
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal(await f.store.trialStatesSize(), 0);
    const first = bytesOf(5000, 1);
    await f.store.putTrialState({ trialId: a.trialId, attempt: 1, kind: "checkpoint", step: 5, sha256: sha(first), bytes: first, createdAt: T0 });
    const second = bytesOf(3000, 2);
    await f.store.putTrialState({ trialId: a.trialId, attempt: 1, kind: "checkpoint", step: 10, sha256: sha(second), bytes: second, createdAt: T0 + 1 });
    const got = (await f.store.trialState(a.trialId, "checkpoint"))!;
    assert.deepEqual({ ...got, bytes: undefined }, { trialId: a.trialId, attempt: 1, kind: "checkpoint", step: 10, sha256: sha(second), bytes: undefined, createdAt: T0 + 1 });
    assert.deepEqual(Buffer.from(got.bytes), Buffer.from(second), "raw bytes, the newer checkpoint's");
    assert.equal(await f.store.trialState(a.trialId, "final"), undefined, "kinds are apart");
    const size = await f.store.trialStatesSize();
    assert.ok(size > 0 && size < second.byteLength, `stored deflated: ${size} bytes for ${second.byteLength}`);
    await f.store.dropTrialState(a.trialId, "checkpoint");
    assert.equal(await f.store.trialState(a.trialId, "checkpoint"), undefined);
    assert.equal(await f.store.trialStatesSize(), 0);
  });

  test(`${label}: ` + "state references and reports of many trials at once are each trial's own (the API's lists read them so)", async (t) => {
    const f = await fixture(t);
    const [a, b, c] = (await f.sched.leaseTrials("r-1", 3)) as [UnsignedLease, UnsignedLease, UnsignedLease];
    const raw = bytesOf(100, 3);
    await f.store.putTrialState({ trialId: a.trialId, attempt: 1, kind: "final", step: 7, sha256: sha(raw), bytes: raw, createdAt: T0 });
    await f.store.putTrialState({ trialId: b.trialId, attempt: 1, kind: "checkpoint", step: 3, sha256: sha(raw), bytes: raw, createdAt: T0 });
    const ids = [a.trialId, b.trialId, c.trialId];
    for (const kind of ["final", "checkpoint"] as const) {
      const many = await f.store.trialStateRefs(ids, kind);
      const one = (await Promise.all(ids.map(async (id) => ({ id, ref: await f.store.trialStateRef(id, kind) })))).filter((x) => x.ref);
      assert.deepEqual(many.map((r) => ({ ...r })).sort((x, y) => x.trial_id - y.trial_id), one.map((x) => ({ trial_id: x.id, ...x.ref })), kind);
    }
    assert.equal((await f.store.trialStateRefs(ids, "final"))[0]!.trial_id, a.trialId);
    await f.store.upsertReports([
      { trial_id: a.trialId, attempt: 1, step: 1, metrics: "{\"x\":1}" }, { trial_id: a.trialId, attempt: 1, step: 0, metrics: "{\"x\":0}" },
      { trial_id: c.trialId, attempt: 1, step: 0, metrics: "{\"x\":2}" },
    ]);
    const reports = (await f.store.reportsOfTrials(ids)).map((r) => [r.trial_id, r.step, r.metrics]).sort((x, y) => Number(x[0]) - Number(y[0]) || Number(x[1]) - Number(y[1]));
    assert.deepEqual(reports, [[a.trialId, 0, "{\"x\":0}"], [a.trialId, 1, "{\"x\":1}"], [c.trialId, 0, "{\"x\":2}"]]);
    assert.deepEqual(await f.store.reportsOfTrials([]), []);
  });

  test(`${label}: ` + "a checkpoint is stored only from the relay holding the attempt, with its SHA-256, within the cap; the next lease resumes from it", async (t) => {
    const f = await fixture(t);
    const states = new TrialStates(f.store, f.sched, 4096);
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal(a.restore, undefined, "a fresh trial has nothing to resume from");
    assert.equal(a.keepState, true, "keep's default (top 10) wants final states");
    const raw = bytesOf(1000, 7);
    const q = { trial: a.trialId, attempt: 1, step: 4, sha: sha(raw), kind: "checkpoint" as const };
    await assert.rejects(states.put("r-1", { ...q, sha: "00".repeat(32) }, deflateState(raw)), refusal(400, /not the 0{64} named: refused/));
    await assert.rejects(states.put("r-2", q, deflateState(raw)), refusal(409, /not running under this relay/));
    await assert.rejects(states.put("r-1", { ...q, attempt: 2 }, deflateState(raw)), refusal(409, /attempt 2 is not running/));
    const big = bytesOf(5000, 7);
    await assert.rejects(states.put("r-1", { ...q, sha: sha(big) }, deflateState(big)), refusal(413, /cap of 4096 bytes \(--max-state-bytes\)/));
    assert.equal(await f.store.trialState(a.trialId, "checkpoint"), undefined, "nothing refused was stored");
    assert.deepEqual(await states.put("r-1", q, deflateState(raw)), { stored: true, bytes: 1000 });

    // The machine dies: the lease expires and the next attempt, elsewhere, resumes from the checkpoint.
    f.advance(31_000);
    assert.equal(await f.sched.expireLeases(), 1);
    assert.equal(await f.store.trialStateRef(a.trialId, "checkpoint").then((r) => r?.step), 4, "a retried trial keeps its checkpoint");
    const again = (await f.sched.leaseTrials("r-2", 6)).find((l) => l.trialId === a.trialId)!;
    assert.equal(again.attempt, 2);
    assert.deepEqual(again.restore, { step: 4, sha256: sha(raw) });
    const served = await states.checkpoint("r-2", { trialId: a.trialId, attempt: 2 }, sha(raw));
    assert.deepEqual(Buffer.from(inflate(served)), Buffer.from(raw));
    await assert.rejects(states.checkpoint("r-1", { trialId: a.trialId, attempt: 1 }, sha(raw)), refusal(409, /not running under this relay/));
    await assert.rejects(states.checkpoint("r-2", { trialId: a.trialId, attempt: 2 }, "11".repeat(32)), refusal(404, /no stored checkpoint/));

    // It ends: its checkpoint goes.
    assert.deepEqual((await f.sched.recordResults("r-2", { batchId: "b", results: [doneWith(again, 0.5)] })).statuses, ["stored"]);
    assert.equal(await f.store.trialState(a.trialId, "checkpoint"), undefined);
  });

  test(`${label}: ` + "keep top K keeps the final states of the K best done trials by the objective; a cancelled trial's checkpoint goes", async (t) => {
    const f = await fixture(t, xorSweep({ keep: { top: 2 } }));
    const states = new TrialStates(f.store, f.sched);
    const leases = await f.sched.leaseTrials("r-1", 5);
    const finalOf = async (l: UnsignedLease) => {
      const raw = bytesOf(100, l.trialId);
      assert.deepEqual(await states.put("r-1", { trial: l.trialId, attempt: 1, step: 2, sha: sha(raw), kind: "final" }, deflateState(raw)), { stored: true, bytes: 100 });
    };
    const accuracy = [0.5, 0.9, 0.7, 0.9, 0.1];
    for (const l of leases.slice(0, 3)) await finalOf(l);
    await f.sched.recordResults("r-1", { batchId: "1", results: leases.slice(0, 3).map((l, i) => doneWith(l, accuracy[i]!)) });
    const kept = async () => (await f.store.finalStatesOfSweep(f.sweepId)).map((e) => e.trialId);
    assert.deepEqual(await kept(), [leases[1]!.trialId, leases[2]!.trialId], "0.9 and 0.7 of 0.5, 0.9, 0.7");
    // Kept states full: a lease now asks for the final state only if it beats the K-th (0.7, trial 3's).
    const [last] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal(last.keepState, undefined);
    assert.deepEqual(last.keepIfBetter, { metric: "valAccuracy", goal: "maximize", than: 0.7, thanTrial: leases[2]!.trialId });
    // A tie with the best: the earlier trial keeps its place; 0.7 goes.
    for (const l of leases.slice(3, 5)) await finalOf(l);
    assert.equal((await kept()).length, 4, "final states of running trials wait for their results");
    await f.sched.recordResults("r-1", { batchId: "2", results: leases.slice(3, 5).map((l, i) => doneWith(l, accuracy[3 + i]!)) });
    assert.deepEqual(await kept(), [leases[1]!.trialId, leases[3]!.trialId]);
    assert.deepEqual(Buffer.from((await f.store.trialState(leases[3]!.trialId, "final"))!.bytes), Buffer.from(bytesOf(100, leases[3]!.trialId)));

    // Cancelled while holding a checkpoint: it never resumes, so the checkpoint goes.
    const raw = bytesOf(10, 3);
    await states.put("r-1", { trial: last.trialId, attempt: 1, step: 1, sha: sha(raw), kind: "checkpoint" }, deflateState(raw));
    await f.sched.issueCommand({ kind: "cancel", trialId: last.trialId });
    assert.equal(await f.store.trialState(last.trialId, "checkpoint"), undefined);
  });

  test(`${label}: ` + "keep top 0: leases do not ask for final states, and one sent is not stored", async (t) => {
    const f = await fixture(t, xorSweep({ keep: { top: 0 }, checkpoint: { every: 3 } }));
    const states = new TrialStates(f.store, f.sched);
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal(a.keepState, undefined);
    assert.equal(a.checkpointEvery, 3, "the sweep's checkpoint.every travels in the lease");
    const raw = bytesOf(10, 1);
    assert.deepEqual(await states.put("r-1", { trial: a.trialId, attempt: 1, step: 2, sha: sha(raw), kind: "final" }, deflateState(raw)), { stored: false, bytes: 10 });
    assert.equal(await f.store.trialStatesSize(), 0);
  });

  test(`${label}: ` + "a trial's lineage (population-based training) names the trial its parent point's first repeat is, one or many at a time", async (t) => {
    const f = await fixture(t);
    const trials = await f.store.trialsOfSweep(f.sweepId);
    const at = (point: number, repeat = 0) => trials.find((x) => x.point === point && x.repeat === repeat)!.id;
    await f.store.insertLineage([
      { trial_id: at(0), sweep_id: f.sweepId, generation: 0, slot: 0, parent_point: null, exploited: 0, start_step: 0, stop_step: 2 },
      { trial_id: at(2), sweep_id: f.sweepId, generation: 1, slot: 0, parent_point: 0, exploited: 1, start_step: 2, stop_step: 4 },
    ]);
    const child = (await f.store.lineageOfTrial(at(2)))!;
    assert.deepEqual({ ...child }, { trial_id: at(2), sweep_id: f.sweepId, generation: 1, slot: 0, parent_point: 0, exploited: 1, start_step: 2, stop_step: 4, parent_trial_id: at(0) });
    assert.equal((await f.store.lineageOfTrial(at(0)))!.parent_trial_id, null);
    assert.equal(await f.store.lineageOfTrial(at(1)), undefined, "a trial without lineage");
    assert.deepEqual((await f.store.lineageOfTrials([at(0), at(1), at(2)])).map((l) => [l.trial_id, l.parent_trial_id]).sort(), [[at(0), null], [at(2), at(0)]].sort());
    assert.deepEqual((await f.store.lineageOfSweep(f.sweepId)).map((l) => l.trial_id), [at(0), at(2)]);
  });
}
