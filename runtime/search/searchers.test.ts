// The searcher registry as a sweep config meets it: an unknown method's line, and a searcher
// registered from outside the sweep code parsed, sized and expanded with no other edit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError } from "../../kernels/config-errors.ts";
import { parseSweepConfig } from "../controller/sweeps/sweep-config.ts";
import { expandSweep } from "../controller/sweeps/expand-sweep.ts";
import { registerSearcher, searcherNames, searcherOf } from "./searchers.ts";
import { gridSearch } from "./grid-search.ts";

const good = {
  name: "s",
  dataset: { name: "mnist", train: 800, test: 200 },
  model: { hidden: [16] },
  train: { epochs: 1, batch: 64, lr: 0.1 },
};

const problems = (input: unknown): string[] => {
  try {
    parseSweepConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test("an unknown method's line names the field, the registered searchers and the nearest", () => {
  assert.deepEqual(problems({ ...good, search: { method: "rnadom", samples: 2 } }), [
    `search.method: Invalid option: expected one of ${searcherNames().map((n) => JSON.stringify(n)).join("|")} (did you mean "random"?)`,
  ]);
  assert.throws(() => searcherOf({ method: "bayes" }), /search\.method: .*"grid"\|"random"\|"tpe".*registerSearcher/);
});

test("a searcher registered by name is parsed, sized and expanded; others refuse its keys", () => {
  // Every `every`-th choice of the grid: a searcher the sweep code has never heard of.
  registerSearcher({
    name: "stride",
    options: { every: z.int().min(1, "must be at least 1") },
    size: (search) => Math.ceil(gridSearch.size(search) / (search.every as number)),
    *points(search) {
      let i = 0;
      for (const point of gridSearch.points(search)) if (i++ % (search.every as number) === 0) yield point;
    },
  });
  assert.throws(() => registerSearcher(gridSearch), /already registered/);
  const config = parseSweepConfig({ ...good, search: { method: "stride", every: 2, parameters: { "train.lr": [0.1, 0.2, 0.3] } } });
  assert.deepEqual(expandSweep(config).map((t) => t.params), [{ "train.lr": 0.1 }, { "train.lr": 0.3 }]);
  assert.deepEqual(problems({ ...good, search: { method: "stride", every: 0 } }), ["search.every: must be at least 1"]);
  assert.deepEqual(problems({ ...good, search: { every: 2 } }), ["search.every: only for method stride"]);
});
