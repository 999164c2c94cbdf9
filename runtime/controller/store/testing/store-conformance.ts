// The store conformance suite (scheduler rules over a real store); store.sqlite.test.ts and
// store.postgres.test.ts run it on each implementation.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { registerSweep, SweepConflictError } from "../../sweeps/register-sweep.ts";
import { parseSweepConfig } from "../../sweeps/sweep-config.ts";
import { TrialLease, type UnsignedLease, type TrialRef, type TrialResult, type TrialOutcome } from "../../../../protocol/messages.ts";
import { decisionConformance } from "./decision-conformance.ts";
import { stateConformance } from "./state-conformance.ts";
import { makeFixture, MNIST_SHA, T0, xorSweep, type StoreBackend } from "./store-fixture.ts";

const mnistSweep = {
  name: "mnist-small",
  dataset: { name: "mnist", train: 800, test: 200 },
  model: { hidden: [32] },
  train: { epochs: 1, batch: 32, lr: 0.1 },
  search: { parameters: { "model.hidden": [[16], [32]] } },
  leaseSeconds: 12,
};

// The built-in network experiment's config, as these tests read leases.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cfg = Record<string, any>;

const ref = (l: { trialId: number; attempt: number }): TrialRef => ({ trialId: l.trialId, attempt: l.attempt });

const outcome = (sha: string, epochs = 2): TrialOutcome => ({
  reports: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, trainLoss: 1 / (i + 1), valLoss: 1.1 / (i + 1), valAccuracy: 0.5 + i * 0.1, lr: 0.1 })),
  metrics: { trainLoss: 1 / epochs, valAccuracy: 0.5 + (epochs - 1) * 0.1, testAccuracy: 0.4 },
  resultSha256: sha,
  info: { paramCount: 42, gemmGflops: 1.5 },
  runMs: 20,
});

const done = (r: TrialRef, sha = "cd".repeat(32), workerId = "w-000000000001"): TrialResult => ({
  ...r, status: "done", workerId, error: null, outcome: outcome(sha), finishedAt: T0 + 1,
});
const failed = (r: TrialRef, error: string, workerId = "w-000000000001"): TrialResult => ({
  ...r, status: "failed", workerId, error, outcome: null, finishedAt: T0 + 1,
});
const batch = (...results: TrialResult[]) => ({ batchId: `b-${Math.random()}`, results });

/**
 * The store conformance suite: the scheduler's rules (leases, renewals, expiry, exactly-once
 * results, metrics, commands, resume) over a real store, with a fake clock so lease expiry
 * needs no sleeping. Every store implementation runs all of it.
 */
