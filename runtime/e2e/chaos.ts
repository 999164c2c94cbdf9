// Seeded chaos: for a set time a driver kills (SIGKILL) and restarts random agents and
// relays while a sweep runs; the sweep must still end complete and exact. Run on SQLite here
// (chaos.test.ts) and on PostgreSQL (postgres.test.ts).
// DISCALC_CHAOS_SEED and DISCALC_CHAOS_SECONDS replay or lengthen a run.
import assert from "node:assert/strict";
import { Cluster, waitFor, type Proc } from "./cluster.ts";
import { prng } from "./fuzz-requests.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";

export const SEED = Number(process.env.DISCALC_CHAOS_SEED ?? 7);
export const SECONDS = Number(process.env.DISCALC_CHAOS_SECONDS ?? 20);

const SWEEP = {
  name: "chaos",
  dataset: { name: "moons", train: 2000, test: 200, noise: 0.1 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 40, batch: 8, optimizer: "adam", lr: 0.01 },
  leaseSeconds: 3,
  maxAttempts: 20,
  search: { method: "grid", repeats: 30, parameters: { "train.lr": [0.003, 0.01] } },
};

/** Runs the chaos scenario on a cluster; `controllerArgs` choose its store. */
export async function runChaos(c: Cluster, controllerArgs: string[] = []): Promise<void> {
  await c.startController(c.writeConfig("chaos", SWEEP), { extra: controllerArgs });
  const relays: Proc[] = [c.startRelay(), c.startRelay()];
  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "relay" && n.url).length === 2, 30_000, "relays", () => c.dump());
  const agents: Proc[] = [c.startAgent(1), c.startAgent(1), c.startAgent(1)];
  const r = prng(SEED);
  const events: string[] = [];
  const end = Date.now() + SECONDS * 1000;
  const alive = (ps: Proc[]) => ps.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  while (Date.now() < end && (await c.client.get("sweep", {}, { id: 1 })).state !== "done") {
    await new Promise((res) => setTimeout(res, 1500 + r.int(2500)));
    const pool = r.next() < 0.7 ? agents : relays;
    const live = alive(pool);
    if (live.length > 1 && r.next() < 0.6) {
      const victim = r.pick(live);
      c.signal(victim, "SIGKILL");
      await victim.exited;
      events.push(`kill ${victim.name} ${victim.child.pid}`);
    } else {
      pool.push(pool === agents ? c.startAgent(1) : c.startRelay());
      events.push(`start ${pool === agents ? "agent" : "relay"}`);
    }
  }
  console.log(`# chaos seed ${SEED}: ${events.join(", ")}`);
  // Calm: make sure the fleet can finish the work.
  if (alive(relays).length === 0) relays.push(c.startRelay());
  while (alive(agents).length < 2) agents.push(c.startAgent(1));
  await waitForSweepEnd(c, 180_000);
  const trials = await verifyExactlyOnce(c, SWEEP);
  assert.ok(events.some((e) => e.startsWith("kill")), "the driver killed something");
  console.log(`# chaos: ${trials.filter((t) => t.attempts > 1).length} of ${trials.length} trials needed more than one lease`);
}
