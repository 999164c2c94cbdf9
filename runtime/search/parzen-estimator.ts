// One parameter's Parzen estimator as Optuna 3.1's univariate _ParzenEstimator with TPESampler's
// defaults (consider_prior, prior_weight 1, consider_magic_clip, no consider_endpoints,
// default_weights): a weighted mixture with one component per observation plus a prior component
// that covers the whole range, so the model never rules a region out.
import { logGaussMass, normLogPdf, truncnormPpf } from "./truncnorm.ts";

const PRIOR_WEIGHT = 1;

/** A float in [0, 1). */
export type Unit = () => number;

/** Optuna's default_weights: all 1, except a linear ramp down for the oldest beyond the newest 25. */
export function observationWeights(n: number): number[] {
  const ramp = n < 25 ? 0 : n - 25;
  const weights = new Array<number>(n).fill(1);
  // np.linspace(1/n, 1, ramp): start + i·step, the last one exactly the stop.
  const step = ramp > 1 ? (1 - 1 / n) / (ramp - 1) : 0;
  for (let i = 0; i < ramp; i++) weights[i] = i === ramp - 1 && ramp > 1 ? 1 : 1 / n + i * step;
  return weights;
}

/** The mixture weights: the observations' (in chronological order), then the prior's, normalised. */
function mixtureWeights(n: number): number[] {
  const weights = [...observationWeights(n), PRIOR_WEIGHT];
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

/** A component index drawn by weight, as numpy's choice(p=…): how many cumulative weights are ≤ u. */
function pickComponent(cumulative: readonly number[], u: number): number {
  const scaled = u * cumulative[cumulative.length - 1]!;
  let k = 0;
  while (k < cumulative.length - 1 && cumulative[k]! <= scaled) k++;
  return k;
}

function cumulativeSum(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((v) => (sum += v));
}

/** log Σ e^(terms), shifted by the largest so nothing overflows. */
function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.log(sum) + max;
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * A numerical parameter on [low, high] in its model space (logarithms for a log scale). With a
 * step (1 for integers) the mixture lives on [low − step/2, high + step/2] and a value's
 * probability is the mass of its step-wide bin, as Optuna models IntDistribution.
 */
export class NumericalParzen {
  private readonly weights: number[];
  private readonly cumulative: number[];
  private readonly mus: number[];
  private readonly sigmas: number[];
  /** Per component: log of its mass inside the bounds (+ log σ for a density). */
  private readonly logNorm: number[];
  private readonly lo: number;
  private readonly hi: number;

  constructor(observations: readonly number[], private readonly low: number, private readonly high: number, private readonly step: number | null) {
    this.lo = step === null ? low : low - step / 2;
    this.hi = step === null ? high : high + step / 2;
    const { lo, hi } = this;
    const n = observations.length;
    this.weights = mixtureWeights(n);
    this.cumulative = cumulativeSum(this.weights);
    this.mus = [...observations, (lo + hi) / 2];

    // Each σ is the larger gap to its sorted neighbours (the bounds at the ends); with no
    // consider_endpoints the outermost ones use their inner gap only. The prior's mean takes part
    // in the sort, as in Optuna, though its own σ is then replaced.
    const order = this.mus.map((_, i) => i).sort((i, j) => this.mus[i]! - this.mus[j]!);
    const sorted = [lo, ...order.map((i) => this.mus[i]!), hi];
    const sortedSigmas = order.map((_, s) => Math.max(sorted[s + 1]! - sorted[s]!, sorted[s + 2]! - sorted[s + 1]!));
    if (sorted.length >= 4) {
      sortedSigmas[0] = sorted[2]! - sorted[1]!;
      sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
    }
    // The "magic clip": no σ below range/min(100, components + 1), nor above the range.
    const maxSigma = hi - lo;
    const minSigma = (hi - lo) / Math.min(100, 1 + this.mus.length);
    this.sigmas = new Array<number>(this.mus.length);
    order.forEach((i, s) => (this.sigmas[i] = Math.min(maxSigma, Math.max(minSigma, sortedSigmas[s]!))));
    this.sigmas[n] = hi - lo; // the prior

    this.logNorm = this.mus.map((mu, k) => {
      const sigma = this.sigmas[k]!;
      const mass = logGaussMass((lo - mu) / sigma, (hi - mu) / sigma);
      // As Optuna 3.1 (to 3.4): a float component's log density is log φ(z) − log mass, without
      // the − log σ of a scaled density (added in 3.5, "Fix logpdf for scaled truncnorm"). So
      // each component counts as σ times its true density, favouring the wide ones (the prior
      // above all); it is 3.1's search behaviour that this port reproduces.
      return mass;
    });
  }

  /** `count` draws from the mixture, as Optuna: the components first, then each one's quantile. */
  sample(count: number, unit: Unit): number[] {
    const components = Array.from({ length: count }, () => pickComponent(this.cumulative, unit()));
    return components.map((k) => {
      const mu = this.mus[k]!;
      const sigma = this.sigmas[k]!;
      const x = truncnormPpf(unit(), (this.lo - mu) / sigma, (this.hi - mu) / sigma) * sigma + mu;
      if (this.step === null) return Math.min(this.high, Math.max(this.low, x));
      return Math.min(this.high, Math.max(this.low, roundHalfEven((x - this.low) / this.step) * this.step + this.low));
    });
  }

  logPdf(x: number): number {
    const terms = this.mus.map((mu, k) => {
      const sigma = this.sigmas[k]!;
      let log: number;
      if (this.step === null) {
        const z = (x - mu) / sigma;
        const outside = z < (this.lo - mu) / sigma || z > (this.hi - mu) / sigma;
        log = outside ? -Infinity : normLogPdf(z) - this.logNorm[k]!;
      } else {
        const upper = Math.min(x + this.step / 2, this.hi);
        const lower = Math.max(x - this.step / 2, this.lo);
        log = logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - this.logNorm[k]!;
      }
      return log + Math.log(this.weights[k]!);
    });
    return logSumExp(terms);
  }
}

/**
 * A categorical parameter over choice indices 0..size-1: each observation's component puts
 * weight 1 on its choice plus prior_weight/(n+1) spread over every choice; the prior component is
 * that spread alone (uniform).
 */
export class CategoricalParzen {
  private readonly weights: number[];
  private readonly cumulative: number[];
  /** Per component, the probability of each choice. */
  private readonly rows: number[][];

  constructor(observations: readonly number[], size: number) {
    const n = observations.length;
    this.weights = mixtureWeights(n);
    this.cumulative = cumulativeSum(this.weights);
    const spread = PRIOR_WEIGHT / (n + 1);
    this.rows = [...observations, -1].map((choice) => {
      const row = new Array<number>(size).fill(spread);
      if (choice >= 0) row[choice]! += 1;
      const total = row.reduce((sum, p) => sum + p, 0);
      return row.map((p) => p / total);
    });
  }

  sample(count: number, unit: Unit): number[] {
    const components = Array.from({ length: count }, () => pickComponent(this.cumulative, unit()));
    return components.map((k) => {
      // Optuna's count of cumulative probabilities below u; capped in case rounding leaves the
      // last cumulative sum a hair under u.
      const u = unit();
      const row = this.rows[k]!;
      let sum = 0;
      let choice = 0;
      for (const p of row) if ((sum += p) < u) choice++;
      return Math.min(choice, row.length - 1);
    });
  }

  logPdf(choice: number): number {
    let p = 0;
    this.rows.forEach((row, k) => (p += this.weights[k]! * row[choice]!));
    return Math.log(p);
  }
}
