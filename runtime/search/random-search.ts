// The random searcher: `samples` points drawn from a seeded u32 stream, as Optuna's
// RandomSampler draws each value. When every parameter is a list, the points are distinct (a
// sample of the grid without repeats); point k is the same whatever the total, so a sweep
// extended to more samples keeps the points it has.
import { z } from "zod";
import { mulberry32 } from "../mulberry32.ts";
import type { Point } from "./param-spec.ts";
import { below, randomValue } from "./random-value.ts";
import { choiceLists, combinations, digitsOf, pointAt, type ChoiceList } from "./grid-search.ts";
import type { SearchConfig, Searcher } from "./searcher.ts";

/** A sample count, required by the searcher `method` (which takes it). */
export function samplesOption(method: string): z.ZodType {
  return z.int({ error: (issue) => (issue.input === undefined ? `required for method ${method}` : undefined) }).min(1, "must be at least 1");
}

export const randomSearch: Searcher = {
  name: "random",
  options: { samples: samplesOption("random") },
  refuses: { batch: "only for method tpe (grid and random points do not depend on results)" },
  size: (search: SearchConfig) => Math.min(search.samples ?? 1, combinations(search.parameters)),
  points: randomPoints,
};

/** The random draws of a search: also what a searcher that proposes from results starts from. */
export function* randomPoints(search: SearchConfig): Generator<Point> {
  const entries = Object.entries(search.parameters);
  const lists = choiceLists(search.parameters);
  const next = mulberry32(search.seed);
  if (lists.length === entries.length) return yield* distinctPoints(lists, Math.min(search.samples ?? 1, combinations(search.parameters)), next);
  for (let sample = 0; sample < (search.samples ?? 1); sample++) {
    yield Object.fromEntries(entries.map(([path, spec]) => [path, randomValue(spec, next)]));
  }
}

function* distinctPoints(lists: ChoiceList[], count: number, next: () => number): Generator<Point> {
  const total = lists.reduce((n, [, choices]) => n * choices.length, 1);
  if (total <= Number.MAX_SAFE_INTEGER) {
    // A partial Fisher–Yates shuffle of the point indices, kept sparse so a huge grid costs nothing.
    const moved = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const j = i + below(next, total - i);
      const picked = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      yield pointAt(lists, digitsOf(lists, picked));
    }
    return;
  }
  // Too many points to index exactly; collisions are then so rare that redrawing is enough.
  const seen = new Set<string>();
  while (seen.size < count) {
    const digits = lists.map(([, choices]) => below(next, choices.length));
    const key = digits.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    yield pointAt(lists, digits);
  }
}