export function storeConformance(label: string, backend: StoreBackend): void {
  const fixture = (t: TestContext, config?: object) => makeFixture(t, backend, config);

  // ---------------------------------------------------------------------------------------
  // leaseTrials

  test(`${label}: ` + "leaseTrials hands out up to n queued trials once each, with deadline, attempts and config", async (t) => {
    const f = (await fixture(t));
    const first = (await f.sched.leaseTrials("r-1", 4));
    assert.equal(first.length, 4);
    assert.equal(new Set(first.map((l) => l.trialId)).size, 4);
    for (const l of first) {
      assert.equal(l.attempt, 1);
      assert.equal(l.sweepId, f.sweepId);
      assert.equal(l.deadline, T0 + 30_000);
      assert.deepEqual(l.datasets, {}, "synthetic datasets need no blob");
      assert.equal(l.experiment.name, "network");
      assert.equal(l.experiment.sha, null, "the built-in needs no code blob");
      assert.equal((l.config as Cfg).dataset.name, "xor");
      assert.equal((l.config as Cfg).model.activation, "tanh");
      assert.doesNotThrow(() => TrialLease.omit({ manifest: true }).parse(l), "a lease is a valid wire message (once signed)");
      const row = (await f.store.trial(l.trialId))!;
      assert.equal(row.state, "leased");
      assert.equal(row.attempts, 1);
      assert.equal(row.lease_relay, "r-1");
      assert.equal(row.lease_deadline, T0 + 30_000);
      assert.deepEqual(JSON.parse(row.config), l.config, "the lease carries the full stored trial config");
      assert.equal((await f.store.attempt(l.trialId, 1))?.relay_id, "r-1");
    }
    // The grid order: lr values in order, two repeats each (seeds 0 and 1).
    assert.deepEqual(first.map((l) => [(l.config as Cfg).train.lr, l.seed]), [[0.05, 0], [0.05, 1], [0.1, 0], [0.1, 1]]);

    const second = (await f.sched.leaseTrials("r-2", 4));
    assert.equal(second.length, 2, "only two trials were left");
    for (const l of second) assert.ok(!first.some((x) => x.trialId === l.trialId), "no trial is handed out twice");
    for (const l of second) assert.equal((await f.store.trial(l.trialId))!.lease_relay, "r-2");
    assert.deepEqual((await f.sched.leaseTrials("r-1", 4)), [], "nothing left to lease");
    assert.deepEqual((await f.store.countsBySweep(f.sweepId)), { queued: 0, leased: 6, done: 0, pruned: 0, diverged: 0, failed: 0, cancelled: 0 });
  });

  test(`${label}: ` + "leases of a mnist sweep name the dataset blob and use the sweep's leaseSeconds", async (t) => {
    const f = (await fixture(t, mnistSweep));
    const leases = (await f.sched.leaseTrials("r-1", 10));
    assert.equal(leases.length, 2);
    for (const l of leases) {
      assert.deepEqual(l.datasets, { mnist: MNIST_SHA });
      assert.equal(l.deadline, T0 + 12_000);
      assert.equal((l.config as Cfg).dataset.name, "mnist");
      assert.equal((l.config as Cfg).dataset.train, 800);
    }
    assert.deepEqual(leases.map((l) => (l.config as Cfg).model.hidden), [[16], [32]]);
  });

  // ---------------------------------------------------------------------------------------
  // renewLeases

  test(`${label}: ` + "renewLeases extends the relay's leases, revokes others' and wrong attempts, requeues released", async (t) => {
    const f = (await fixture(t));
    const [a, b, c] = (await f.sched.leaseTrials("r-1", 3)) as [UnsignedLease, UnsignedLease, UnsignedLease];
    const [d] = (await f.sched.leaseTrials("r-2", 1)) as [UnsignedLease];

    f.advance(20_000);
    const stranger = { trialId: d.trialId, attempt: d.attempt };
    const wrongAttempt = { trialId: b.trialId, attempt: 2 };
    const unknown = { trialId: 9999, attempt: 1 };
    const { revoked } = (await f.sched.renewLeases("r-1", [ref(a), stranger, wrongAttempt, unknown], [ref(c)]));
    assert.deepEqual(revoked, [stranger, wrongAttempt, unknown]);

    assert.equal((await f.store.trial(a.trialId))!.lease_deadline, T0 + 20_000 + 30_000, "renewed from now");
    assert.equal((await f.store.trial(b.trialId))!.lease_deadline, T0 + 30_000, "a wrong attempt renews nothing");
    assert.equal((await f.store.trial(d.trialId))!.lease_deadline, T0 + 30_000, "another relay's lease is untouched");
    assert.equal((await f.store.trial(d.trialId))!.lease_relay, "r-2");

    const released = (await f.store.trial(c.trialId))!;
    assert.equal(released.state, "queued", "released goes back at once");
    assert.equal(released.lease_relay, null);
    assert.equal((await f.store.attempt(c.trialId, 1))?.outcome, "released");

    // Releasing another relay's trial does nothing.
    (await f.sched.renewLeases("r-1", [], [ref(d)]));
    assert.equal((await f.store.trial(d.trialId))!.state, "leased");

    // The renewed lease survives past the original deadline; the others expire.
    f.advance(15_000); // T0 + 35 s
    assert.equal((await f.sched.expireLeases()), 2, "b and d expire, a does not");
    assert.equal((await f.store.trial(a.trialId))!.state, "leased");
    assert.equal((await f.store.trial(b.trialId))!.state, "queued");
    assert.equal((await f.store.trial(d.trialId))!.state, "queued");

    // A released trial is leased again as a new attempt; a release does not count as a failure.
    const again = (await f.sched.leaseTrials("r-3", 10)).find((l) => l.trialId === c.trialId);
    assert.equal(again?.attempt, 2);
  });

  // ---------------------------------------------------------------------------------------
  // expireLeases

  test(`${label}: ` + "expired leases requeue, and fail after maxAttempts expiries with an error naming the lease", async (t) => {
    const f = (await fixture(t, xorSweep({ search: undefined, maxAttempts: 2 }))); // a single trial
    const [first] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal((await f.sched.expireLeases()), 0, "not yet due");
    f.advance(30_000);
    assert.equal((await f.sched.expireLeases()), 0, "the deadline itself is still in time");
    f.advance(1);
    assert.equal((await f.sched.expireLeases()), 1);
    let row = (await f.store.trial(first.trialId))!;
    assert.equal(row.state, "queued");
    assert.equal(row.lease_relay, null);
    assert.match(row.last_error ?? "", /lease expired.*r-1/);
    assert.equal((await f.store.sweep(f.sweepId))!.state, "running");

    const [second] = (await f.sched.leaseTrials("r-2", 1)) as [UnsignedLease];
    assert.equal(second.trialId, first.trialId);
    assert.equal(second.attempt, 2);
    assert.equal(second.deadline, f.now() + 30_000);

    f.advance(30_001);
    // leaseTrials expires overdue leases before handing out; the trial is out of attempts.
    assert.deepEqual((await f.sched.leaseTrials("r-3", 1)), []);
    row = (await f.store.trial(first.trialId))!;
    assert.equal(row.state, "failed");
    assert.equal(row.attempts, 2);
    assert.match(row.last_error ?? "", /lease expired: relay r-2/);
    assert.equal(row.finished_at, f.now());

    const attempts = (await f.store.attemptsOf(first.trialId));
    assert.deepEqual(attempts.map((a) => [a.attempt, a.relay_id, a.outcome]), [[1, "r-1", "expired"], [2, "r-2", "expired"]]);
    assert.ok(attempts.every((a) => a.ended_at !== null && /lease expired/.test(a.error ?? "")));
    assert.equal((await f.store.sweep(f.sweepId))!.state, "done", "nothing queued or leased is left");
  });

  // ---------------------------------------------------------------------------------------
  // recordResults

  test(`${label}: ` + "a done result is stored once, again is duplicate, and from a stranger is refused", async (t) => {
    const f = (await fixture(t));
    const [a, b] = (await f.sched.leaseTrials("r-1", 2)) as [UnsignedLease, UnsignedLease];
    f.advance(5_000);

    // A relay that never held the attempt: refused, nothing stored.
    const refused = (await f.sched.recordResults("r-evil", batch(done(ref(a), "ee".repeat(32)))));
    assert.deepEqual(refused.statuses, ["refused"]);
    assert.equal((await f.store.result(a.trialId)), undefined);
    assert.equal((await f.store.trial(a.trialId))!.state, "leased");
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done({ trialId: a.trialId, attempt: 7 })))).statuses, ["refused"], "an attempt never leased");

    const ack = (await f.sched.recordResults("r-1", batch(done(ref(a)), done(ref(b), "ef".repeat(32)))));
    assert.deepEqual(ack.statuses, ["stored", "stored"]);
    const stored = (await f.store.result(a.trialId))!;
    assert.equal(stored.attempt, 1);
    assert.equal(stored.relay_id, "r-1");
    assert.equal(stored.result_sha, "cd".repeat(32));
    assert.equal(stored.stored_at, T0 + 5_000);
    assert.deepEqual(JSON.parse(stored.outcome), { info: { paramCount: 42, gemmGflops: 1.5 }, runMs: 20 });
    assert.deepEqual(JSON.parse(stored.metrics), { trainLoss: 0.5, valAccuracy: 0.6, testAccuracy: 0.4 });
    assert.equal(stored.objective, 0.6, "the sweep's metric (valAccuracy, the built-in's default) from the final metrics");
    assert.equal((await f.store.trial(a.trialId))!.state, "done");
    assert.equal((await f.store.attempt(a.trialId, 1))?.outcome, "done");
    assert.equal((await f.store.reportsOf(a.trialId)).length, 2, "the outcome's reports are stored");

    // The relay retries the same batch (its ack was lost): nothing changes.
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(a), "00".repeat(32))))).statuses, ["duplicate"]);
    assert.equal((await f.store.result(a.trialId))!.result_sha, "cd".repeat(32), "the first stored result stays");
    assert.equal((await f.store.resultsOfSweep(f.sweepId)).length, 2);
  });

  test(`${label}: ` + "a stored done result proves its worker, and only a worker under the relay that sent it", async (t) => {
    const f = (await fixture(t));
    const node = (id: string, relay: string) => f.store.upsertNode({ id, role: "worker", host: id, threads: 1, relay_id: relay, joined_at: T0, last_seen: T0, bundle_sha: null });
    await node("w-000000000001", "r-1");
    await node("w-000000000002", "r-2");
    await node("w-000000000003", "r-1");
    const [a, b, c] = (await f.sched.leaseTrials("r-1", 3)) as [TrialLease, TrialLease, TrialLease];
    assert.equal(await f.store.liveProvenWorkerCount(T0), 0, "joined, nothing returned yet");
    f.advance(1_000);
    // r-1 names r-2's worker for one result and fails another for its own third worker.
    const ack = await f.sched.recordResults("r-1", batch(done(ref(a)), done(ref(b), "ef".repeat(32), "w-000000000002"), failed(ref(c), "boom", "w-000000000003")));
    assert.deepEqual(ack.statuses, ["stored", "stored", "stored"]);
    assert.equal((await f.store.node("w-000000000001"))!.proven_at, T0 + 1_000);
    assert.equal((await f.store.node("w-000000000002"))!.proven_at, null, "another relay's worker is not proven by r-1's word");
    assert.equal((await f.store.node("w-000000000003"))!.proven_at, null, "a failure proves nothing");
    assert.equal(await f.store.liveProvenWorkerCount(T0), 1);
    assert.equal(await f.store.liveProvenWorkerCount(T0 + 1), 0, "a proven worker silent since counts no more");
    // A later result keeps the first proof's time; a join again (upsert) keeps the proof.
    const [d] = (await f.sched.leaseTrials("r-1", 1)) as [TrialLease];
    f.advance(1_000);
    await f.sched.recordResults("r-1", batch(done(ref(d))));
    await node("w-000000000001", "r-1");
    assert.equal((await f.store.node("w-000000000001"))!.proven_at, T0 + 1_000);
    (await f.reopen());
    assert.equal((await f.store.node("w-000000000001"))!.proven_at, T0 + 1_000, "kept across a restart");
  });

  test(`${label}: ` + "a late result of an older attempt, after the trial was re-leased and finished, is stale", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    f.advance(30_001);
    (await f.sched.expireLeases());
    const a2 = (await f.sched.leaseTrials("r-2", 1)).find((l) => l.trialId === a.trialId)!;
    assert.equal(a2.attempt, 2);
    assert.deepEqual((await f.sched.recordResults("r-2", batch(done(ref(a2), "22".repeat(32))))).statuses, ["stored"]);
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(a), "11".repeat(32))))).statuses, ["stale"]);
    const stored = (await f.store.result(a.trialId))!;
    assert.equal(stored.attempt, 2);
    assert.equal(stored.result_sha, "22".repeat(32));
    assert.equal((await f.store.trial(a.trialId))!.state, "done");
  });

  test(`${label}: ` + "a late done result of attempt 1 while attempt 2 runs wins; attempt 2's result is then stale", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    f.advance(30_001);
    const a2 = (await f.sched.leaseTrials("r-2", 1)).find((l) => l.trialId === a.trialId)!;
    assert.equal(a2.attempt, 2, "leaseTrials expired attempt 1 first");

    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(a), "11".repeat(32))))).statuses, ["stored"]);
    assert.equal((await f.store.result(a.trialId))!.attempt, 1);
    assert.equal((await f.store.trial(a.trialId))!.state, "done");
    // r-2 learns at its next heartbeat that the trial is no longer its to run.
    assert.deepEqual((await f.sched.renewLeases("r-2", [ref(a2)], [])).revoked, [ref(a2)]);

    assert.deepEqual((await f.sched.recordResults("r-2", batch(done(ref(a2), "22".repeat(32))))).statuses, ["stale"]);
    assert.equal((await f.store.result(a.trialId))!.result_sha, "11".repeat(32));
    assert.equal((await f.store.trial(a.trialId))!.state, "done");
  });

  test(`${label}: ` + "the attempt log closes attempt 2 when attempt 1's late result wins", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    f.advance(30_001);
    const a2 = (await f.sched.leaseTrials("r-2", 1)).find((l) => l.trialId === a.trialId)!;
    (await f.sched.recordResults("r-1", batch(done(ref(a)))));
    (await f.sched.renewLeases("r-2", [ref(a2)], []));
    (await f.sched.recordResults("r-2", batch(done(ref(a2), "22".repeat(32)))));
    const log = (await f.store.attemptsOf(a.trialId));
    assert.ok(log.every((x) => x.ended_at !== null && x.outcome !== null), `every attempt has ended: ${JSON.stringify(log)}`);
    assert.deepEqual(log.map((x) => x.outcome), ["done", "superseded"]);
  });

  test(`${label}: ` + "a failed result requeues until maxAttempts, then the trial fails with that error text", async (t) => {
    const f = (await fixture(t, xorSweep({ search: undefined, maxAttempts: 2 })));
    const [a1] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.deepEqual((await f.sched.recordResults("r-1", batch(failed(ref(a1), "NaN in layer 1")))).statuses, ["stored"]);
    let row = (await f.store.trial(a1.trialId))!;
    assert.equal(row.state, "queued");
    assert.equal(row.last_error, "NaN in layer 1");
    assert.equal((await f.store.attempt(a1.trialId, 1))?.outcome, "failed");
    assert.equal((await f.store.attempt(a1.trialId, 1))?.error, "NaN in layer 1");
    assert.equal((await f.store.sweep(f.sweepId))!.state, "running");

    // Resending the same failure changes nothing.
    assert.notEqual((await f.sched.recordResults("r-1", batch(failed(ref(a1), "NaN in layer 1")))).statuses[0], "refused");
    assert.equal((await f.store.trial(a1.trialId))!.state, "queued");

    const [a2] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    assert.equal(a2.attempt, 2);
    assert.deepEqual((await f.sched.recordResults("r-1", batch(failed(ref(a2), "out of memory")))).statuses, ["stored"]);
    row = (await f.store.trial(a1.trialId))!;
    assert.equal(row.state, "failed");
    assert.equal(row.last_error, "out of memory");
    assert.equal((await f.store.result(a1.trialId)), undefined);
    assert.deepEqual((await f.sched.leaseTrials("r-1", 1)), []);
    assert.equal((await f.store.sweep(f.sweepId))!.state, "done", "no trial queued or leased");
  });

  test(`${label}: ` + "an experiment's failure ends its trial at once; a diverged one keeps its finite reports; the machine's failures run again", async (t) => {
    const f = (await fixture(t, xorSweep({ maxAttempts: 2 })));
    const [thrown, nan, crashed, handedBack] = (await f.sched.leaseTrials("r-1", 4)) as [UnsignedLease, UnsignedLease, UnsignedLease, UnsignedLease];
    const reports = outcome("ab".repeat(32), 2).reports;
    const statuses = (await f.sched.recordResults("r-1", batch(
      { ...failed(ref(thrown), "TypeError: x is undefined\n    at run (exp/experiment.ts:7:11)"), failure: "experiment" },
      { ...failed(ref(nan), 'diverged: report 3: metric "trainLoss" is NaN'), failure: "diverged", outcome: { ...outcome("ab".repeat(32), 2), metrics: {}, info: {}, reports } },
      { ...failed(ref(crashed), "worker thread crashed: out of memory"), failure: "infrastructure" },
    ))).statuses;
    assert.deepEqual(statuses, ["stored", "stored", "stored"]);
    let row = (await f.store.trial(thrown.trialId))!;
    assert.deepEqual([row.state, row.attempts, row.finished_at], ["failed", 1, T0 + 1], "failed after one attempt, not retried");
    assert.match(row.last_error ?? "", /experiment\.ts:7:11/, "the stack is kept");
    row = (await f.store.trial(nan.trialId))!;
    assert.deepEqual([row.state, row.attempts], ["diverged", 1]);
    assert.match(row.last_error ?? "", /NaN/);
    assert.equal((await f.store.attempt(nan.trialId, 1))?.outcome, "diverged");
    assert.deepEqual((await f.store.reportsOfAttempt(nan.trialId, 1)).map((r) => JSON.parse(r.metrics) as unknown), reports, "its finite reports are kept");
    assert.equal((await f.store.result(nan.trialId)), undefined, "a diverged trial has no result to rank");
    assert.equal((await f.store.trial(crashed.trialId))!.state, "queued", "a crashed thread's trial runs again");
    assert.equal((await f.store.countsBySweep(f.sweepId)).diverged, 1);

    // Handed back (an agent stopping): no attempt used, however often.
    await f.sched.renewLeases("r-1", [], [ref(handedBack)]);
    for (let i = 0; i < 3; i++) await f.sched.renewLeases("r-2", [], (await f.sched.leaseTrials("r-2", 6)).map(ref));
    const trials = await f.store.trialsByIds([crashed.trialId, handedBack.trialId]);
    assert.deepEqual(trials.map((x) => [x.state, x.attempts]), [["queued", 4], ["queued", 4]]);
    assert.deepEqual((await f.store.attemptsOf(handedBack.trialId)).map((a) => a.outcome), ["released", "released", "released", "released"]);

    // The crashed trial's next lease expires: the attempt says so, the trial keeps its real error, and it fails (2 failures).
    const out = await f.sched.leaseTrials("r-3", 6);
    const retry = out.find((l) => l.trialId === crashed.trialId);
    await f.sched.renewLeases("r-3", [], out.filter((l) => l !== retry).map(ref));
    assert.ok(retry, "the crashed trial was leased again");
    f.advance(30_001);
    await f.sched.expireLeases();
    row = (await f.store.trial(crashed.trialId))!;
    assert.equal(row.state, "failed", "out of attempts: one crash, one expiry");
    assert.equal(row.last_error, "worker thread crashed: out of memory", "the expiry did not replace the stored error");
    assert.match((await f.store.attempt(crashed.trialId, retry.attempt))?.error ?? "", /lease expired/);
  });

  test(`${label}: ` + "the sweep is done only when no trial is queued or leased", async (t) => {
    const f = (await fixture(t));
    const leases = (await f.sched.leaseTrials("r-1", 6));
    assert.equal(leases.length, 6);
    const [last, ...rest] = leases as [UnsignedLease, ...UnsignedLease[]];
    (await f.sched.recordResults("r-1", batch(...rest.map((l) => done(ref(l))))));
    assert.equal((await f.store.sweep(f.sweepId))!.state, "running", "one trial still leased");
    f.advance(1234);
    (await f.sched.recordResults("r-1", batch(done(ref(last)))));
    const sweep = (await f.store.sweep(f.sweepId))!;
    assert.equal(sweep.state, "done");
    assert.equal(sweep.finished_at, T0 + 1234);
    assert.deepEqual((await f.store.countsBySweep(f.sweepId)), { queued: 0, leased: 0, done: 6, pruned: 0, diverged: 0, failed: 0, cancelled: 0 });
  });

  // ---------------------------------------------------------------------------------------
  // recordMetrics

  test(`${label}: ` + "recordMetrics accepts only metrics of attempts the relay holds", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    const [b] = (await f.sched.leaseTrials("r-2", 1)) as [UnsignedLease];
    const m = (step: number) => ({ step, values: { epoch: step, "val/loss": 0.6, testAccuracy: 0.7 } });
    const accepted = (await f.sched.recordMetrics("r-1", {
      items: [
        { ...ref(a), ...m(1) },
        { ...ref(a), ...m(2) },
        { ...ref(b), ...m(1) },                        // r-2's trial
        { trialId: a.trialId, attempt: 2, ...m(1) },   // an attempt never leased
        { trialId: 9999, attempt: 1, ...m(1) },        // no such trial
      ],
    }));
    assert.equal(accepted, 2);
    assert.deepEqual((await f.store.reportsOf(a.trialId)).map((r) => [r.attempt, r.step, JSON.parse(r.metrics)["val/loss"]]), [[1, 1, 0.6], [1, 2, 0.6]]);
    assert.deepEqual((await f.store.reportsOf(b.trialId)), []);
    assert.equal((await f.sched.recordMetrics("r-2", { items: [{ ...ref(b), ...m(1) }] })), 1);
    assert.equal((await f.store.reportsOf(b.trialId)).length, 1);
  });

  // ---------------------------------------------------------------------------------------
  // issueCommand

  test(`${label}: ` + "pause stops leasing a sweep's trials and resume restores it", async (t) => {
    const f = (await fixture(t));
    const other = (await registerSweep(f.store, parseSweepConfig(xorSweep({ name: "other", search: undefined })), { now: f.now() })).sweepId;
    const pause = (await f.sched.issueCommand({ kind: "pause", sweepId: f.sweepId }));
    assert.equal(pause.kind, "pause");
    assert.equal(pause.sweepId, f.sweepId);
    assert.equal((await f.store.sweep(f.sweepId))!.state, "paused");
    assert.equal((await f.store.sweep(other))!.state, "running", "only the named sweep pauses");
    const leased = (await f.sched.leaseTrials("r-1", 10));
    assert.deepEqual(leased.map((l) => l.sweepId), [other], "only the running sweep's trial");

    (await f.sched.issueCommand({ kind: "resume", sweepId: f.sweepId }));
    assert.equal((await f.store.sweep(f.sweepId))!.state, "running");
    const resumed = (await f.sched.leaseTrials("r-1", 10));
    assert.equal(resumed.length, 6);
    assert.ok(resumed.every((l) => l.sweepId === f.sweepId));

    // Without a sweep id, pause applies to every running sweep.
    (await f.sched.issueCommand({ kind: "pause" }));
    assert.equal((await f.store.sweep(f.sweepId))!.state, "paused");
  });

  test(`${label}: ` + "cancel of a sweep cancels its queued and leased trials and marks it cancelled", async (t) => {
    const f = (await fixture(t));
    const leases = (await f.sched.leaseTrials("r-1", 2));
    const [doneOne] = leases as [UnsignedLease];
    (await f.sched.recordResults("r-1", batch(done(ref(doneOne)))));
    f.advance(100);
    const cmd = (await f.sched.issueCommand({ kind: "cancel", sweepId: f.sweepId }));
    assert.equal(cmd.kind, "cancel");
    assert.equal(cmd.sweepId, f.sweepId);
    assert.equal(cmd.trialId, null);
    const sweep = (await f.store.sweep(f.sweepId))!;
    assert.equal(sweep.state, "cancelled");
    assert.equal(sweep.finished_at, T0 + 100);
    assert.deepEqual((await f.store.countsBySweep(f.sweepId)), { queued: 0, leased: 0, done: 1, pruned: 0, diverged: 0, failed: 0, cancelled: 5 });
    assert.equal((await f.store.attempt(leases[1]!.trialId, 1))?.outcome, "cancelled", "the running attempt is closed");
    assert.deepEqual((await f.sched.leaseTrials("r-1", 10)), []);
    // The cancelled trial's relay is told to stop it, and its late result stores nothing.
    assert.deepEqual((await f.sched.renewLeases("r-1", [ref(leases[1]!)], [])).revoked, [ref(leases[1]!)]);
    assert.equal((await f.sched.recordResults("r-1", batch(done(ref(leases[1]!))))).statuses[0], "stale");
    assert.equal((await f.store.result(leases[1]!.trialId)), undefined);
    assert.equal((await f.store.trial(leases[1]!.trialId))!.state, "cancelled");
  });

  test(`${label}: ` + "cancel of one trial cancels only that trial", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    const queued = (await f.store.trialsOfSweep(f.sweepId)).find((x) => x.state === "queued")!;
    const c1 = (await f.sched.issueCommand({ kind: "cancel", trialId: a.trialId }));
    assert.equal(c1.trialId, a.trialId);
    (await f.sched.issueCommand({ kind: "cancel", trialId: queued.id }));
    assert.equal((await f.store.trial(a.trialId))!.state, "cancelled");
    assert.equal((await f.store.attempt(a.trialId, 1))?.outcome, "cancelled");
    assert.equal((await f.store.trial(queued.id))!.state, "cancelled");
    assert.deepEqual((await f.store.countsBySweep(f.sweepId)), { queued: 4, leased: 0, done: 0, pruned: 0, diverged: 0, failed: 0, cancelled: 2 });
    assert.equal((await f.store.sweep(f.sweepId))!.state, "running");
    const rest = (await f.sched.leaseTrials("r-1", 10));
    assert.equal(rest.length, 4);
    assert.ok(!rest.some((l) => l.trialId === a.trialId || l.trialId === queued.id));
    // Cancelling the last trials one by one finishes the sweep.
    (await f.sched.recordResults("r-1", batch(...rest.slice(1).map((l) => done(ref(l))))));
    (await f.sched.issueCommand({ kind: "cancel", trialId: rest[0]!.trialId }));
    assert.equal((await f.store.sweep(f.sweepId))!.state, "done");
  });

  test(`${label}: ` + "commands get increasing sequence numbers and commandsAfter returns only later ones", async (t) => {
    const f = (await fixture(t));
    const bundle = "12".repeat(32);
    const issued = [
      (await f.sched.issueCommand({ kind: "pause", sweepId: f.sweepId })),
      (await f.sched.issueCommand({ kind: "resume", sweepId: f.sweepId })),
      (await f.sched.issueCommand({ kind: "update", bundleSha: bundle })),
      (await f.sched.issueCommand({ kind: "shutdown" })),
    ];
    const seqs = issued.map((c) => c.seq);
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), `increasing: ${seqs}`);
    assert.ok(seqs[0]! >= 1);
    assert.deepEqual((await f.sched.commandsAfter(0)), issued);
    assert.deepEqual((await f.sched.commandsAfter(seqs[1]!)).map((c) => c.kind), ["update", "shutdown"]);
    assert.equal((await f.sched.commandsAfter(seqs[1]!))[0]!.bundleSha, bundle);
    assert.deepEqual((await f.sched.commandsAfter(seqs[3]!)), []);
    // Sequence numbers survive a restart and keep increasing.
    (await f.reopen());
    assert.deepEqual((await f.sched.commandsAfter(seqs[2]!)).map((c) => c.seq), [seqs[3]]);
    const next = (await f.sched.issueCommand({ kind: "pause" }));
    assert.ok(next.seq > seqs[3]!);
  });

  // ---------------------------------------------------------------------------------------
  // registerSweep

  test(`${label}: ` + "registerSweep resumes the same sweep, refuses a changed config, and --new makes another", async (t) => {
    const f = (await fixture(t));
    const before = (await f.store.allTrials()).length;
    assert.equal(before, 6);
    // Mark some progress, so a resume must keep it.
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    (await f.sched.recordResults("r-1", batch(done(ref(a)))));

    const again = (await registerSweep(f.store, parseSweepConfig(xorSweep())));
    assert.deepEqual(again, { sweepId: f.sweepId, resumed: true, trials: 6 });
    assert.equal((await f.store.allTrials()).length, 6, "no trial added twice");
    assert.equal((await f.store.trial(a.trialId))!.state, "done", "done trials stay done");

    const changed = parseSweepConfig(xorSweep({ train: { epochs: 3, batch: 16, lr: 0.1 } }));
    await assert.rejects(registerSweep(f.store, changed), (err: unknown) => {
      assert.ok(err instanceof SweepConflictError);
      assert.match(err.message, /xor-lr/);
      assert.match(err.message, /rename/);
      assert.match(err.message, /--new/);
      return true;
    });
    assert.equal((await f.store.sweeps()).length, 1, "a refused config adds nothing");

    const fresh = (await registerSweep(f.store, changed, { forceNew: true }));
    assert.equal(fresh.resumed, false);
    assert.notEqual(fresh.sweepId, f.sweepId);
    assert.equal(fresh.trials, 6);
    assert.equal((await f.store.sweepsByName("xor-lr")).length, 2);
    assert.equal((await f.store.trialsOfSweep(fresh.sweepId)).length, 6);
    assert.ok((await f.store.trialsOfSweep(fresh.sweepId)).every((x) => x.state === "queued"));
    assert.equal((await f.store.allTrials()).length, 12);
    // The new config now resumes the new sweep.
    assert.deepEqual((await registerSweep(f.store, changed)), { sweepId: fresh.sweepId, resumed: true, trials: 6 });
  });

  // ---------------------------------------------------------------------------------------
  // persistence

  test(`${label}: ` + "the store keeps trial states, attempts and results across a close and reopen", async (t) => {
    const f = (await fixture(t));
    const leases = (await f.sched.leaseTrials("r-1", 3)) as [UnsignedLease, UnsignedLease, UnsignedLease];
    (await f.sched.recordResults("r-1", batch(done(ref(leases[0]), "aa".repeat(32)), failed(ref(leases[1]), "boom"))));
    (await f.sched.issueCommand({ kind: "pause", sweepId: f.sweepId }));
    const snapshot = (await f.store.allTrials());

    (await f.reopen());
    assert.deepEqual((await f.store.allTrials()), snapshot);
    assert.equal((await f.store.trial(leases[0].trialId))!.state, "done");
    assert.equal((await f.store.result(leases[0].trialId))!.result_sha, "aa".repeat(32));
    assert.equal((await f.store.reportsOf(leases[0].trialId)).length, 2);
    assert.equal((await f.store.trial(leases[1].trialId))!.state, "queued");
    assert.equal((await f.store.trial(leases[1].trialId))!.last_error, "boom");
    assert.equal((await f.store.trial(leases[2].trialId))!.state, "leased");
    assert.equal((await f.store.trial(leases[2].trialId))!.lease_relay, "r-1");
    assert.equal((await f.store.sweep(f.sweepId))!.state, "paused");

    // The reopened scheduler carries on: the lease still belongs to r-1 and its result is stored.
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(leases[2]))))).statuses, ["stored"]);
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(leases[0]))))).statuses, ["duplicate"]);
    // And the same config resumes the stored sweep.
    assert.equal((await registerSweep(f.store, parseSweepConfig(xorSweep()))).sweepId, f.sweepId);
  });

  test(`${label}: ` + "reports of an ended trial are refused and stored ones stay; steps past the config's epochs are refused", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    const item = (step: number, loss: number) => ({ ...ref(a), step, values: { trainLoss: loss } });
    assert.equal((await f.sched.recordMetrics("r-1", { items: [item(1, 0.9), item(2, 0.8), item(3, 0.7)] })), 2, "the sweep trains 2 epochs: step 3 is refused");
    assert.deepEqual((await f.sched.recordResults("r-1", batch(done(ref(a))))).statuses, ["stored"]);
    const stored = (await f.store.reportsOf(a.trialId)).map((r) => r.metrics);
    assert.equal((await f.sched.recordMetrics("r-1", { items: [item(1, 123), item(2, 456)] })), 0, "the trial has ended");
    assert.deepEqual((await f.store.reportsOf(a.trialId)).map((r) => r.metrics), stored, "its stored reports are unchanged");
    const [b] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    const tooMany = { ...done(ref(b)), outcome: outcome("ab".repeat(32), 3) };
    assert.deepEqual((await f.sched.recordResults("r-1", batch(tooMany))).statuses, ["refused"], "a result with more reports than epochs");
    assert.equal((await f.store.result(b.trialId)), undefined);
  });

  test(`${label}: ` + "after a restart, leases get one lease period of grace from the restart", async (t) => {
    const f = (await fixture(t));
    const [a] = (await f.sched.leaseTrials("r-1", 1)) as [UnsignedLease];
    f.advance(29_000);
    (await f.reopen());
    assert.equal((await f.store.graceLeases(f.now())), 1);
    f.advance(29_000);
    assert.equal((await f.sched.expireLeases()), 0, "58 s after the lease, 29 s after the restart: still running");
    assert.equal((await f.store.trial(a.trialId))!.state, "leased");
    f.advance(2_000);
    assert.equal((await f.sched.expireLeases()), 1, "then it expires as usual");
  });

  decisionConformance(label, (t, config) => makeFixture(t, backend, config));
  stateConformance(label, (t, config) => makeFixture(t, backend, config));
}
