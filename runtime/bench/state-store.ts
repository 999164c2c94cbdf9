// The store's growth with trial states: one sweep run twice on a fresh controller and agent,
// once with checkpoints and kept final states (`keep: { top: 10 }`) and once without, each
// trial a model of `params` float32 weights. Checkpoints are dropped as trials end and only the
// ten best final states stay, so the store grows by about ten states, not by one per checkpoint.
import { statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor } from "../e2e/cluster.ts";
import { Store } from "../controller/store/store.ts";

const EXPERIMENT = fileURLToPath(new URL("../e2e/fixtures/checkpoints", import.meta.url));

export interface StateStoreSize {
  trials: number;
  /** discalc.sqlite, bytes: pages freed by dropped states are reused, not given back (SQLite keeps its peak). */
  fileBytes: number;
  /** Its write-ahead log, bytes: every state stored passes through it, and it keeps its largest size between checkpoints. */
  walBytes: number;
  /** What the trial_states rows hold (deflated), bytes. */
  stateBytes: number;
  keptStates: number;
}

const sweep = (trials: number, params: number, withStates: boolean) => ({
  name: withStates ? "states" : "no-states", experiment: EXPERIMENT, steps: 10, stepMs: 0, params,
  metric: { name: "value", goal: "maximize" },
  search: { method: "grid", repeats: trials / 10, parameters: { label: Array.from({ length: 10 }, (_, i) => i) } },
  ...(withStates ? { checkpoint: { every: 5 }, keep: { top: 10 } } : { keep: { top: 0 } }),
});

async function storeSize(trials: number, params: number, withStates: boolean, threads: number): Promise<StateStoreSize> {
  const c = new Cluster();
  const data = join(c.dir, "data");
  try {
    await c.startController(c.writeConfig("states", sweep(trials, params, withStates)), { data });
    c.startAgent(threads);
    await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).state === "done", 1_800_000, "the sweep", () => c.dump());
  } finally {
    await c.stopAll();
  }
  const store = await Store.open({ dir: data }, { serve: false });
  try {
    const file = join(data, "discalc.sqlite");
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    const kept = (await store.finalStatesOfSweep(1)).length;
    return { trials, fileBytes: size(file), walBytes: size(`${file}-wal`), stateBytes: await store.trialStatesSize(), keptStates: kept };
  } finally {
    await store.close();
  }
}

/** Runs both sweeps and prints them side by side; returns the figures. */
export async function printStateStoreSize(o: { trials: number; params: number; threads: number }): Promise<{ with: StateStoreSize; without: StateStoreSize }> {
  const trials = Math.max(10, Math.round(o.trials / 10) * 10);
  const withStates = await storeSize(trials, o.params, true, o.threads);
  const without = await storeSize(trials, o.params, false, o.threads);
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;
  console.log(`store size after a ${trials}-trial sweep (models of ${o.params} float32 weights, ${(o.params * 4 / 1024).toFixed(0)} KiB a state; 10 steps, 1 agent × ${o.threads} threads):`);
  const line = (s: StateStoreSize) => `${mib(s.fileBytes)} (WAL ${mib(s.walBytes)}; trial states ${mib(s.stateBytes)}, ${s.keptStates} final states kept)`;
  console.log(`  with checkpoints every 5 steps and keep top 10: ${line(withStates)}`);
  console.log(`  without (keep top 0, no checkpoints):            ${line(without)}`);
  return { with: withStates, without };
}
