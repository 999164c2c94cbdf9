// End to end, a sweep's end ("no tail"): two agents of one thread each under one relay daemon,
// trials of uneven length. The agent that draws the long trial also holds the next one in its
// reserve; once the other agent runs out of work, that reserve is handed back and runs there
// at once, instead of waiting for the long trial to end.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor, type ApiTrial } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/uneven", import.meta.url));
const LONG_MS = 8000;
/** How long a thread may sit idle while a trial waits in another agent's reserve. */
const IDLE_LIMIT_MS = 1000;

const SWEEP = {
  name: "e2e-tail",
  experiment: EXPERIMENT,
  metric: { name: "endedAt", goal: "minimize" },
  search: { method: "grid", parameters: { workMs: [LONG_MS, 300, 320, 340, 360, 380, 400, 420] } },
};

const c = new Cluster();
after(() => c.stopAll());

/** [trial, how long the other worker's thread had been idle when it started] for each trial that waited. */
function waitsWhileIdle(trials: ApiTrial[]): Array<{ trial: number; idleMs: number }> {
  const span = (t: ApiTrial) => ({ id: t.id, worker: t.workerId!, start: t.final!.startedAt!, end: t.final!.endedAt! });
  const runs = trials.map(span);
  const waits = [];
  for (const r of runs) {
    for (const other of new Set(runs.map((x) => x.worker))) {
      if (other === r.worker) continue;
      const mine = runs.filter((x) => x.worker === other);
      // Busy when r started, or not yet started at all (joining): not idle.
      if (mine.some((x) => x.start <= r.start && r.start < x.end)) continue;
      const ended = mine.filter((x) => x.end <= r.start).map((x) => x.end);
      if (!ended.length) continue;
      const idleMs = r.start - Math.max(...ended);
      if (idleMs > IDLE_LIMIT_MS) waits.push({ trial: r.id, idleMs });
    }
  }
  return waits;
}

test("at a sweep's end the reserve behind a long trial runs on the agent that idles, not after the long trial", { timeout: 120_000 }, async () => {
  await c.startController(c.writeConfig("tail", SWEEP));
  await c.admin("/api/commands?kind=pause&sweep=1");
  const relay = c.startRelay();
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url), 30_000, "the relay", () => c.dump());
  c.startAgent(1);
  c.startAgent(1);
  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "worker" && n.state === "alive").length === 2,
    30_000, "two agents", () => c.dump());
  await new Promise((r) => setTimeout(r, 1000)); // both polling
  await c.admin("/api/commands?kind=resume&sweep=1");
  const s = await waitForSweepEnd(c, 60_000);
  assert.equal(s.state, "done", c.dump());
  const trials = await c.client.getAll("trials", { sweep: 1 });
  assert.equal(trials.length, 8);
  // Handed back and handed out again by the relay itself: one attempt each, nothing released upstream.
  for (const t of trials) assert.deepEqual(t.attemptLog.map((a) => a.outcome), ["done"], `trial ${t.id}: ${JSON.stringify(t.attemptLog)}`);

  // What the relay asked back, from whom; each ran on the other agent.
  const asked = relay.log.flatMap((l) => {
    const m = /asking worker (\S+) to hand back (.+)$/.exec(l);
    return m ? m[2]!.split(", ").map((k) => ({ from: m[1]!, trial: Number(k.split(":")[0]) })) : [];
  });
  assert.ok(asked.length > 0, `the relay asked for a reserve back\n${c.dump()}`);
  const long = trials.find((t) => t.params.workMs === LONG_MS)!;
  for (const a of asked) {
    const t = trials.find((x) => x.id === a.trial)!;
    assert.equal(a.from, long.workerId, "the agent with the long trial is the one asked");
    assert.notEqual(t.workerId, a.from, `trial ${t.id} ran on the idle agent`);
  }
  // Every trial but the long one finished well before it did: none waited behind it.
  const longEnd = long.final!.endedAt!;
  for (const t of trials) if (t !== long) assert.ok(t.final!.endedAt! < longEnd - 2000, `trial ${t.id} ended ${longEnd - t.final!.endedAt!} ms before the long one`);
  assert.deepEqual(waitsWhileIdle(trials), [], "no trial waited in a reserve while a thread was idle");
});
