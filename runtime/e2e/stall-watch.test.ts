// End to end, the stall watch: a trial that waits at a rung for an earlier one that runs a long
// step without reporting makes no progress for longer than the controller's stall time
// (DISCALC_STALL_SECONDS, short here), and the controller says why in its log, in
// GET /api/sweeps/:id (`stalled`) and in `discalc status`; once the slow trial reports, the
// sweep goes on and ends with nothing stalled.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor, type Proc } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/stalls", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

test("a sweep that waits on a silent trial is reported stalled, with who waits on what, until it goes on", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  // Trial 1 sleeps 20 s before its first report; trial 2 reaches rung 1 at once and waits for it.
  const ctl = await c.startController(c.writeConfig("sweep", {
    name: "e2e-stall", experiment: EXPERIMENT, metric: { name: "score", goal: "maximize" },
    epochs: 2, slowAt: 0.45, slowMs: 20_000,
    early_stopping: { rule: "asha", min_epochs: 1, reduction: 2 },
    search: { method: "grid", parameters: { x: [0.45, 0.3] } },
  }), { env: { DISCALC_STALL_SECONDS: "2" } });
  c.startAgent(2);
  // (Before trial 2 reaches its rung the sweep may already count as stalled, with nothing waiting yet.)
  const stalled = await waitFor(async () => {
    const s = (await c.client.get("sweep", {}, { id: 1 })).stalled;
    return s?.waiting.length ? s : undefined;
  }, 60_000, "the sweep to be reported stalled with a trial waiting", () => c.dump());
  assert.deepEqual(stalled.waiting, [{ trialId: 2, step: 1, waitingFor: [{ trialId: 1, state: "leased" }] }]);
  assert.equal(stalled.leased, 2);
  assert.ok(stalled.seconds >= 2, JSON.stringify(stalled));
  assert.match(stalled.summary, /^no trial has made progress for \d+ s \(2 leased, 0 queued\): trial 2 waits at step 1 for 1 \(leased\)$/);
  await waitFor(async () => ctl.log.some((l) => l.includes('stall: sweep 1 \\"e2e-stall\\": no trial has made progress') && l.includes("trial 2 waits at step 1 for 1 (leased)")),
    10_000, "the stall in the controller's log", () => ctl.log.join("\n"));

  const status: Proc = c.spawn("status", ["status", "--controller", c.url]);
  assert.equal(await status.exited, 0, status.log.join("\n"));
  // The last chunks of output may land just after the exit event.
  await new Promise((r) => setTimeout(r, 50));
  assert.match(status.log.join("\n"), /^ {6}!! STALLED: no trial has made progress for \d+ s \(2 leased, 0 queued\): trial 2 waits at step 1 for 1 \(leased\)$/m);

  const done = await waitForSweepEnd(c, 90_000);
  assert.equal(done.state, "done");
  assert.equal((await c.client.get("sweep", {}, { id: 1 })).stalled, null, "nothing stalled once it ended");
});
