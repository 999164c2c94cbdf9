import { test } from "node:test";
import assert from "node:assert/strict";
import type { ParamSpec } from "./param-spec.ts";
import { gamma, proposeTpe, splitObservations, type Observation, type TpeOptions } from "./tpe.ts";

const MIXED: Record<string, ParamSpec> = {
  "train.momentum": { uniform: [-1, 1] },
  "train.lr": { loguniform: [1e-4, 10] },
  "model.layers": { int: [3, 7] },
  "model.width": { int: [5, 5] },
  "model.kind": [{ a: 1 }, [1, 2], "x", null],
};
const min = (seed: number, extra: Partial<TpeOptions> = {}): TpeOptions => ({ seed, goal: "minimize", ...extra });

/** A made-up objective over MIXED, so the model has structure to find. */
function mixedValue(p: Record<string, unknown>): number {
  return (p["train.momentum"] as number) ** 2 + Math.abs(Math.log10(p["train.lr"] as number) + 2) + (p["model.layers"] as number) / 10 + (p["model.kind"] === "x" ? 0 : 1);
}

/** n observations of MIXED drawn at random (another seed's start-up points), scored by mixedValue. */
function observed(n: number): Observation[] {
  return proposeTpe(MIXED, [], 0, n, min(99)).map((params) => ({ params, value: mixedValue(params), state: "done" }));
}

