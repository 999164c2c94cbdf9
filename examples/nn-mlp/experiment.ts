// A classifier written with ctx.nn in PyTorch's words: a tanh MLP on the spirals, AdamW,
// each training step inside nn.tidy so memory stays flat. The README's ctx.nn tutorial.
import type { Experiment } from "discalc/experiment";
import type { Tensor } from "discalc/nn";

interface Config {
  dataset: { name: string; train: number; test: number };
  hidden: number;
  steps: number;
  lr: number;
  seed: number;
}

export default {
  defaults: { dataset: { name: "spirals", train: 1024, test: 256 }, hidden: 64, steps: 500, lr: 0.01, seed: 0 },
  run(c, ctx) {
    const { nn } = ctx;
    const data = ctx.dataset(c.dataset);
    const l1 = new nn.Linear(2, c.hidden), l2 = new nn.Linear(c.hidden, data.classes?.length ?? 3);
    const params = [...l1.parameters(), ...l2.parameters()];
    const opt = nn.optim.adamw(params, { lr: c.lr, weightDecay: 1e-4 });
    const x = nn.tensor(data.train.x, [data.train.count, 2]);
    const y = data.train.y as Int32Array;
    const forward = (t: Tensor) => l2.forward(l1.forward(t).tanh());
    for (let step = 0; step < c.steps; step++) {
      const loss = nn.tidy(() => {
        opt.zeroGrad();
        const l = nn.crossEntropy(forward(x), y);
        l.backward();
        opt.step();
        return l.item();
      });
      if ((step + 1) % 50 === 0) ctx.report({ loss });
    }
    // Ranked on the validation rows (dataset.validation, 0.1 of train by default); test measured once.
    const lossOn = (split: typeof data.test) => nn.noGrad(() => nn.tidy(() => nn.crossEntropy(forward(nn.tensor(split.x, [split.count, 2])), split.y as Int32Array).item()));
    return { metrics: { valLoss: lossOn(data.validation), testLoss: lossOn(data.test) }, state: nn.stateOf(params) }; // resultSha256 is the weights' hash
  },
} satisfies Experiment<Config>;
