// Registering a sweep: the same config resumes, another is refused, and a sweep started by
// another engine of the built-in trainer is refused with the reason (its hashes would differ).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../store/store.ts";
import { registerSweep } from "./register-sweep.ts";
import { parseSweepConfig, sweepConfigHash } from "./sweep-config.ts";
import { ENGINE_VERSION } from "../../../kernels/engine-version.ts";

const SWEEP = {
  name: "engines", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [4], activation: "tanh" },
  train: { epochs: 1, batch: 8, lr: 0.1 }, search: { parameters: { "train.lr": [0.1, 0.3] } },
};

test("a built-in sweep's identity holds the engine; one of another engine is not resumed, and says why", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-register-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open({ dir });
  t.after(() => store.close());
  const config = parseSweepConfig(SWEEP);
  assert.equal(config.build.engine, ENGINE_VERSION);
  // As a release before engines stored it: no build.engine, another hash.
  const { engine: _engine, ...oldBuild } = config.build;
  const old = { ...config, build: oldBuild };
  await registerSweep(store, old as typeof config);
  const refused = await registerSweep(store, config).then(() => null, (err: Error) => err);
  assert.equal(refused?.constructor.name, "SweepConflictError");
  assert.equal(refused.message, `sweep "engines" was started with engine 1 of the built-in trainer; this discalc trains with engine ${ENGINE_VERSION}, ` +
    "whose weights differ (see the README's note on engines), so its stored results would not be reproduced: rename the sweep, or pass --new to start a new sweep under the same name");
  const fresh = await registerSweep(store, config, { forceNew: true });
  assert.equal(fresh.resumed, false);
  assert.deepEqual(await registerSweep(store, config), { sweepId: fresh.sweepId, resumed: true, trials: 2 });
  assert.notEqual(sweepConfigHash(config), sweepConfigHash(old as typeof config));
});
