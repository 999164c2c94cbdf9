// Random Fourier features + logistic regression, a small numerical experiment with its own
// AssemblyScript kernel (assembly/index.ts): how do the number of features and the kernel
// bandwidth trade off on a two-class dataset? discalc builds this folder at the controller,
// ships it to every worker, and runs one trial per sweep point and seed.
import type { Experiment } from "discalc/experiment";

interface Config {
  dataset: { name: string; train: number; test: number; noise?: number };
  features: number;
  gamma: number;
  lr: number;
  l2: number;
  steps: number;
  reportEvery: number;
  seed: number;
}

interface Kernel {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  seedRandom(seed: number): void;
  drawFeatures(omega: number, phase: number, d: number, D: number, gamma: number): void;
  featurize(x: number, n: number, d: number, omega: number, phase: number, D: number, out: number): void;
  logisticStep(f: number, y: number, n: number, D: number, w: number, bias: number, grad: number, lr: number, l2: number): number;
  accuracy(f: number, y: number, n: number, D: number, w: number, bias: number): number;
}

const experiment: Experiment<Config> = {
  defaults: { dataset: { name: "moons", train: 800, test: 400, noise: 0.2 }, features: 64, gamma: 1, lr: 0.5, l2: 1e-4, steps: 300, reportEvery: 50 },

  validate(c) {
    const problems: string[] = [];
    if (!Number.isInteger(c.features) || c.features < 1 || c.features > 4096) problems.push("features: must be an integer 1..4096");
    if (!(c.gamma > 0)) problems.push("gamma: must be > 0");
    if (!(c.lr > 0)) problems.push("lr: must be > 0");
    if (!(c.l2 >= 0)) problems.push("l2: must be 0 or more");
    if (!Number.isInteger(c.steps) || c.steps < 1) problems.push("steps: must be a positive integer");
    if (!Number.isInteger(c.reportEvery) || c.reportEvery < 1) problems.push("reportEvery: must be a positive integer");
    return problems;
  },

  run(c, ctx) {
    const k = ctx.wasm as unknown as Kernel;
    const data = ctx.dataset(c.dataset);
    if (data.classes?.length !== 2) throw new Error(`needs a two-class dataset, ${c.dataset.name} has ${data.classes?.length} classes`);
    const d = data.features;
    const D = c.features;
    const copy = (a: Float32Array | Int32Array) => {
      const ptr = k.alloc(a.byteLength);
      new Uint8Array(k.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return ptr;
    };
    const xTrain = copy(data.train.x), yTrain = copy(data.train.y as Int32Array);
    const xTest = copy(data.test.x), yTest = copy(data.test.y as Int32Array);
    // The sweep ranks by validation rows (dataset.validation, 0.1 of train by default); the test
    // rows are measured once, at the end, so choosing hyperparameters never looks at them.
    const xVal = copy(data.validation.x), yVal = copy(data.validation.y as Int32Array);
    const omega = k.alloc(d * D * 4), phase = k.alloc(D * 4);
    const fTrain = k.alloc(data.train.count * D * 4), fTest = k.alloc(data.test.count * D * 4), fVal = k.alloc(data.validation.count * D * 4);
    const w = k.alloc(D * 4), bias = k.alloc(4), grad = k.alloc(D * 4);
    new Uint8Array(k.memory.buffer, w, D * 4 + 4).fill(0);

    k.seedRandom(ctx.seed);
    k.drawFeatures(omega, phase, d, D, c.gamma);
    k.featurize(xTrain, data.train.count, d, omega, phase, D, fTrain);
    k.featurize(xTest, data.test.count, d, omega, phase, D, fTest);
    k.featurize(xVal, data.validation.count, d, omega, phase, D, fVal);
    // Nothing to report without validation rows (`dataset.validation: 0`): reports are finite numbers only.
    const val = (): Record<string, number> => (data.validation.count ? { valAccuracy: k.accuracy(fVal, yVal, data.validation.count, D, w, bias) } : {});

    let loss = 0;
    for (let step = 1; step <= c.steps && !ctx.shouldStop(); step++) {
      loss = k.logisticStep(fTrain, yTrain, data.train.count, D, w, bias, grad, c.lr, c.l2);
      if (step % c.reportEvery === 0 || step === c.steps) {
        ctx.report({ step, trainLoss: loss, ...val() });
      }
    }
    const testAccuracy = k.accuracy(fTest, yTest, data.test.count, D, w, bias);
    // The weights and bias are the trial's state: their SHA-256 is its resultSha256.
    return { metrics: { trainLoss: loss, ...val(), testAccuracy }, state: new Uint8Array(k.memory.buffer, w, D * 4 + 4).slice() };
  },
};

export default experiment;
