// The check every fault scenario ends with: the sweep is complete, every trial stored
// exactly once, and every weight hash equal to the trial's reproduction in this process.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Cluster, freePort, waitFor, type ApiSweep, type ApiTrial } from "./cluster.ts";
import { tmpdir } from "node:os";
import { reproducer } from "./reproduce.ts";

/**
 * Runs a sweep to its end on a fleet of its own (a controller, a relay daemon when `viaRelay`,
 * an agent of `threads`) and answers its trials with their reports; the fleet is stopped after.
 * `clusters` collects it, so a test's after() stops it if an assertion fails first.
 */
export async function sweepOnFleet(
  clusters: Cluster[], config: unknown, o: { threads: number; viaRelay: boolean; timeoutMs: number },
): Promise<ApiTrial[]> {
  const c = new Cluster();
  clusters.push(c);
  await c.startController(c.writeConfig("sweep", config));
  if (o.viaRelay) {
    c.startRelay();
    await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url && n.state === "alive"),
      30_000, "the relay", () => c.dump());
  }
  c.startAgent(o.threads);
  const s = await waitForSweepEnd(c, o.timeoutMs);
  assert.equal(s.state, "done", c.dump());
  const trials = await c.client.getAll("trials", { sweep: 1, metrics: 1 });
  await c.stopAll();
  return trials;
}

/**
 * Runs a sweep to its end on a controller (its own data dir, a fixed port) and an agent of
 * `threads`; with `restartAfter`, the controller is killed with SIGKILL once that many trials
 * are done and restarted on the same data, where the agent finds it again. `inspect` sees the
 * running fleet and its trials before it is stopped.
 */
export async function sweepAcrossRestart(
  clusters: Cluster[], config: unknown,
  o: { threads: number; restartAfter?: number; timeoutMs: number; inspect?: (c: Cluster, trials: ApiTrial[]) => Promise<void> },
): Promise<ApiTrial[]> {
  const c = new Cluster();
  clusters.push(c);
  const path = c.writeConfig("sweep", config);
  const data = join(c.dir, "data");
  const port = await freePort();
  const controller = await c.startController(path, { data, port });
  c.startAgent(o.threads);
  if (o.restartAfter !== undefined) {
    await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).counts.done >= o.restartAfter!, o.timeoutMs / 2, "some results", () => c.dump());
    c.signal(controller, "SIGKILL");
    await controller.exited;
    await c.startController(path, { data, port });
  }
  const s = await waitForSweepEnd(c, o.timeoutMs);
  assert.equal(s.state, "done", c.dump());
  const trials = await c.client.getAll("trials", { sweep: 1 });
  await o.inspect?.(c, trials);
  await c.stopAll();
  return trials;
}

export async function waitForSweepEnd(c: Cluster, timeoutMs = 120_000): Promise<ApiSweep> {
  return waitFor(async () => {
    const s = await c.client.get("sweep", {}, { id: 1 });
    return s.state === "done" || s.state === "cancelled" ? s : undefined;
  }, timeoutMs, "the sweep to end", () => c.dump());
}

/** Asserts exactly-once storage and reproducible hashes; returns the trials. `baseDir` anchors the config's paths. */
export async function verifyExactlyOnce(c: Cluster, sweepInput: unknown, opts: { failed?: number; baseDir?: string } = {}): Promise<ApiTrial[]> {
  const trials = await c.client.getAll("trials", { metrics: 1,  sweep: 1 });
  const alone = await reproducer(sweepInput, opts.baseDir ?? tmpdir());
  assert.equal(trials.length, alone.trials.length, "every trial of the sweep exists once");
  const failed = trials.filter((t) => t.state === "failed");
  assert.equal(failed.length, opts.failed ?? 0, `failed trials: ${JSON.stringify(failed.map((t) => [t.id, t.error]))}`);
  for (const t of trials) {
    if (t.state === "failed") continue;
    assert.equal(t.state, "done", `trial ${t.id} is ${t.state}`);
    const stored = t.attemptLog.filter((a) => a.outcome === "done");
    assert.equal(stored.length, 1, `trial ${t.id} stored once: ${JSON.stringify(t.attemptLog)}`);
    assert.equal(t.resultSha256, (await alone.run(t.index)).resultSha256, `trial ${t.id} reproduces`);
  }
  return trials;
}
