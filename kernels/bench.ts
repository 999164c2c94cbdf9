// Standalone benchmark of the numeric core against its peers, side by side in one run:
// SGEMM GFLOP/s (ours, naive JavaScript, tfjs-wasm) and MLP training samples/s (ours,
// tfjs-wasm), all on one thread. Prints a table and writes the figures as JSON.
//
//   npm run kernels:bench [-- --quick] [-- --out FILE]
//   npm run kernels:bench -- --conv-only     (just the conv2d forward table; writes no JSON)
//   npm run kernels:bench -- --nn-only       (just the ctx.nn rows: grokking, the spirals MLP; writes no JSON)
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { compileKernels, instantiateKernels } from "./load.ts";
import { trainMlp } from "./network.ts";
import { measure, gflops } from "./bench/timing.ts";
import { naiveSgemm } from "./bench/naive-gemm.ts";
import { tfjsMatMul, tfjsTrainMlp } from "./bench/tfjs-peer.ts";
import { readLocalDatasetBlob } from "./datasets/local-blobs.ts";
import { decodePackedDataset } from "./datasets/packed-dataset.ts";
import { LENET_LAYERS } from "./layers/lenet.ts";
import { parseTrialConfig } from "./mlp-config.ts";
import { tfjsConv2d, tfjsCpuTrainLenet, torchFigures, type ConvShape, type TorchFigures } from "./bench/cnn-peers.ts";
import { convAxis } from "./layers/plan.ts";
import { convForward } from "./layers/conv-forward.ts";
import { grokkingSizes, grokkingStepsPerSec, mlpFigures, mlpRun, torchNnFigures } from "./bench/nn-rows.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "conv-only": { type: "boolean", default: false },
    "nn-only": { type: "boolean", default: false },
    out: { type: "string", default: "build/bench/kernels.json" },
  },
});
const quick = args.quick!;
const convOnly = args["conv-only"]!;
const nnOnly = args["nn-only"]!;
const budgetMs = quick ? 60 : 600;

interface GemmCase { label: string; m: number; n: number; k: number; transA: boolean; transB: boolean }
interface GemmRow extends GemmCase { ours: number; naive: number | null; tfjs: number; vsTfjs: number }

const squares = (quick ? [64, 128] : [64, 128, 256, 512, 1024]).map<GemmCase>((s) => ({
  label: `${s}³`, m: s, n: s, k: s, transA: false, transB: false,
}));
// 784-128-10 MLP, batch 64, first layer: forward X·W, weight gradient Xᵀ·dZ, input gradient dZ·Wᵀ.
const mlpShapes: GemmCase[] = [
  { label: "fwd  X·W      64×784·784×128", m: 64, n: 128, k: 784, transA: false, transB: false },
  { label: "dW   Xᵀ·dZ    784×64·64×128", m: 784, n: 128, k: 64, transA: true, transB: false },
  { label: "dX   dZ·Wᵀ    64×128·128×784", m: 64, n: 784, k: 128, transA: false, transB: true },
];

async function benchGemm(c: GemmCase): Promise<GemmRow> {
  const { m, n, k, transA, transB } = c;
  const flops = 2 * m * n * k;
  const inst = instantiateKernels(await compileKernels());
  const a = inst.allocF32(m * k), b = inst.allocF32(k * n), out = inst.allocF32(m * n);
  const fill = (v: Float32Array, seed: number) => { for (let i = 0; i < v.length; i++) v[i] = ((i * 2654435761 + seed) % 1000) / 500 - 1; };
  fill(inst.f32(a, m * k), 1);
  fill(inst.f32(b, k * n), 2);
  const ours = measure(() => inst.k.sgemm(+transA, +transB, m, n, k, 1, a, transA ? m : k, b, transB ? k : n, 0, out, n), budgetMs);

  let naive: number | null = null;
  if (flops <= 2 * 512 ** 3) {
    const A = inst.f32(a, m * k).slice(), B = inst.f32(b, k * n).slice(), C = new Float32Array(m * n);
    naive = gflops(flops, measure(() => naiveSgemm(A, B, C, m, n, k, transA, transB), budgetMs / 2).msPerCall);
  }
  const peer = await tfjsMatMul(m, n, k, transA, transB);
  const tfjs = gflops(flops, measure(peer.run, budgetMs).msPerCall);
  peer.dispose();
  const oursG = gflops(flops, ours.msPerCall);
  return { ...c, ours: oursG, naive, tfjs, vsTfjs: oursG / tfjs };
}

