// Grokking (Power et al. 2022; Nanda et al. 2023): a one-layer transformer learns (a + b) mod p
// from a fraction of all p² pairs. Full batch, AdamW with strong weight decay: train accuracy
// reaches 100% early, and test accuracy jumps there much later. Written with ctx.nn in
// PyTorch's words: token and position embeddings, multi-head attention, a ReLU MLP, residuals,
// an unembedding, no LayerNorm (Nanda's setup). Reports trainLoss, trainAccuracy, testLoss and
// testAccuracy every `evalEvery` steps; the state is the weights, so the hash is theirs.
import type { Experiment } from "discalc/experiment";
import type { NN, Tensor } from "discalc/nn";

interface Config {
  /** The modulus (a prime): inputs a, b in 0..p−1, and one more token for "=". */
  p: number;
  dModel: number;
  heads: number;
  dMlp: number;
  /** The share of the p² pairs trained on; the rest is the test set. */
  trainFraction: number;
  steps: number;
  lr: number;
  weightDecay: number;
  evalEvery: number;
  seed: number;
}

/** Fisher–Yates with integer arithmetic only (the same order on every machine). */
function shuffled(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let s = (seed ^ 0x9e3779b9) >>> 0;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The pairs at `rows` as token sequences [a, b, =], their positions, and their answers. */
function split(p: number, rows: Int32Array) {
  const tokens = new Int32Array(rows.length * 3), positions = new Int32Array(rows.length * 3), labels = new Int32Array(rows.length);
  rows.forEach((pair, i) => {
    const a = Math.floor(pair / p), b = pair % p;
    tokens.set([a, b, p], i * 3);
    positions.set([0, 1, 2], i * 3);
    labels[i] = (a + b) % p;
  });
  return { tokens, positions, labels, count: rows.length };
}

/** The share of rows whose largest logit is the answer. */
function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}

function model(nn: NN, c: Config) {
  const embed = new nn.Embedding(c.p + 1, c.dModel), position = new nn.Embedding(3, c.dModel);
  const attention = new nn.MultiheadAttention(c.dModel, c.heads, { batchFirst: true });
  const up = new nn.Linear(c.dModel, c.dMlp), down = new nn.Linear(c.dMlp, c.dModel);
  const unembed = new nn.Linear(c.dModel, c.p, { bias: false });
  const forward = (d: ReturnType<typeof split>): Tensor => {
    const x0 = embed.forward(d.tokens, [d.count, 3]).add(position.forward(d.positions, [d.count, 3]));
    const x1 = x0.add(attention.forward(x0, x0, x0, { needWeights: false })[0]);
    const x2 = x1.add(down.forward(up.forward(x1).relu()));
    // The answer is read at the "=" token.
    return unembed.forward(x2.narrow(1, 2, 1).reshape(d.count, c.dModel));
  };
  // A plain object of modules: nn.stateDict names its parameters as PyTorch's state_dict would.
  const modules = { embed, position, attention, up, down, unembed };
  return { forward, modules, parameters: Object.values(modules).flatMap((m) => m.parameters()) };
}

export default {
  defaults: { p: 113, dModel: 128, heads: 4, dMlp: 512, trainFraction: 0.3, steps: 20_000, lr: 0.001, weightDecay: 1.0, evalEvery: 100, seed: 0 },
  validate(c) {
    const problems: string[] = [];
    if (!Number.isInteger(c.p) || c.p < 2 || c.p > 1000) problems.push("p: must be an integer 2..1000");
    if (!Number.isInteger(c.dModel) || c.dModel < 1 || c.dModel % c.heads !== 0) problems.push(`dModel: must be a positive multiple of heads (${c.heads})`);
    if (!(c.trainFraction > 0 && c.trainFraction < 1)) problems.push("trainFraction: must be in (0, 1)");
    if (!Number.isInteger(c.steps) || c.steps < 1) problems.push("steps: must be a positive integer");
    if (!Number.isInteger(c.evalEvery) || c.evalEvery < 1) problems.push("evalEvery: must be a positive integer");
    return problems;
  },
  run(c, ctx) {
    const { nn } = ctx;
    const pairs = shuffled(c.p * c.p, c.seed);
    const trainCount = Math.max(1, Math.round(c.trainFraction * pairs.length));
    const train = split(c.p, pairs.subarray(0, trainCount)), test = split(c.p, pairs.subarray(trainCount));
    const m = model(nn, c);
    // Nanda et al.: AdamW, betas (0.9, 0.98), full batch.
    const opt = nn.optim.adamw(m.parameters, { lr: c.lr, betas: [0.9, 0.98], weightDecay: c.weightDecay });
    const evaluate = (d: ReturnType<typeof split>) => nn.noGrad(() => nn.tidy(() => {
      const logits = m.forward(d);
      return { loss: nn.crossEntropy(logits, d.labels).item(), accuracy: accuracy(logits.data(), d.labels, c.p) };
    }));
    // A trial of ~35 minutes survives its machine: it resumes from its last checkpoint (the
    // model's and the optimiser's state as named arrays, taken at an evaluation when due).
    const saved = ctx.restore();
    if (saved) {
      const part = (prefix: string) => Object.fromEntries(Object.entries(saved.arrays!).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
      nn.loadStateDict(m.modules, part("model."));
      opt.loadStateDict(part("optim."));
    }
    const prefixed = (prefix: string, arrays: object) => Object.fromEntries(Object.entries(arrays).map(([k, v]) => [prefix + k, v]));
    // The training step is captured once and replayed (nn.graph): the same kernel calls in the
    // same order, so the same bits, without JavaScript's work per op at every step.
    let trainStep: ReturnType<typeof nn.graph> | undefined;
    for (let step = (saved?.step ?? 0) + 1; step <= c.steps && !ctx.shouldStop(); step++) {
      if (trainStep) trainStep.replay();
      else {
        trainStep = nn.graph(() => {
          nn.crossEntropy(m.forward(train), train.labels).backward();
          opt.step();
          opt.zeroGrad();
        });
      }
      if (step % c.evalEvery === 0 || step === c.steps) {
        const tr = evaluate(train), te = evaluate(test);
        ctx.report({ step, trainLoss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te.loss, testAccuracy: te.accuracy });
        if (ctx.checkpointDue(step)) ctx.checkpoint(step, { ...prefixed("model.", nn.stateDict(m.modules)), ...prefixed("optim.", opt.stateDict()) });
      }
    }
    trainStep?.dispose();
    // Kept as an .npz of the weights by name (numpy.load opens it); resultSha256 is its hash.
    return { state: nn.stateDict(m.modules) };
  },
} satisfies Experiment<Config>;
