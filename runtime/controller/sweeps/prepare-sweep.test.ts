// A sweep's identity includes its experiment's blob and its data files: the same sources give
// the same hash (a restart resumes), a changed experiment or data file gives another (refused
// on resume unless --new). Bad data stops the sweep with the file's line.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSweep } from "./prepare-sweep.ts";
import { sweepConfigHash } from "./sweep-config.ts";
import { ConfigError } from "../../../kernels/config-errors.ts";

const dir = mkdtempSync(join(tmpdir(), "discalc-prepare-"));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "exp"));
const writeExperiment = (body: string) => writeFileSync(join(dir, "exp", "experiment.ts"), `export default { run(c) { ${body} } };\n`);
writeFileSync(join(dir, "data.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n");

const sweep = { name: "s", experiment: "./exp", metric: { name: "m", goal: "minimize" }, datasets: { main: { file: "./data.csv", label: "label" } } };
const hashOf = async () => {
  const p = await prepareSweep(sweep, dir);
  return { hash: sweepConfigHash(p.config), build: p.config.build, kinds: p.blobs.map((b) => b.kind) };
};

test("the same sources give the same identity; a changed experiment or data file another", async () => {
  writeExperiment("return { metrics: { m: 1 } };");
  const a = await hashOf();
  assert.deepEqual(a.kinds.sort(), ["dataset", "experiment"]);
  assert.match(a.build.experiment.sha ?? "", /^[0-9a-f]{64}$/);
  assert.equal(Object.keys(a.build.datasets).length, 1, "the file under datasets.main is packed");
  assert.equal((await hashOf()).hash, a.hash, "rebuilt from the same sources");
  writeExperiment("return { metrics: { m: 2 } };");
  const b = await hashOf();
  assert.notEqual(b.build.experiment.sha, a.build.experiment.sha);
  assert.notEqual(b.hash, a.hash, "a changed experiment is a changed sweep");
  writeFileSync(join(dir, "data.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,9,y\n");
  const c = await hashOf();
  assert.notEqual(c.hash, b.hash, "a changed data file is a changed sweep");
});

test("bad data and an unknown experiment are config errors naming the place", async () => {
  writeExperiment("return {};");
  writeFileSync(join(dir, "bad.csv"), "a,b,label\n1,2,x\n3,oops,y\n");
  await assert.rejects(prepareSweep({ ...sweep, datasets: { main: { file: "./bad.csv", label: "label" } } }, dir), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems, ['datasets.main.file ./bad.csv line 3, column 2 (b): "oops" is not a number']);
    return true;
  });
  await assert.rejects(prepareSweep({ ...sweep, experiment: "nosuch" }, dir), /experiment: no built-in experiment "nosuch" \(built-in: network/);
  await assert.rejects(prepareSweep({ ...sweep, metric: undefined }, dir), /metric: required/);
});

mkdirSync(join(dir, "keyed"));
const keyed = (strict: string) => writeFileSync(join(dir, "keyed", "experiment.ts"), `export default {${strict}
  defaults: { learning_rate: 0.1, steps: 3, opt: { beta: 0.9 }, extra: {} },
  validate: (c) => (c.steps > 0 ? [] : ["steps: must be more than 0"]),
  run() { return { metrics: { m: 1 } }; },
};
`);
const typos = { name: "k", experiment: "./keyed", metric: { name: "m", goal: "minimize" }, learning_rat: 0.2, steps: 0, opt: { bta: 1 }, extra: { any: 1 }, serach: {}, seed: 3 };

test("keys the experiment's defaults do not know are refused, every one with the nearest known key, unless it says strict: false", async () => {
  keyed("");
  await assert.rejects(prepareSweep(typos, dir), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems, [
      "unknown config key 'learning_rat' (did you mean 'learning_rate'?)",
      "unknown config key 'opt.bta' (did you mean 'opt.beta'?)",
      "unknown config key 'serach' (did you mean 'search'?)",
      "steps: must be more than 0",
    ]);
    return true;
  });
  // A swept key is checked as a path of the trial config.
  await assert.rejects(prepareSweep({ name: "k", experiment: "./keyed", metric: typos.metric, search: { parameters: { learning_rte: [0.1, 0.2], "opt.beta": [0.5] } } }, dir),
    (err: unknown) => {
      assert.deepEqual((err as ConfigError).problems, ["search.parameters.learning_rte: unknown parameter (no such field in the trial config; did you mean 'learning_rate'?)"]);
      return true;
    });
  keyed("\n  strict: false,");
  const p = await prepareSweep({ ...typos, steps: 1 }, dir);
  assert.equal(p.config.learning_rat, 0.2, "strict: false keeps a key the defaults do not name");
  assert.equal(p.config.learning_rate, 0.1);
});

test("a config for one trial (discalc train) needs no metric; a sweep does", async () => {
  keyed("");
  const one = { name: "one", experiment: "./keyed", learning_rate: 0.3 };
  await assert.rejects(prepareSweep(one, dir), /metric: required/);
  const p = await prepareSweep(one, dir, { requireMetric: false });
  assert.equal(p.config.metric, undefined);
  assert.equal(p.config.learning_rate, 0.3);
  // A tpe search proposes by the metric, so even one trial of it needs one.
  const tpe = { ...one, search: { method: "tpe", samples: 4, parameters: { learning_rate: { uniform: [0.1, 1] } } } };
  await assert.rejects(prepareSweep(tpe, dir, { requireMetric: false }), /metric: required/);
});