async function benchTraining() {
  const blob = decodePackedDataset(readLocalDatasetBlob("mnist"));
  const samples = quick ? 1024 : 8000;
  const epochs = quick ? 1 : 3;
  const config = parseTrialConfig({
    dataset: { name: "mnist", train: samples, test: 256, validation: 0 },
    model: { hidden: [128], activation: "relu" },
    train: { epochs, batch: 64, optimizer: "sgd", lr: 0.05, seed: 1 },
  });
  const module = await compileKernels();
  const blobs = { mnist: readLocalDatasetBlob("mnist") };
  trainMlp(instantiateKernels(module), { ...config, train: { ...config.train, epochs: 1 } }, { blobs }); // warm-up
  const ours = trainMlp(instantiateKernels(module), config, { blobs });
  const x = new Float32Array(samples * blob.features);
  for (let i = 0; i < x.length; i++) x[i] = blob.features8[i]! / 255;
  const y = Int32Array.from(blob.labels.subarray(0, samples));
  await tfjsTrainMlp(x, y, Math.min(samples, 512), blob.features, [128], 10, 64, 0.05, 1); // warm-up
  const tfjs = await tfjsTrainMlp(x, y, samples, blob.features, [128], 10, 64, 0.05, epochs);
  return {
    network: "784-128-10 relu, batch 64, sgd",
    samples, epochs,
    ours: { samplesPerSec: ours.samplesPerSec, trainLoss: ours.epochs.at(-1)!.trainLoss, gemmGflops: ours.gemmGflops },
    tfjs: { samplesPerSec: tfjs.samplesPerSec, trainLoss: tfjs.loss },
    speedup: ours.samplesPerSec / tfjs.samplesPerSec,
  };
}

// conv2d forward at LeNet's shapes and a ResNet block's, batch 64 (FLOPs: 2·N·OH·OW·K²·C·F).
const convShapes: ConvShape[] = [
  { label: "28×28×1→8 k5 same", n: 64, h: 28, w: 28, c: 1, k: 5, f: 8, padding: "same" },
  { label: "14×14×8→16 k5 valid", n: 64, h: 14, w: 14, c: 8, k: 5, f: 16, padding: "valid" },
  { label: "32×32×16→16 k3 same", n: 64, h: 32, w: 32, c: 16, k: 3, f: 16, padding: "same" },
];

interface ConvRow { label: string; ours: number; tfjs: number; torch: number | null }

async function benchConv(s: ConvShape): Promise<Omit<ConvRow, "torch">> {
  const y = convAxis(s.h, s.k, 1, s.padding), x = convAxis(s.w, s.k, 1, s.padding);
  const flops = 2 * s.n * y.out * x.out * s.k * s.k * s.c * s.f;
  const inst = instantiateKernels(await compileKernels());
  const kk = s.k * s.k * s.c, m = s.n * y.out * x.out;
  const input = inst.allocF32(s.n * s.h * s.w * s.c), w = inst.allocF32(kk * s.f), col = inst.allocF32(m * kk), out = inst.allocF32(m * s.f);
  const fill = (v: Float32Array) => { for (let i = 0; i < v.length; i++) v[i] = ((i * 2654435761) % 1000) / 500 - 1; };
  fill(inst.f32(input, s.n * s.h * s.w * s.c));
  fill(inst.f32(w, kk * s.f));
  // What the conv2d layer does forward (no bias, as the peers): im2col and the SGEMM, or the direct kernel.
  const g = { h: s.h, w: s.w, c: s.c, kh: s.k, kw: s.k, f: s.f, stride: 1, padTop: y.before, padLeft: x.before, outH: y.out, outW: x.out };
  const ours = measure(() => convForward(inst.k, g, s.n, input, w, out, col), budgetMs);
  const peer = await tfjsConv2d(s);
  const tfjs = gflops(flops, measure(peer.run, budgetMs).msPerCall);
  peer.dispose();
  return { label: s.label, ours: gflops(flops, ours.msPerCall), tfjs };
}


