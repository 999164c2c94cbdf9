// A trial's checkpoints through runTrial (as worker threads run it), with the checkpoint
// fixture of the e2e tests built from its folder: a run interrupted after a checkpoint and
// resumed from it reports every step once and ends with the uninterrupted run's hash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { buildExperiment } from "./build-experiment.ts";
import { loadExperimentBlob } from "./load-experiment.ts";
import { runTrial, type TrialRuntime } from "./run-trial.ts";
import { compileKernels } from "../../kernels/load.ts";
import { decodeCheckpoint } from "./checkpoint-envelope.ts";
import type { ExperimentEntry, RuntimeContext } from "./experiment-entry.ts";

const FIXTURE = fileURLToPath(new URL("../e2e/fixtures/checkpoints", import.meta.url));
const setup = (async () => {
  const { entry } = await loadExperimentBlob((await buildExperiment(FIXTURE)).bytes);
  return { entry, kernelsModule: await compileKernels() };
})();
const spec = { trialId: 1, params: {}, seed: 7, config: { steps: 12, stepMs: 0, seed: 7, label: 1, params: 64 } };

test("a run stopped after a checkpoint and resumed from it reports each step once and ends with the uninterrupted hash", async () => {
  const { entry, kernelsModule } = await setup;
  const rt = (extra: Partial<TrialRuntime>): TrialRuntime => ({ entry, kernelsModule, experimentWasm: null, blobs: new Map(), checkpointEvery: 4, ...extra });
  const whole = await runTrial(spec, rt({}));
  assert.equal(whole.reports.length, 12);

  // Interrupted: stopped (as a lost machine would be) at step 6, after the checkpoint at step 4.
  const taken: Array<{ step: number; bytes: Uint8Array }> = [];
  let reported = 0;
  await runTrial(spec, rt({ onCheckpoint: (bytes, step) => taken.push({ step, bytes }), onReport: (step) => void (reported = step), shouldStop: () => reported >= 6 }));
  assert.deepEqual(taken.map((c) => c.step), [4]);
  const checkpoint = decodeCheckpoint(taken[0]!.bytes);
  assert.equal(checkpoint.reports.length, 4, "the reports up to the checkpoint travel with it");

  const resumed = await runTrial(spec, rt({ restore: checkpoint }));
  assert.equal(resumed.resultSha256, whole.resultSha256);
  assert.deepEqual(resumed.reports.map((r) => r.step), whole.reports.map((r) => r.step), "every step once, in order");
  assert.deepEqual(resumed.reports.map((r) => r.ranHere), [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8], "the resumed attempt ran only the steps after the checkpoint");
  assert.deepEqual(resumed.reports.map((r) => r.value), whole.reports.map((r) => r.value), "the random stream went on where it was");
});

test("checkpointDue: by time without checkpoint.every, at once when asked; a state over the cap throws naming it", async () => {
  const { entry, kernelsModule } = await setup;
  const steps: number[] = [];
  const base = { entry, kernelsModule, experimentWasm: null, blobs: new Map(), onCheckpoint: (_: Uint8Array, step: number) => void steps.push(step) };
  await runTrial(spec, { ...base, checkpointIntervalMs: 0 });
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "an interval of 0: every step");
  steps.length = 0;
  let asked = false;
  await runTrial(spec, { ...base, checkpointAsked: () => asked, onReport: (step) => void (asked = step === 5) });
  assert.deepEqual(steps, [5], "the default 30 s never came; the one asked for did");
  await assert.rejects(runTrial(spec, { ...base, checkpointEvery: 2, maxStateBytes: 64 }), /exceeds the controller's cap of 64 bytes \(--max-state-bytes\)/);
});

test("the built-in trainer checkpoints through ctx and resumes exactly: a network with dropout stopped mid-run ends with the uninterrupted weights", async () => {
  const { kernelsModule } = await setup;
  const { networkExperiment } = await import("./network/network-experiment.ts");
  const resolved = networkExperiment.resolve({
    dataset: { name: "spirals", train: 300, test: 100 },
    model: { layers: [{ type: "dense", units: 16, activation: "tanh" }, { type: "dropout", rate: 0.2 }, { type: "dense", units: 16, activation: "relu" }, { type: "dense", units: 3 }] },
    train: { epochs: 6, batch: 16, optimizer: "adam", lr: 0.01, seed: 3 },
  });
  assert.ok(resolved.ok, JSON.stringify(resolved));
  const network = { trialId: 1, params: {}, seed: 3, config: resolved.config };
  const rt = (extra: Partial<TrialRuntime>): TrialRuntime => ({ entry: networkExperiment, kernelsModule, experimentWasm: null, blobs: new Map(), checkpointEvery: 2, ...extra });
  const whole = await runTrial(network, rt({}));
  const taken: Array<{ step: number; bytes: Uint8Array }> = [];
  let reported = 0;
  await runTrial(network, rt({ onCheckpoint: (bytes, step) => taken.push({ step, bytes }), onReport: (step) => void (reported = step), shouldStop: () => reported >= 5 }));
  assert.deepEqual(taken.map((c) => c.step), [2, 4], "every 2 epochs, none after the stop");
  const resumed = await runTrial(network, rt({ restore: decodeCheckpoint(taken[1]!.bytes) }));
  assert.equal(resumed.resultSha256, whole.resultSha256, "the weights of the uninterrupted run");
  const timeless = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== "wallMs"));
  assert.deepEqual(resumed.reports.map(timeless), whole.reports.map(timeless), "every epoch once, the same numbers");
});

