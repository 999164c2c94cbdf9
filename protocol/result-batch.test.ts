// Result batches: good ones pass a quick check in place; the quick check must accept exactly
// what the detailed schema accepts unchanged, and leave everything else to it.
import { test } from "node:test";
import { assertSameDecision } from "./same-decision.ts";
import assert from "node:assert/strict";
import { ResultBatch, ResultBatchInDetail } from "./messages.ts";

const good = () => ({
  batchId: "w-1",
  results: [
    {
      trialId: 7, attempt: 1, status: "done", workerId: "w-0123456789ab", error: null, finishedAt: 1_700_000_000_000,
      outcome: {
        resultSha256: "ab".repeat(32), metrics: { trainLoss: 0.69, "test/acc": 0.5 },
        reports: [{ epoch: 1, trainLoss: 0.69 }], info: { paramCount: 9 }, runMs: 0.02,
      },
    },
    { trialId: 8, attempt: 2, status: "failed", workerId: "w-0123456789ab", error: "boom", outcome: null, finishedAt: 1 },
  ],
});
type Batch = ReturnType<typeof good>;

test("a good batch passes as it is, and as the detailed schema gives it", () => {
  const v = JSON.parse(JSON.stringify(good()));
  const out = ResultBatch.parse(v);
  assert.equal(out, v, "no copy");
  assert.deepEqual(out, ResultBatchInDetail.parse(JSON.parse(JSON.stringify(good()))));
});

/** One change to a good batch: a name for the failure message, and the change. */
const variants: Array<[string, (b: Batch) => void]> = [
  ["no error key (defaults to null)", (b) => delete (b.results[1] as Partial<Batch["results"][1]>).error],
  ["no outcome key (defaults to null)", (b) => delete (b.results[1] as Partial<Batch["results"][1]>).outcome],
  ["an extra key (stripped)", (b) => Object.assign(b.results[0]!, { extra: 1 })],
  ["an extra outcome key (stripped)", (b) => Object.assign(b.results[0]!.outcome!, { extra: 1 })],
  ["an extra batch key (stripped)", (b) => Object.assign(b, { extra: 1 })],
  ["trialId 0", (b) => (b.results[0]!.trialId = 0)],
  ["trialId 1.5", (b) => (b.results[0]!.trialId = 1.5)],
  ["trialId 2^53", (b) => (b.results[0]!.trialId = 2 ** 53)],
  ["trialId as a string", (b) => ((b.results[0] as Record<string, unknown>).trialId = "7")],
  ["attempt -1", (b) => (b.results[0]!.attempt = -1)],
  ["an unknown status", (b) => (b.results[0]!.status = "exploded")],
  ["failure experiment", (b) => Object.assign(b.results[1]!, { failure: "experiment" })],
  ["failure diverged with an outcome", (b) => Object.assign(b.results[1]!, { failure: "diverged", outcome: b.results[0]!.outcome })],
  ["failure infrastructure", (b) => Object.assign(b.results[1]!, { failure: "infrastructure" })],
  ["an unknown failure", (b) => Object.assign(b.results[1]!, { failure: "cosmic ray" })],
  ["failure null", (b) => Object.assign(b.results[1]!, { failure: null })],
  ["workerId of 100", (b) => (b.results[0]!.workerId = "w".repeat(100))],
  ["workerId of 101", (b) => (b.results[0]!.workerId = "w".repeat(101))],
  ["error of 10,000", (b) => (b.results[1]!.error = "e".repeat(10_000))],
  ["error of 10,001", (b) => (b.results[1]!.error = "e".repeat(10_001))],
  ["error a number", (b) => ((b.results[1] as Record<string, unknown>).error = 5)],
  ["finishedAt Infinity", (b) => (b.results[0]!.finishedAt = Infinity)],
  ["finishedAt NaN", (b) => (b.results[0]!.finishedAt = Number.NaN)],
  ["finishedAt null", (b) => ((b.results[0] as Record<string, unknown>).finishedAt = null)],
  ["an upper-case SHA", (b) => (b.results[0]!.outcome!.resultSha256 = "AB".repeat(32))],
  ["a short SHA", (b) => (b.results[0]!.outcome!.resultSha256 = "ab")],
  ["runMs Infinity", (b) => (b.results[0]!.outcome!.runMs = Infinity)],
  ["a metric NaN", (b) => (b.results[0]!.outcome!.metrics.trainLoss = Number.NaN)],
  ["a bad metric name", (b) => Object.assign(b.results[0]!.outcome!.metrics, { "bad name": 1 })],
  ["a report not an object", (b) => ((b.results[0]!.outcome!.reports as unknown[])[0] = 3)],
  ["reports not an array", (b) => ((b.results[0]!.outcome as Record<string, unknown>).reports = {})],
  ["outcome an array", (b) => ((b.results[0] as Record<string, unknown>).outcome = [])],
  ["a result null", (b) => ((b.results as unknown[])[0] = null)],
  ["batchId of 101", (b) => (b.batchId = "b".repeat(101))],
  ["results not an array", (b) => ((b as Record<string, unknown>).results = {})],
  ["no results", (b) => (b.results = [])],
  ["10,001 results", (b) => (b.results = Array.from({ length: 10_001 }, () => b.results[1]!))],
  ["an own __proto__ key from JSON", () => {}],
  ["a hole in the results", (b) => ((b.results as unknown[]).length = 3)],
  ["a hole in the reports", (b) => ((b.results[0]!.outcome!.reports as unknown[]).length = 2)],
  ["a result with a null prototype (copied)", (b) => Object.setPrototypeOf(b.results[0]!, null)],
];

test("every change to a good batch is decided as the detailed schema decides it", () => {
  for (const [name, change] of variants) {
    const make = () => {
      const b = good();
      change(b);
      // JSON.parse makes an own "__proto__" key: in a result, the detailed schema strips it.
      if (name.includes("__proto__")) return JSON.parse(JSON.stringify(b).replace('"trialId":7', '"__proto__":{"x":1},"trialId":7')) as unknown;
      return b;
    };
    assertSameDecision(name, ResultBatch, ResultBatchInDetail, make);
  }
});