/** Training samples/s: the LeNet-style CNN (ours, tfjs cpu) and the 2-64-64-3 MLP (ours). */
async function benchCnnTraining() {
  const module = await compileKernels();
  const blob = decodePackedDataset(readLocalDatasetBlob("mnist"));
  const samples = quick ? 512 : 4000;
  const lenet = trainMlp(instantiateKernels(module), parseTrialConfig({
    dataset: { name: "mnist", train: samples, test: 64, validation: 0 }, model: { layers: LENET_LAYERS },
    train: { epochs: quick ? 1 : 2, batch: 64, optimizer: "adam", lr: 0.001, seed: 1 },
  }), { blobs: { mnist: readLocalDatasetBlob("mnist") } });
  const x = new Float32Array(samples * 784);
  for (let i = 0; i < x.length; i++) x[i] = blob.features8[i]! / 255;
  const tfjsCpu = await tfjsCpuTrainLenet(x, Int32Array.from(blob.labels.subarray(0, samples)), quick ? 128 : 512);
  const small = trainMlp(instantiateKernels(module), parseTrialConfig({
    dataset: { name: "spirals", train: quick ? 2000 : 20_000, test: 100, classes: 3, validation: 0 }, model: { hidden: [64, 64], activation: "relu" },
    train: { epochs: quick ? 1 : 3, batch: 32, optimizer: "adam", lr: 0.003, seed: 1 },
  }));
  return { lenet: lenet.samplesPerSec, lenetTfjsCpu: tfjsCpu.samplesPerSec, smallMlp: small.samplesPerSec };
}

const fmt = (v: number | null, d = 1) => (v === null ? "—" : v.toFixed(d));
const pad = (s: string, w: number) => s.padEnd(w);
const lpad = (s: string, w: number) => s.padStart(w);

/** The conv2d forward table: ours beside tfjs-wasm (and PyTorch when it is installed and wanted). */
async function convTable(skipTorch: boolean): Promise<{ torch: TorchFigures | null; conv: ConvRow[] }> {
  const torch: TorchFigures | null = skipTorch ? null : torchFigures(convShapes, quick);
  console.log(`\n${pad("conv2d forward, batch 64 (GFLOP/s)", 34)}${lpad("discalc", 9)}${lpad("tfjs-wasm", 11)}${lpad("discalc/tfjs", 14)}${torch ? `${lpad("PyTorch", 9)}${lpad("discalc/PyTorch", 17)}` : ""}`);
  const conv: ConvRow[] = [];
  for (const s of convShapes) {
    const r = { ...(await benchConv(s)), torch: torch?.convGflops[s.label] ?? null };
    conv.push(r);
    console.log(`${pad(r.label, 34)}${lpad(fmt(r.ours), 9)}${lpad(fmt(r.tfjs), 11)}${lpad(fmt(r.ours / r.tfjs, 2) + "×", 14)}` +
      (r.torch !== null ? `${lpad(fmt(r.torch), 9)}${lpad(fmt(r.ours / r.torch, 2) + "×", 17)}` : ""));
  }
  return { torch, conv };
}

/**
 * The ctx.nn rows (issue 22's targets) beside PyTorch when it is installed: the grokking
 * transformer's steps/s, the spirals MLP with ctx.nn against the built-in's fused path, and the
 * built-in's tanh MLP against PyTorch's and against its own relu.
 */
