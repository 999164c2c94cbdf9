// Part of the store conformance suite: decisions (rung verdicts, the searcher's observations,
// parameter importance) read only the attempt that runs or produced the stored result, so a
// worker that posts made-up values and hands its trials back decides nothing.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { Fixture } from "./store-fixture.ts";
import type { UnsignedLease, TrialRef, TrialResult } from "../../../../protocol/messages.ts";
import { observationsOf } from "../../sweeps/propose-trials.ts";
import { sweepImportance } from "../../api/api-views.ts";

const T0 = 1_700_000_000_000;

/** 9 points of one parameter, 3 epochs, ASHA deciding at report 1 on testAccuracy. */
const ashaSweep = {
  name: "asha-attempts",
  dataset: { name: "xor", train: 40, test: 10 },
  model: { hidden: [2] },
  train: { epochs: 3, batch: 8, lr: 0.1 },
  metric: { name: "testAccuracy", goal: "maximize" },
  search: { method: "grid", parameters: { "train.lr": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09] } },
  early_stopping: { rule: "asha", min_epochs: 1, reduction: 3 },
  leaseSeconds: 30,
  maxAttempts: 3,
};

/** Each trial's honest value at every report: the clean run prunes one trial (index 3) of 9. */
const HONEST = [0.5, 0.6, 0.7, 0.2, 0.8, 0.85, 0.9, 0.95, 0.99];

const ref = (l: UnsignedLease): TrialRef => ({ trialId: l.trialId, attempt: l.attempt });

function ended(r: TrialRef, value: number, status: "done" | "pruned"): TrialResult {
  const reports = Array.from({ length: status === "done" ? 3 : 1 }, () => ({ testAccuracy: value }));
  return {
    ...r, status, workerId: "w-000000000001", error: null, finishedAt: T0 + 1,
    outcome: { reports, metrics: { testAccuracy: value }, resultSha256: "ab".repeat(32), info: {}, runMs: 1 },
  };
}

/** Runs the honest trials in sweep order: each asks at rung 1, then ends as the rule said. */
async function honestRun(f: Fixture, relay: string): Promise<string[]> {
  const leases = (await f.sched.leaseTrials(relay, 9)).sort((a, b) => a.trialId - b.trialId);
  assert.equal(leases.length, 9);
  const verdicts: string[] = [];
  for (const [i, l] of leases.entries()) {
    const { decision } = await f.sched.recordRung(relay, ref(l), 1, [{ testAccuracy: HONEST[i]! }]);
    verdicts.push(decision.decision);
    const status = decision.decision === "prune" ? "pruned" : "done";
    assert.deepEqual((await f.sched.recordResults(relay, { batchId: `b-${i}`, results: [ended(ref(l), HONEST[i]!, status)] })).statuses, ["stored"]);
  }
  return verdicts;
}

/** What the searcher and the importance view read from a finished sweep. */
async function whatDecisionsRead(f: Fixture) {
  const trials = await f.store.trialsOfSweep(f.sweepId);
  return {
    states: trials.map((t) => t.state),
    observations: await observationsOf(f.store, trials),
    importance: await sweepImportance(f.store, (await f.store.sweep(f.sweepId))!),
  };
}

export function decisionConformance(label: string, fixture: (t: TestContext, config: object) => Promise<Fixture>): void {
  test(`${label}: ` + "a handed-back attempt's rung reports decide nothing: poisoned and clean runs prune, propose and rank alike", async (t) => {
    const clean = await fixture(t, ashaSweep);
    const cleanVerdicts = await honestRun(clean, "r-honest");
    assert.deepEqual(cleanVerdicts.filter((v) => v === "prune").length, 1, `the clean run prunes 1 of 9: ${cleanVerdicts}`);

    // The attacker takes every trial, posts the best value there is at rung 1, and hands them all back.
    const poisoned = await fixture(t, ashaSweep);
    const taken = await poisoned.sched.leaseTrials("r-evil", 9);
    for (const l of taken) await poisoned.sched.recordRung("r-evil", ref(l), 1, [{ testAccuracy: 1 }]);
    await poisoned.sched.renewLeases("r-evil", [], taken.map(ref));
    assert.ok((await poisoned.store.trialsOfSweep(poisoned.sweepId)).every((t) => t.state === "queued"), "all handed back");
    // One more made-up value, on an attempt that failed (a worker may say so itself): it decides nothing either.
    const [again] = await poisoned.sched.leaseTrials("r-evil", 1);
    await poisoned.sched.recordRung("r-evil", ref(again!), 1, [{ testAccuracy: 1 }]);
    await poisoned.sched.recordResults("r-evil", { batchId: "f", results: [{ ...ref(again!), status: "failed", workerId: "w-000000000002", error: "made up", outcome: null, finishedAt: T0 }] });

    assert.deepEqual(await honestRun(poisoned, "r-honest"), cleanVerdicts, "the honest re-runs get the clean run's verdicts");
    for (const t of await poisoned.store.trialsOfSweep(poisoned.sweepId)) {
      assert.doesNotMatch(t.last_error ?? "", /cutoff 1\)/, "no reason cites the made-up cutoff");
    }
    assert.deepEqual(await whatDecisionsRead(poisoned), await whatDecisionsRead(clean), "the searcher and importance read what the clean run gives them");
  });

  test(`${label}: ` + "a running trial's cohort value is its current attempt's, not an earlier one's", async (t) => {
    const f = await fixture(t, ashaSweep);
    const [first, second] = (await f.sched.leaseTrials("r-1", 2)).sort((a, b) => a.trialId - b.trialId);
    // Attempt 1 of the first trial reports a made-up 1 and is handed back; attempt 2 runs and has not reported yet.
    await f.sched.recordRung("r-1", ref(first!), 1, [{ testAccuracy: 1 }]);
    await f.sched.renewLeases("r-1", [ref(second!)], [ref(first!)]);
    const [rerun] = await f.sched.leaseTrials("r-1", 1);
    assert.equal(rerun!.attempt, 2);
    const waiting = await f.sched.recordRung("r-1", ref(second!), 1, [{ testAccuracy: 0.5 }]);
    assert.equal(waiting.decision.decision, "pending", "the earlier trial's value is not known until its running attempt reports it");
    await f.sched.recordRung("r-1", ref(rerun!), 1, [{ testAccuracy: 0.4 }]);
    const trial = (await f.store.trial(second!.trialId))!;
    assert.equal((await f.sched.rungDecision(trial, 1)).decision, "continue", "decided on attempt 2's 0.4");
  });
}
