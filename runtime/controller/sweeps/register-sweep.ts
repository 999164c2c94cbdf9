// Puts a sweep into the store, or finds it again: the same name and config hash resume the
// stored sweep (done trials stay done); a changed config under the same name is refused
// unless the caller asks for a new sweep.
import { storedSweepIdentity } from "./sweep-identity.ts";
import { recordLineage } from "./propose-trials.ts";
import type { Store } from "../store/store.ts";
import { type SweepConfig, sweepConfigHash } from "./sweep-config.ts";
import { expandSweep } from "./expand-sweep.ts";
import type { ExperimentEntry } from "../../experiments/experiment-entry.ts";

export class SweepConflictError extends Error {}

export interface RegisteredSweep {
  sweepId: number;
  resumed: boolean;
  trials: number;
}

/** `entry` is the experiment the sweep runs (the built-in network when not given). */
export async function registerSweep(store: Store, config: SweepConfig, opts: { forceNew?: boolean; now?: number; entry?: ExperimentEntry } = {}): Promise<RegisteredSweep> {
  const hash = sweepConfigHash(config);
  const existing = await store.sweepsByName(config.name);
  const same = existing.filter((s) => s.config_hash === hash).at(-1);
  if (same && !opts.forceNew) {
    return { sweepId: same.id, resumed: true, trials: await store.trialCount(same.id) };
  }
  const engine = config.build.engine;
  const older = existing.at(-1) && storedSweepIdentity(existing.at(-1)!.config).engine;
  if (existing.length && !opts.forceNew && engine !== undefined && older !== null && older !== undefined && older !== engine) {
    throw new SweepConflictError(
      `sweep "${config.name}" was started with engine ${older} of the built-in trainer; this discalc trains with engine ${engine}, ` +
      "whose weights differ (see the README's note on engines), so its stored results would not be reproduced: " +
      "rename the sweep, or pass --new to start a new sweep under the same name",
    );
  }
  if (existing.length && !opts.forceNew) {
    throw new SweepConflictError(
      `sweep "${config.name}" already exists in this store with a different config (hash ${existing.at(-1)!.config_hash.slice(0, 12)}, now ${hash.slice(0, 12)}); ` +
      "rename the sweep, or pass --new to start a new sweep under the same name",
    );
  }
  const trials = expandSweep(config, opts.entry);
  return store.tx(async () => {
    const sweepId = await store.insertSweep({
      name: config.name, config_hash: hash, config: JSON.stringify(config), lease_ms: Math.round(config.leaseSeconds * 1000),
      max_attempts: config.maxAttempts, fanout: config.relays.fanout, created_at: opts.now ?? Date.now(),
    });
    await store.insertTrials(trials.map((t) => ({
      sweep_id: sweepId, idx: t.index, point: t.point, repeat: t.repeat, params: JSON.stringify(t.params),
      seed: t.seed, config: JSON.stringify(t.config),
    })));
    await recordLineage(store, sweepId, config.search, config.metric.goal);
    return { sweepId, resumed: false, trials: trials.length };
  });
}