async function nnTable() {
  const module = await compileKernels();
  const sizes = grokkingSizes(quick), run = mlpRun(quick);
  const torch = torchNnFigures(sizes, run);
  const ratio = (v: number | null, target: string) => (v === null ? lpad("—", 10) : lpad(fmt(v, 2) + "×", 10)) + `  (target ${target})`;
  console.log(`
ctx.nn, one thread${" ".repeat(34)}${lpad("discalc", 10)}${lpad("PyTorch", 10)}  discalc/PyTorch`);
  const grok = sizes.map((s, i) => {
    const ours = grokkingStepsPerSec(module, s), theirs = torch?.grokking[s.label] ?? null;
    console.log(`  grokking ${pad(s.label, 34)} steps/s ${lpad(fmt(ours, 2), 9)}${lpad(fmt(theirs, 2), 10)}${ratio(theirs && ours / theirs, i === 0 ? "≥ 0.4×" : "≥ 2×")}`);
    return { ...s, ours, torch: theirs };
  });
  const mlp = {
    ...mlpFigures(module, run),
    torchTanh: torch?.mlp.tanh ?? null,
    torchRelu: torch?.mlp.relu ?? null,
  };
  const rows: [string, number, number | null, string][] = [
    ["tanh, ctx.nn", mlp.nnTanh, mlp.torchTanh, "—"],
    ["relu, ctx.nn", mlp.nnRelu, mlp.torchRelu, "—"],
    ["tanh, ctx.nn captured (nn.graph)", mlp.graphTanh, mlp.torchTanh, "—"],
    ["relu, ctx.nn captured (nn.graph)", mlp.graphRelu, mlp.torchRelu, "—"],
    ["tanh, built-in (fused)", mlp.fusedTanh, mlp.torchTanh, "≥ 4×"],
    ["relu, built-in (fused)", mlp.fusedRelu, mlp.torchRelu, "—"],
  ];
  const mlpLabel = `2-64-64-3 spirals MLP, batch ${run.batch}, Adam, ${run.samples} samples`;
  console.log(`  ${mlpLabel}:`);
  for (const [label, ours, theirs, target] of rows) {
    console.log(`    ${pad(label, 41)} samples/s ${lpad(fmt(ours, 0), 9)}${lpad(fmt(theirs, 0), 10)}${ratio(theirs && ours / theirs, target)}`);
  }
  // The built-in is a model on ctx.nn too (its config layers' fused kernels, its step captured):
  // the eager rows show what a step's JavaScript costs, the captured ones what is left.
  // Ratios are medians of ratios within a round (the six ran back to back), steadier than ratios of the medians above.
  console.log(`  time of ctx.nn's MLP / the built-in's fused one:     tanh ${fmt(mlp.nnOverFusedTanh, 2)}×, relu ${fmt(mlp.nnOverFusedRelu, 2)}×  (target ≤ 1.15×)`);
  console.log(`  the same, the step captured with nn.graph:           tanh ${fmt(mlp.graphOverFusedTanh, 2)}×, relu ${fmt(mlp.graphOverFusedRelu, 2)}×  (target ≤ 1.15×)`);
  console.log(`  time of the built-in's tanh MLP / its relu one:       ${fmt(mlp.fusedTanhOverRelu, 2)}×  (target ≤ 1.25×)`);
  console.log(`  time of ctx.nn's tanh MLP / its relu one:             ${fmt(mlp.nnTanhOverRelu, 2)}×  (target ≤ 1.25×)`);
  if (!torch) console.log("  (PyTorch column skipped: python3 has no torch; apt-get install python3-torch libopenblas0-pthread)");
  return { grokking: grok, mlp: { ...run, ...mlp }, torch: torch?.torch ?? null };
}

