// The check every fault scenario ends with: the sweep is complete, every trial stored
// exactly once, and every weight hash equal to the trial's reproduction in this process.
import assert from "node:assert/strict";
import type { Cluster, ApiSweep, ApiTrial } from "./cluster.ts";
import { waitFor } from "./cluster.ts";
import { parseSweepConfig } from "../controller/sweep-config.ts";
import { expandSweep } from "../controller/expand-sweep.ts";
import { compileKernels, instantiateKernels } from "../../kernels/load.ts";
import { trainMlp } from "../../kernels/mlp.ts";

export async function waitForSweepEnd(c: Cluster, timeoutMs = 120_000): Promise<ApiSweep> {
  return waitFor(async () => {
    const s = await c.api<ApiSweep>("/api/sweeps/1");
    return s.state === "done" || s.state === "cancelled" ? s : undefined;
  }, timeoutMs, "the sweep to end", () => c.dump());
}

/** Asserts exactly-once storage and reproducible hashes; returns the trials. */
export async function verifyExactlyOnce(c: Cluster, sweepInput: unknown, opts: { failed?: number } = {}): Promise<ApiTrial[]> {
  const trials = await c.api<ApiTrial[]>("/api/trials?sweep=1");
  const expanded = expandSweep(parseSweepConfig(sweepInput));
  assert.equal(trials.length, expanded.length, "every trial of the sweep exists once");
  const failed = trials.filter((t) => t.state === "failed");
  assert.equal(failed.length, opts.failed ?? 0, `failed trials: ${JSON.stringify(failed.map((t) => [t.id, t.error]))}`);
  const module = await compileKernels();
  for (const t of trials) {
    if (t.state === "failed") continue;
    assert.equal(t.state, "done", `trial ${t.id} is ${t.state}`);
    const stored = t.attemptLog.filter((a) => a.outcome === "done");
    assert.equal(stored.length, 1, `trial ${t.id} stored once: ${JSON.stringify(t.attemptLog)}`);
    const alone = trainMlp(instantiateKernels(module), expanded[t.index]!.config);
    assert.equal(t.weightsSha256, alone.weightsSha256, `trial ${t.id} reproduces`);
  }
  return trials;
}
