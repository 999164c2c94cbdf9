// `discalc sweep extend`: more samples or repeats for a running or finished sweep. Existing
// trials are untouched: random samples are drawn from the same seeded stream (point k is the
// same whatever the total), new repeats take the next seeds, and a tpe sweep proposes on.
// The config's own hash stays the sweep's identity (its file still resumes it); the extension
// is kept beside it and applies wherever the search's size is read.
import type { Store, SweepRow } from "./store.ts";
import { MAX_TRIALS, type SweepConfig } from "./sweep-config.ts";
import { expandSweep, pointTrials, sweepSize } from "./expand-sweep.ts";
import type { SweepProposer } from "./propose-trials.ts";

export interface SweepExtension {
  /** The new total of sampled points (random, tpe). */
  samples?: number;
  /** The new total of seeds per point. */
  repeats?: number;
}

/** Refused extensions (a grid's samples, fewer than now, a cancelled sweep): the message names why. */
export class ExtendError extends Error {}

export function extensionOf(row: Pick<SweepRow, "extension">): SweepExtension {
  return row.extension ? (JSON.parse(row.extension) as SweepExtension) : {};
}

/** The config with its extension applied: the search a sweep runs now. */
export function effectiveConfig(config: SweepConfig, ext: SweepExtension): SweepConfig {
  if (!config.search || (ext.samples === undefined && ext.repeats === undefined)) return config;
  return { ...config, search: { ...config.search, ...(ext.samples !== undefined && { samples: ext.samples }), ...(ext.repeats !== undefined && { repeats: ext.repeats }) } };
}

/** Extends a sweep in the store (one transaction with the caller's) and returns the trials it added for points there are. */
export async function extendSweep(store: Store, row: SweepRow, source: SweepProposer, want: SweepExtension): Promise<{ added: number; extension: SweepExtension }> {
  if (row.state === "cancelled") throw new ExtendError(`sweep ${row.id} is cancelled`);
  const before = effectiveConfig(source.config, extensionOf(row));
  const search = before.search ?? { method: "grid" as const, seed: 0, repeats: 1, parameters: {} };
  if (want.samples === undefined && want.repeats === undefined) throw new ExtendError("give samples or repeats (the new totals)");
  if (want.samples !== undefined) {
    if (search.method === "grid") throw new ExtendError("samples: a grid takes every point already; extend its repeats");
    if (want.samples < search.samples!) throw new ExtendError(`samples: the sweep has ${search.samples} already; give a larger total`);
  }
  if (want.repeats !== undefined && want.repeats < search.repeats) throw new ExtendError(`repeats: the sweep has ${search.repeats} already; give a larger total`);
  const extension: SweepExtension = { ...extensionOf(row), ...want };
  const after = effectiveConfig(source.config, extension);
  const total = sweepSize(after.search) * (after.search?.repeats ?? 1);
  if (total > MAX_TRIALS) throw new ExtendError(`the sweep would have ${total} trials, at most ${MAX_TRIALS}`);

  return store.tx(async () => {
    await store.setSweepExtension(row.id, JSON.stringify(extension));
    const trials = await store.trialsOfSweep(row.id);
    let index = trials.length;
    const insert = (t: { point: number; repeat: number; params: Record<string, unknown>; seed: number; config: Record<string, unknown> }) =>
      store.insertTrial({ sweep_id: row.id, idx: index++, point: t.point, repeat: t.repeat, params: JSON.stringify(t.params), seed: t.seed, config: JSON.stringify(t.config) });
    // New repeats of the points there are: the next seeds of each.
    const oldRepeats = search.repeats;
    const points = new Map<number, Record<string, unknown>>();
    for (const t of trials) if (!points.has(t.point) && t.config !== "{}") points.set(t.point, JSON.parse(t.params) as Record<string, unknown>);
    for (const [point, params] of [...points].sort((a, b) => a[0] - b[0])) {
      const made = pointTrials(after, source.entry, params, point, 0);
      if (Array.isArray(made)) for (const t of made) if (t.repeat >= oldRepeats) await insert(t);
    }
    // New random points: the same stream, drawn further.
    if (search.method === "random") {
      const known = points.size === 0 ? 0 : Math.max(...points.keys()) + 1;
      for (const t of expandSweep(after, source.entry)) if (t.point >= known) await insert(t);
    }
    const added = index - trials.length;
    if (row.state === "done" && (added > 0 || after.search?.method === "tpe")) await store.setSweepState(row.id, "running", null);
    return { added, extension };
  });
}
