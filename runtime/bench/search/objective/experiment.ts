// The search benchmark's objective (npm run bench:search): a standard test function evaluated
// at the trial's parameters, as `{ metrics: { value } }` to minimise. The config names the
// function, `fn: branin | hartmann6 | mixed`, and holds its parameters at the top level:
//
//   branin     x1 ∈ [−5, 10], x2 ∈ [0, 15]                 minimum 0.397887 (three places)
//   hartmann6  x0..x5 ∈ [0, 1]                             minimum −3.32237 at
//              (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
//   mixed      lr loguniform [1e-5, 1], optimizer ∈ {sgd, momentum, adam, rmsprop},
//              layers int [1, 8], dropout uniform [0, 0.8]  minimum 0 at
//              (lr 1e-3, adam, layers 3, dropout 0.25)
//
// The mixed function is a stand-in for a training run's loss: each optimizer has its own best
// learning rate, its own floor and its own sensitivity (curvature in decades of lr):
//   value = floor[opt] + curv[opt]·(log10 lr − log10 best[opt])² + 0.05·(layers − 3)² + 2·(dropout − 0.25)²
// Branin and Hartmann-6 are the definitions of Surjanovic & Bingham's library (sfu.ca/~ssurjano),
// as Optuna's and BoTorch's benchmarks use them. The peer (../optuna-peer.py) defines the same three.
//
// cos, exp and log10 come from the host's Math: V8 computes them with its own ports of fdlibm,
// not the platform's libm, so a given Node gives the same bits on every machine.
import type { Experiment } from "discalc/experiment";

export const FUNCTIONS = ["branin", "hartmann6", "mixed"] as const;
export type Fn = (typeof FUNCTIONS)[number];

export const OPTIMIZERS = {
  //         floor   curvature  best lr
  sgd: { floor: 0.5, curv: 1.0, best: 1e-1 },
  momentum: { floor: 0.2, curv: 0.5, best: 1e-2 },
  adam: { floor: 0.0, curv: 0.25, best: 1e-3 },
  rmsprop: { floor: 0.3, curv: 0.75, best: 1e-4 },
} as const;
type Optimizer = keyof typeof OPTIMIZERS;

/** Each function's parameters and their domains (closed). */
const DOMAINS: Record<Fn, Record<string, [number, number] | readonly string[]>> = {
  branin: { x1: [-5, 10], x2: [0, 15] },
  hartmann6: { x0: [0, 1], x1: [0, 1], x2: [0, 1], x3: [0, 1], x4: [0, 1], x5: [0, 1] },
  mixed: { lr: [1e-5, 1], optimizer: Object.keys(OPTIMIZERS), layers: [1, 8], dropout: [0, 0.8] },
};

export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((p) => p * 1e-4));

export function hartmann6(x: number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (x[j]! - H_P[i]![j]!) ** 2;
    sum += H_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

export function mixed(lr: number, optimizer: Optimizer, layers: number, dropout: number): number {
  const o = OPTIMIZERS[optimizer];
  return o.floor + o.curv * (Math.log10(lr) - Math.log10(o.best)) ** 2 + 0.05 * (layers - 3) ** 2 + 2 * (dropout - 0.25) ** 2;
}

type Config = { fn: Fn } & Record<string, unknown>;

const experiment: Experiment<Config> = {
  // Each function has its own parameters (DOMAINS), which validate checks: no defaults to name them.
  strict: false,
  validate(c) {
    if (!(FUNCTIONS as readonly unknown[]).includes(c.fn)) return [`fn: must be one of ${FUNCTIONS.join(", ")}, not ${JSON.stringify(c.fn)}`];
    const problems: string[] = [];
    for (const [name, domain] of Object.entries(DOMAINS[c.fn])) {
      const v = c[name];
      if (typeof domain[0] === "string") {
        if (!(domain as readonly unknown[]).includes(v)) problems.push(`${name}: must be one of ${domain.join(", ")}`);
      } else {
        const [lo, hi] = domain as [number, number];
        if (typeof v !== "number" || !(v >= lo && v <= hi)) problems.push(`${name}: must be a number in [${lo}, ${hi}]`);
        else if (name === "layers" && !Number.isInteger(v)) problems.push(`${name}: must be an integer`);
      }
    }
    return problems;
  },

  run(c) {
    const n = (k: string) => c[k] as number;
    const value = c.fn === "branin" ? branin(n("x1"), n("x2"))
      : c.fn === "hartmann6" ? hartmann6([0, 1, 2, 3, 4, 5].map((i) => n(`x${i}`)))
      : mixed(n("lr"), c.optimizer as Optimizer, n("layers"), n("dropout"));
    return { metrics: { value } };
  },
};

export default experiment;