test("stopStep: the built-in trains to it, reports nothing past it, keeps its checkpoint as the state, and generations chained through it end with the uninterrupted weights", async () => {
  const { kernelsModule } = await setup;
  const { networkExperiment } = await import("./network/network-experiment.ts");
  const resolved = networkExperiment.resolve({
    dataset: { name: "moons", train: 200, test: 50 },
    model: { layers: [{ type: "dense", units: 8, activation: "tanh" }, { type: "dropout", rate: 0.1 }, { type: "dense", units: 2 }] },
    train: { epochs: 6, batch: 16, optimizer: "adam", lr: 0.01, seed: 5 },
  });
  assert.ok(resolved.ok, JSON.stringify(resolved));
  const network = { trialId: 1, params: {}, seed: 5, config: resolved.config };
  const rt = (extra: Partial<TrialRuntime>): TrialRuntime => ({ entry: networkExperiment, kernelsModule, experimentWasm: null, blobs: new Map(), keepState: true, ...extra });
  const timeless = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== "wallMs"));
  const whole = await runTrial(network, rt({}));

  // Three generations of 2 epochs, each from the last one's kept state.
  let restore: ReturnType<typeof decodeCheckpoint> | undefined;
  let last: Awaited<ReturnType<typeof runTrial>> | undefined;
  for (const stopStep of [2, 4, 6]) {
    const steps: number[] = [];
    last = await runTrial(network, rt({ stopStep, restore, onReport: (step) => void steps.push(step) }));
    assert.deepEqual(steps, [stopStep - 1, stopStep], "only this generation's epochs ran here, none past the stopStep");
    assert.equal(last.reports.length, stopStep);
    assert.deepEqual(last.reports.map(timeless), whole.reports.slice(0, stopStep).map(timeless), "the same epochs as the uninterrupted run");
    restore = decodeCheckpoint(last.state!);
    assert.equal(restore.step, stopStep, "the kept state is the stopStep checkpoint");
  }
  assert.equal(last!.resultSha256, whole.resultSha256, "the hash is the weights', as uninterrupted");

  // A member stopped before the end: its hash is that of its weights at the stopStep, the same every time.
  const [a, b] = [await runTrial(network, rt({ stopStep: 2 })), await runTrial(network, rt({ stopStep: 2 }))];
  assert.equal(a.resultSha256, b.resultSha256);
  assert.notEqual(a.resultSha256, whole.resultSha256);
  // Its result lost, an attempt resumed from its own stopStep checkpoint trains nothing and gives the same.
  const ran: number[] = [];
  const again = await runTrial(network, rt({ stopStep: 2, restore: decodeCheckpoint(a.state!), onReport: (step) => void ran.push(step) }));
  assert.deepEqual(ran, []);
  assert.equal(again.resultSha256, a.resultSha256);
  assert.deepEqual(again.state, a.state);
});

test("stopStep: an experiment that makes no checkpoint there fails naming it; past it nothing is reported", async () => {
  const { entry, kernelsModule } = await setup;
  // An experiment that reports 5 steps and never checkpoints.
  const noCheckpoints = { ...entry, run: (_config: unknown, ctx: RuntimeContext) => { for (let i = 1; i <= 5; i++) ctx.report({ loss: 1 / i }); } } as ExperimentEntry;
  const reported: number[] = [];
  await assert.rejects(
    runTrial(spec, { entry: noCheckpoints, kernelsModule, experimentWasm: null, blobs: new Map(), stopStep: 3, onReport: (step) => void reported.push(step) }),
    /stopStep 3: the experiment made no checkpoint at report 3 \(it reported 3\)/,
  );
  assert.deepEqual(reported, [1, 2, 3]);
  // The fixture checkpoints when ctx.checkpointDue says so: due at the stopStep, it stops there.
  const out = await runTrial(spec, { entry, kernelsModule, experimentWasm: null, blobs: new Map(), stopStep: 3, keepState: true });
  assert.equal(out.reports.length, 3);
  assert.equal(decodeCheckpoint(out.state!).step, 3);
});

