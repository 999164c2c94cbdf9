// The tpe searcher: `samples` points proposed a batch at a time from the results so far (tpe.ts
// holds the estimator). Its points depend on results, so a sweep proposes on as trials end
// (propose-trials.ts) and must name an objective.
import { z } from "zod";
import { randomPoints, samplesOption } from "./random-search.ts";
import type { SearchConfig, Searcher } from "./searcher.ts";
import { proposeTpe } from "./tpe.ts";

/** Proposals a tpe search may have outstanding when its config does not say. */
export const TPE_BATCH = 4;

export const tpeSearch: Searcher = {
  name: "tpe",
  options: {
    samples: samplesOption("tpe"),
    /**
     * How many proposals may be outstanding (default TPE_BATCH); each batch is proposed from the
     * results of those before it. No default in the parsed config, so the hash of a sweep stored
     * before tpe existed stays the same.
     */
    batch: z.int().min(1, "must be at least 1").max(10_000, "must be at most 10000").optional(),
  },
  size: (search: SearchConfig) => search.samples ?? 1,
  // For checking the space: random draws stand in for the proposals.
  points: randomPoints,
  proposer: {
    batchSize: (search) => (search.batch as number | undefined) ?? TPE_BATCH,
    propose: (search, observations, first, count, goal) => proposeTpe(search.parameters, observations, first, count, { seed: search.seed, goal }),
  },
};