/** Best value found by `budget` proposals on `f`, `batch` at a time, each batch from the results before it. */
function bestOf(space: Record<string, ParamSpec>, f: (p: Record<string, unknown>) => number, opts: TpeOptions, budget = 60, batch = 1): number {
  const observations: Observation[] = [];
  let best = Infinity;
  for (let k = 0; k < budget; k += batch) {
    for (const point of proposeTpe(space, observations, k, Math.min(batch, budget - k), opts)) {
      const value = f(point);
      observations.push({ params: point, value, state: "done" });
      best = Math.min(best, value);
    }
  }
  return best;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const SEEDS = [1, 2, 3, 4, 5];

test("gamma is Optuna's: 10% rounded up, at most 25", () => {
  assert.deepEqual([1, 10, 11, 30, 100, 1000].map(gamma), [1, 1, 2, 3, 10, 25]);
});

test("the split: done before pruned, pruned by later step then value, each group in input order", () => {
  const done = (value: number): Observation => ({ params: {}, value, state: "done" });
  const pruned = (value: number, step?: number): Observation => ({ params: {}, value, state: "pruned", step });
  const filler = Array.from({ length: 33 }, (_, i) => pruned(-100 - i, 1));
  // 41 scored, so gamma = 5: the three done, then the two best of the latest step (7).
  const scored = [pruned(9, 7), done(5), pruned(-50), pruned(0, 3), done(2), pruned(4, 7), ...filler, done(8), pruned(6, 7)];
  const { below, above } = splitObservations(scored, "minimize");
  assert.deepEqual(below, [done(5), done(2), pruned(4, 7), done(8), pruned(6, 7)]);
  assert.equal(above.length, 36);
  assert.deepEqual(above.slice(0, 3), [pruned(9, 7), pruned(-50), pruned(0, 3)]);
  assert.deepEqual(splitObservations(scored, "maximize").below, [pruned(9, 7), done(5), done(2), done(8), pruned(6, 7)]);
});

test("deterministic: the same inputs give the same points; a batch's first points are those of a larger batch", () => {
  for (const observations of [[], observed(30)]) {
    const batch = proposeTpe(MIXED, observations, 0, 10, min(7));
    assert.deepEqual(proposeTpe(MIXED, observations, 0, 10, min(7)), batch);
    assert.deepEqual(proposeTpe(MIXED, observations, 0, 3, min(7)), batch.slice(0, 3));
    // Different indices draw different points (the floats would collide only by a miracle).
    assert.equal(new Set(batch.map((p) => p["train.momentum"])).size, 10);
    assert.equal(new Set(batch.map((p) => p["train.lr"])).size, 10);
    assert.notDeepEqual(proposeTpe(MIXED, observations, 0, 10, min(8)), batch);
  }
  // In the start-up phase a point depends only on (seed, index).
  const random = proposeTpe(MIXED, [], 0, 10, min(7));
  assert.deepEqual(proposeTpe(MIXED, [], 7, 3, min(7)), random.slice(7));
  assert.deepEqual(proposeTpe(MIXED, observed(9), 4, 1, min(7)), random.slice(4, 5));
});

test("constant liar: a batch's later points see its earlier ones as the worst results", () => {
  const observations = observed(31);
  const batch = proposeTpe(MIXED, observations, 31, 4, min(7));
  // The first point of a batch is the one proposed alone; the next ones are not those their own
  // streams give alone, because the earlier points of the batch count against them (a point may
  // still come out the same when the liars do not move its best candidate).
  const alone = [0, 1, 2, 3].map((k) => proposeTpe(MIXED, observations, 31 + k, 1, min(7))[0]);
  assert.deepEqual(batch[0], alone[0]);
  assert.notDeepEqual(batch.slice(1), alone.slice(1));
  // Liars are bad results: had the earlier point been scored worst of all, the next point is the
  // same. (Liars do not count in gamma, the good group's size: 31 and 32 scored points both give 4.)
  const worst = Math.max(...observations.map((o) => o.value!)) + 1;
  const asWorst = [...observations, { params: batch[0]!, value: worst, state: "done" as const }];
  assert.equal(gamma(31), gamma(32));
  assert.deepEqual(proposeTpe(MIXED, asWorst, 32, 1, min(7))[0], batch[1]);
});

test("constant liar spreads a batch out: its points lie further apart than points drawn alone", () => {
  const space: Record<string, ParamSpec> = { x: { uniform: [0, 1] }, y: { uniform: [0, 1] } };
  const f = (p: Record<string, unknown>) => ((p.x as number) - 0.3) ** 2 + ((p.y as number) - 0.6) ** 2;
  const nearest = (points: Array<Record<string, unknown>>) =>
    mean(points.map((p, i) => Math.min(...points.filter((_, j) => j !== i).map((q) => Math.hypot((p.x as number) - (q.x as number), (p.y as number) - (q.y as number))))));
  let together = 0;
  let alone = 0;
  for (const seed of SEEDS) {
    const observations: Observation[] = proposeTpe(space, [], 0, 20, min(seed)).map((params) => ({ params, value: f(params), state: "done" }));
    together += nearest(proposeTpe(space, observations, 20, 8, min(seed)));
    alone += nearest(Array.from({ length: 8 }, (_, k) => proposeTpe(space, observations, 20 + k, 1, min(seed))[0]!));
  }
  assert.ok(together > 1.2 * alone, `mean nearest-neighbour distance in a batch ${together / SEEDS.length}, alone ${alone / SEEDS.length}`);
});

test("every point lies in its range: floats within [a, b], ints whole, choices from the list", () => {
  // Include values the space cannot hold (left out of the model) and failed points.
  const odd: Observation[] = [
    { params: { "train.lr": 50, "model.layers": 4.5, "model.kind": "gone" }, value: -10, state: "done" },
    { params: {}, value: -20, state: "done" },
    { params: { "train.momentum": 0 }, value: null, state: "done" },
  ];
  for (const observations of [[], [...observed(40), ...odd]]) {
    for (const p of proposeTpe(MIXED, observations, 0, 300, min(3))) {
      const momentum = p["train.momentum"] as number;
      const lr = p["train.lr"] as number;
      const layers = p["model.layers"] as number;
      assert.ok(momentum >= -1 && momentum <= 1, `momentum ${momentum}`);
      assert.ok(lr >= 1e-4 && lr <= 10, `lr ${lr}`);
      assert.ok(Number.isInteger(layers) && layers >= 3 && layers <= 7, `layers ${layers}`);
      assert.equal(p["model.width"], 5);
      assert.ok((MIXED["model.kind"] as unknown[]).includes(p["model.kind"]), `kind ${JSON.stringify(p["model.kind"])}`);
    }
  }
});

test("start-up: below 10 scored points the proposals are the random ones, whatever was observed", () => {
  const nine = observed(9);
  const failed: Observation[] = observed(5).map((o) => ({ ...o, value: null }));
  const random = proposeTpe(MIXED, [], 0, 20, min(1));
  assert.deepEqual(proposeTpe(MIXED, [...nine, ...failed], 0, 20, min(1)), random);
  assert.notDeepEqual(proposeTpe(MIXED, nine, 0, 20, min(2)), random);
  // The tenth scored point switches the model on.
  assert.notDeepEqual(proposeTpe(MIXED, observed(10), 0, 20, min(1)), random);
  assert.deepEqual(proposeTpe(MIXED, observed(30), 0, 20, min(1, { startupTrials: Infinity })), random);
});

test("failed points are ignored by the model", () => {
  const observations = observed(30);
  const withFailures = observations.flatMap((o, i) => (i % 6 === 0 ? [o, { params: o.params, value: null, state: "done" as const }] : [o]));
  assert.deepEqual(proposeTpe(MIXED, withFailures, 0, 20, min(4)), proposeTpe(MIXED, observations, 0, 20, min(4)));
});

test("it optimizes Branin, one point or four at a time: the mean best of 60 points beats random search's", (t) => {
  const branin = (p: Record<string, unknown>) => {
    const x1 = p.x1 as number;
    const x2 = p.x2 as number;
    return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  };
  const space: Record<string, ParamSpec> = { x1: { uniform: [-5, 10] }, x2: { uniform: [0, 15] } };
  const tpe = mean(SEEDS.map((seed) => bestOf(space, branin, min(seed))));
  const random = mean(SEEDS.map((seed) => bestOf(space, branin, min(seed, { startupTrials: Infinity }))));
  const tpe4 = mean(SEEDS.map((seed) => bestOf(space, branin, min(seed), 60, 4)));
  t.diagnostic(`Branin (minimum 0.397887), mean best over ${SEEDS.length} seeds: TPE ${tpe.toFixed(3)}, batch 4 ${tpe4.toFixed(3)}, random ${random.toFixed(3)}`);
  assert.ok(tpe < 0.6 * random, `TPE ${tpe} vs random ${random}`);
  assert.ok(tpe < 0.7, `TPE ${tpe}`);
  assert.ok(tpe4 < 0.6 * random, `TPE batch 4 ${tpe4} vs random ${random}`);
  assert.ok(tpe4 < 0.9, `TPE batch 4 ${tpe4}`);
});

test("it optimizes a categorical + log-uniform space better than random search", (t) => {
  const offsets: Record<string, number> = { sgd: 1, adam: 0, rmsprop: 1.5, adagrad: 2, none: 4 };
  const space: Record<string, ParamSpec> = { optimizer: Object.keys(offsets), lr: { loguniform: [1e-6, 1] } };
  const f = (p: Record<string, unknown>) => (Math.log10(p.lr as number) + 3) ** 2 + offsets[p.optimizer as string]!;
  const tpe = mean(SEEDS.map((seed) => bestOf(space, f, min(seed))));
  const random = mean(SEEDS.map((seed) => bestOf(space, f, min(seed, { startupTrials: Infinity }))));
  t.diagnostic(`optimizer × lr (minimum 0), mean best over ${SEEDS.length} seeds: TPE ${tpe.toFixed(4)}, random ${random.toFixed(4)}`);
  assert.ok(tpe < 0.5 * random, `TPE ${tpe} vs random ${random}`);
});

test("a categorical parameter: the good group's favourite is proposed most", () => {
  const kinds = ["a", "b", "c", "d"];
  const space: Record<string, ParamSpec> = { kind: kinds, x: { uniform: [0, 1] } };
  // Maximizing: "b" always scores best, the others are noise.
  const observations: Observation[] = Array.from({ length: 40 }, (_, i) => ({
    params: { kind: kinds[i % 4], x: ((i * 37) % 40) / 40 },
    value: (i % 4 === 1 ? 10 : 0) + ((i * 13) % 7) / 7,
    state: "done",
  }));
  // Points proposed one at a time from the same results (in one batch, constant liar would
  // steer later points away from "b" on purpose).
  const proposeEach = (goal: TpeOptions["goal"]) => Array.from({ length: 200 }, (_, k) => proposeTpe(space, observations, k, 1, { seed: 5, goal })[0]!);
  const counts = new Map<unknown, number>();
  for (const p of proposeEach("maximize")) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  const favourite = counts.get("b") ?? 0;
  assert.ok(favourite > 120, `b proposed ${favourite} times of 200`);
  for (const kind of ["a", "c", "d"]) assert.ok(favourite > 4 * (counts.get(kind) ?? 0), `b ${favourite}, ${kind} ${counts.get(kind)}`);
  // Minimizing the same values makes "b" the worst, so it becomes the rarest.
  const flipped = proposeEach("minimize").filter((p) => p.kind === "b").length;
  assert.ok(flipped < 30, `b proposed ${flipped} times when it is worst`);
});