async function main() {
  console.log(`discalc kernels benchmark — ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, one thread${quick ? " (quick)" : ""}\n`);
  if (convOnly) {
    await convTable(true);
    return;
  }
  if (nnOnly) {
    await nnTable();
    return;
  }
  console.log(`${pad("SGEMM (GFLOP/s)", 34)}${lpad("discalc", 9)}${lpad("naive JS", 10)}${lpad("tfjs-wasm", 11)}${lpad("discalc/tfjs", 14)}`);
  const gemm: GemmRow[] = [];
  for (const c of [...squares, ...mlpShapes]) {
    const row = await benchGemm(c);
    gemm.push(row);
    console.log(`${pad(row.label, 34)}${lpad(fmt(row.ours), 9)}${lpad(fmt(row.naive), 10)}${lpad(fmt(row.tfjs), 11)}${lpad(fmt(row.vsTfjs, 2) + "×", 14)}`);
  }
  const plain = gemm.find((r) => r.label.startsWith("fwd"))!;
  const transposed = gemm.filter((r) => r.transA || r.transB).map((r) => ({ label: r.label.split(/\s+/)[0]!, ofPlain: r.ours / plain.ours, tfjsOfPlain: r.tfjs / plain.tfjs }));
  console.log(`\ntransposed forms as a share of the plain form's GFLOP/s (MLP shapes):`);
  for (const t of transposed) console.log(`  ${pad(t.label, 4)} discalc ${(t.ofPlain * 100).toFixed(0)}%   tfjs-wasm ${(t.tfjsOfPlain * 100).toFixed(0)}%`);

  const training = await benchTraining();
  console.log(`\nMLP training, ${training.network}, ${training.samples} samples × ${training.epochs} epochs:`);
  console.log(`  discalc   ${lpad(training.ours.samplesPerSec.toFixed(0), 8)} samples/s  (final-epoch loss ${training.ours.trainLoss.toFixed(3)}, GEMM ${training.ours.gemmGflops.toFixed(1)} GFLOP/s)`);
  console.log(`  tfjs-wasm ${lpad(training.tfjs.samplesPerSec.toFixed(0), 8)} samples/s  (final-epoch loss ${training.tfjs.trainLoss.toFixed(3)})`);
  console.log(`  discalc / tfjs-wasm: ${training.speedup.toFixed(2)}×`);

  const { torch, conv } = await convTable(false);
  const cnn = await benchCnnTraining();
  console.log(`\ntraining, one thread (samples/s)          discalc    tfjs cpu${torch ? "   PyTorch  discalc/PyTorch" : ""}`);
  console.log(`  LeNet-style CNN, batch 64, Adam  ${lpad(cnn.lenet.toFixed(0), 9)}  ${lpad(cnn.lenetTfjsCpu.toFixed(0), 9)}` +
    (torch ? `  ${lpad(torch.lenetSamplesPerSec.toFixed(0), 8)}  ${lpad((cnn.lenet / torch.lenetSamplesPerSec).toFixed(2) + "×", 15)}` : ""));
  console.log(`  2-64-64-3 MLP, batch 32, Adam    ${lpad(cnn.smallMlp.toFixed(0), 9)}  ${lpad("—", 9)}` +
    (torch ? `  ${lpad(torch.smallMlpSamplesPerSec.toFixed(0), 8)}  ${lpad((cnn.smallMlp / torch.smallMlpSamplesPerSec).toFixed(2) + "×", 15)}` : ""));
  if (!torch) console.log("  (PyTorch column skipped: python3 has no torch; apt-get install python3-torch libopenblas0-pthread)");
  console.log("  tfjs-wasm cannot train the CNN: it has no Conv2DBackpropFilter (tfjs#8474)");

  const nn = await nnTable();

  const report = {
    date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, quick,
    gemm, transposed, training, conv, cnn, torch, nn,
  };
  mkdirSync(dirname(args.out!), { recursive: true });
  writeFileSync(args.out!, JSON.stringify(report, null, 2));
  console.log(`\nfigures written to ${args.out}`);
}

await main();