test("named arrays as a state: a ctx.nn model checkpoints its stateDict, the optimiser's and the generator's; resumed, the same bits; kept as .npz", async () => {
  const { kernelsModule } = await setup;
  const { decodeNpz } = await import("./npz.ts");
  const entry: ExperimentEntry = {
    name: "nn-named", seedPath: "seed", resolve: (c) => ({ ok: true, config: c as Record<string, unknown> }), knowsPath: () => true,
    defaultMetric: () => ({ name: "loss", goal: "minimize" }),
    run(config, ctx) {
      const { nn } = ctx;
      const model = { l1: new nn.Linear(4, 8), l2: new nn.Linear(8, 3) };
      const opt = nn.optim.adamw(Object.values(nn.namedParameters(model)), { lr: 0.01 });
      const x = nn.tensor(Float32Array.from({ length: 16 * 4 }, (_, i) => Math.sin(i)), [16, 4]);
      const y = Int32Array.from({ length: 16 }, (_, i) => i % 3);
      const saved = ctx.restore();
      if (saved) {
        const pick = (prefix: string) => Object.fromEntries(Object.entries(saved.arrays!).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
        nn.loadStateDict(model, pick("model."));
        opt.loadStateDict(pick("optim."));
        nn.setRngState(saved.arrays!.rng!.data as Uint8Array);
      }
      for (let step = (saved?.step ?? 0) + 1; step <= (config.steps as number); step++) {
        const loss = nn.tidy(() => {
          opt.zeroGrad();
          const l = nn.crossEntropy(model.l2.forward(nn.dropout(model.l1.forward(x).relu(), 0.2)), y);
          l.backward();
          opt.step();
          return l.item();
        });
        ctx.report({ loss });
        if (ctx.checkpointDue(step)) {
          const prefixed = (prefix: string, a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [prefix + k, v]));
          const rng = nn.getRngState();
          ctx.checkpoint(step, { ...prefixed("model.", nn.stateDict(model)), ...prefixed("optim.", opt.stateDict()), rng: { shape: [rng.length], data: rng } } as never);
        }
      }
      return { state: nn.stateDict(model) };
    },
  };
  const spec2 = { trialId: 1, params: {}, seed: 5, config: { steps: 10 } };
  const rt = (extra: Partial<TrialRuntime>): TrialRuntime => ({ entry, kernelsModule, experimentWasm: null, blobs: new Map(), checkpointEvery: 4, keepState: true, ...extra });
  const whole = await runTrial(spec2, rt({}));
  assert.deepEqual(Object.keys(decodeNpz(whole.state!)), ["l1.weight", "l1.bias", "l2.weight", "l2.bias"], "kept as .npz by PyTorch's names");
  const taken: Uint8Array[] = [];
  let reported = 0;
  await runTrial(spec2, rt({ onCheckpoint: (bytes) => taken.push(bytes), onReport: (step) => void (reported = step), shouldStop: () => reported >= 6 }));
  const resumed = await runTrial(spec2, rt({ restore: decodeCheckpoint(taken[0]!) }));
  assert.equal(decodeCheckpoint(taken[0]!).format, "npz");
  assert.equal(resumed.resultSha256, whole.resultSha256, "the uninterrupted run's bits");
  assert.deepEqual(resumed.reports, whole.reports);
});

test("keepState as a function: the state is kept only when it says so, judged on the final metrics and reports", async () => {
  const { entry, kernelsModule } = await setup;
  const rt = (keepState: TrialRuntime["keepState"]): TrialRuntime => ({ entry, kernelsModule, experimentWasm: null, blobs: new Map(), keepState });
  const always = await runTrial(spec, rt(true));
  assert.ok(always.state, "a state to compare with");
  const seen: Array<{ metrics: Record<string, number>; reports: number }> = [];
  const kept = await runTrial(spec, rt((metrics, reports) => (seen.push({ metrics, reports: reports.length }), true)));
  assert.deepEqual(kept.state, always.state);
  assert.deepEqual(seen, [{ metrics: always.metrics, reports: always.reports.length }]);
  const dropped = await runTrial(spec, rt(() => false));
  assert.equal(dropped.state, undefined);
  assert.equal(dropped.resultSha256, always.resultSha256, "the result's hash is the state's either way");
});
