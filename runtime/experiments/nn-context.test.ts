// ctx.nn in a researcher's experiment: built from a folder, run through runTrial (as `discalc
// train` and worker threads run it); the state is the weights, and the hash is reproduced on
// a fresh instance and on one reused from a thread's pool.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExperiment } from "./build-experiment.ts";
import { loadExperimentBlob } from "./load-experiment.ts";
import { runTrial } from "./run-trial.ts";
import { compileKernels } from "../../kernels/load.ts";
import { KernelPool } from "../../kernels/instance-pool.ts";

const dir = mkdtempSync(join(tmpdir(), "discalc-nn-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const exp = join(dir, "nn-mlp");
mkdirSync(exp);
writeFileSync(join(exp, "experiment.ts"), `
import type { Experiment } from "discalc/experiment";
import type { Tensor } from "discalc/nn";

interface Config { hidden: number; steps: number; seed: number }

export default {
  defaults: { hidden: 8, steps: 40, seed: 0 },
  run(c, ctx) {
    const nn = ctx.nn;
    const l1 = new nn.Linear(2, c.hidden), l2 = new nn.Linear(c.hidden, 2);
    const params = [...l1.parameters(), ...l2.parameters()];
    const opt = nn.optim.adam(params, { lr: 0.05 });
    const x = nn.randn([32, 2], { seed: 9 });
    const labels = Int32Array.from(x.data().filter((_, i) => i % 2 === 0), (v) => (v > 0 ? 1 : 0));
    const forward = (t: Tensor) => l2.forward(l1.forward(t).tanh());
    let loss = 0;
    for (let step = 0; step < c.steps; step++) {
      loss = nn.tidy(() => {
        opt.zeroGrad();
        const l = nn.crossEntropy(forward(x), labels);
        l.backward();
        opt.step();
        return l.item();
      });
      if ((step + 1) % 10 === 0) ctx.report({ loss });
    }
    // ctx.kernels and ctx.nn share the trial's instance.
    return { metrics: { loss, sameInstance: ctx.kernels.instance.buffer === (x as any).engine.instance.buffer ? 1 : 0 }, state: nn.stateOf(params) };
  },
} satisfies Experiment<Config>;
`);

test("an experiment trains with ctx.nn; its weights' hash is the same on a fresh and on a pooled instance", async () => {
  const built = await buildExperiment(exp);
  const { entry } = await loadExperimentBlob(built.bytes);
  const kernelsModule = await compileKernels();
  const pool = new KernelPool(kernelsModule);
  const spec = (seed: number) => ({ trialId: 1, params: {}, seed, config: { hidden: 8, steps: 40, seed } });
  const a = await runTrial(spec(3), { entry, kernelsModule, experimentWasm: null, blobs: new Map() });
  const b = await runTrial(spec(3), { entry, kernelsModule, kernelPool: pool, experimentWasm: null, blobs: new Map() });
  const c = await runTrial(spec(3), { entry, kernelsModule, kernelPool: pool, experimentWasm: null, blobs: new Map() });
  const d = await runTrial(spec(4), { entry, kernelsModule, kernelPool: pool, experimentWasm: null, blobs: new Map() });
  assert.equal(a.reports.length, 4);
  assert.ok(a.metrics.loss! < a.reports[0]!.loss!, `the loss falls: ${JSON.stringify(a.reports)}`);
  assert.equal(a.metrics.sameInstance, 1);
  assert.equal(b.resultSha256, a.resultSha256);
  assert.equal(c.resultSha256, a.resultSha256, "a reset instance from the pool gives the same bits");
  assert.notEqual(d.resultSha256, a.resultSha256, "the trial's seed seeds the modules' initialisation");
});
