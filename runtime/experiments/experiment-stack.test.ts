// A researcher's experiment that throws: the error text names its own file and line (through
// the blob's source map), not the bundle's data: URL; a NaN report ends the trial diverged.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExperiment } from "./build-experiment.ts";
import { loadExperimentBlob } from "./load-experiment.ts";
import { trialErrorText } from "./trial-error.ts";
import { runTrial } from "./run-trial.ts";
import { TrialDiverged } from "./trial-diverged.ts";
import { compileKernels } from "../../kernels/load.ts";

const dir = mkdtempSync(join(tmpdir(), "discalc-stack-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Line 6 of helper.ts throws; experiment.ts calls it from line 8 (types before, so the lines differ from the bundle's). */
const exp = join(dir, "thrower");
mkdirSync(exp);
writeFileSync(join(exp, "helper.ts"), [
  "interface Thing { foo: { bar: number } }",
  "type Other = { x: number };",
  "",
  "export function readFoo(t: Thing | undefined): number {",
  "  const thing = t as Thing;",
  "  return thing.foo.bar;",
  "}",
  "",
].join("\n"));
writeFileSync(join(exp, "experiment.ts"), [
  'import { readFoo } from "./helper.ts";',
  "interface Config { mode: string; seed: number }",
  "export default {",
  '  defaults: { mode: "throw", seed: 0 },',
  "  run(c: Config, ctx: { report(m: Record<string, number>): void }) {",
  '    ctx.report({ loss: 1 });',
  '    if (c.mode === "nan") ctx.report({ loss: NaN });',
  "    return { metrics: { loss: readFoo(undefined) } };",
  "  },",
  "};",
  "",
].join("\n"));

test("an experiment's exception carries its stack, in its own files and lines", async () => {
  const built = await buildExperiment(exp);
  const { entry } = await loadExperimentBlob(built.bytes);
  let caught: unknown;
  try {
    await runTrial({ trialId: 1, params: {}, seed: 0, config: { mode: "throw", seed: 0 } },
      { entry, kernelsModule: await compileKernels(), experimentWasm: null, blobs: new Map() });
  } catch (err) {
    caught = err;
  }
  const text = trialErrorText(caught, entry.mapStack);
  assert.match(text, /^TypeError: Cannot read properties of undefined \(reading 'foo'\)\n/);
  assert.match(text, /at readFoo \(thrower\/helper\.ts:6:\d+\)/, text);
  assert.match(text, /thrower\/experiment\.ts:8:\d+\)/, text);
  assert.doesNotMatch(text, /data:|base64|bundle\.js/, "no frame is left in the bundle");
  assert.doesNotMatch(text, /run-trial\.ts/, "the runtime's frames below the experiment's are left out");
});

test("a NaN report ends the trial as diverged, with the finite reports before it", async () => {
  const built = await buildExperiment(exp);
  const { entry } = await loadExperimentBlob(built.bytes);
  const err = await runTrial({ trialId: 1, params: {}, seed: 0, config: { mode: "nan", seed: 0 } },
    { entry, kernelsModule: await compileKernels(), experimentWasm: null, blobs: new Map() }).catch((e: unknown) => e);
  assert.ok(err instanceof TrialDiverged, String(err));
  assert.equal(err.message, 'diverged: report 2: metric "loss" is NaN');
  assert.deepEqual(err.reports, [{ loss: 1 }]);
});
