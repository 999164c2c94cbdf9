// `discalc sweep extend`: more samples or repeats for a running or finished sweep. Existing
// trials are untouched: random samples are drawn from the same seeded stream (point k is the
// same whatever the total), new repeats take the next seeds, and a model-based sweep (tpe) proposes on.
// The config's own hash stays the sweep's identity (its file still resumes it); the extension
// is kept beside it and applies wherever the search's size is read.
import type { Store, SweepRow } from "../store/store.ts";
import { MAX_TRIALS } from "./sweep-config.ts";
import { expandSweep, pointTrials, sweepSize } from "./expand-sweep.ts";
import type { SweepProposer } from "./propose-trials.ts";
import { effectiveConfig, extensionOf, type SweepExtension } from "./sweep-extension.ts";
import { noSearch, searcherOf } from "../../search/searchers.ts";

/** Refused extensions (a grid's samples, fewer than now, a cancelled sweep): the message names why. */
export class ExtendError extends Error {}

/** Extends a sweep in the store (one transaction with the caller's) and returns the trials it added for points there are. */
export async function extendSweep(store: Store, row: SweepRow, source: SweepProposer, want: SweepExtension): Promise<{ added: number; extension: SweepExtension }> {
  if (row.state === "cancelled") throw new ExtendError(`sweep ${row.id} is cancelled`);
  const before = effectiveConfig(source.config, extensionOf(row));
  const search = before.search ?? noSearch();
  const searcher = searcherOf(search);
  if (want.samples === undefined && want.repeats === undefined) throw new ExtendError("give samples or repeats (the new totals)");
  if (want.samples !== undefined) {
    if (!Object.hasOwn(searcher.options, "samples")) throw new ExtendError(`samples: a ${searcher.name} search takes every point already; extend its repeats`);
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
    // New points of a searcher that does not learn from results: the same stream, drawn further
    // (a proposer's come as its trials end).
    if (want.samples !== undefined && !searcher.proposer) {
      const known = points.size === 0 ? 0 : Math.max(...points.keys()) + 1;
      for (const t of expandSweep(after, source.entry)) if (t.point >= known) await insert(t);
    }
    const added = index - trials.length;
    if (row.state === "done" && (added > 0 || searcher.proposer)) await store.setSweepState(row.id, "running", null);
    return { added, extension };
  });
}
