// Hyperparameter importance by PED-ANOVA (Watanabe et al. 2023, arXiv 2304.10255), after Optuna's
// PedAnovaImportanceEvaluator (optuna/importance/_ped_anova, Optuna >= 3.6). A parameter matters
// as much as the values that reach the top `targetQuantile` of trials differ from the values
// tried overall: per parameter, a Parzen estimator of the top trials (p_top) and of all trials
// (p_all, the paper's region γ = 1), and the Pearson divergence ∫ (p_top/p_all − 1)² p_all.
// One dimension at a time, on a grid of at most 50 points, so it is linear in the trials and
// needs no model fitting: cheap enough to recompute on every finished trial.
import type { ParamSpec } from "./param-spec.ts";
import { canonicalJson } from "../experiments/plain-data.ts";

export interface ImportanceInput { params: Record<string, unknown>; value: number }

/** Optuna's settings (PedAnovaImportanceEvaluator.__init__), which the paper's results used. */
const N_STEPS = 50;
const PRIOR_WEIGHT = 1;
const MIN_N_TOP_TRIALS = 2;
/** Added to both densities, as Optuna does, so a grid point neither set reaches divides 0 by 0 harmlessly. */
const PDF_FLOOR = 1e-12;

/**
 * Each parameter's share of the objective's variation; shares sum to 1. Pure and deterministic.
 * Keys come out largest share first (ties in `space` order). Trials whose value is not finite
 * (failed or diverged runs) are left out, as Optuna leaves out all but complete trials.
 */
export function pedAnovaImportance(
  space: Record<string, ParamSpec>,
  trials: ImportanceInput[],
  goal: "maximize" | "minimize",
  opts: { targetQuantile?: number } = {},
): Record<string, number> {
  const targetQuantile = opts.targetQuantile ?? 0.1;
  if (!(targetQuantile >= 0 && targetQuantile <= 1)) throw new Error(`targetQuantile must be in [0, 1], got ${targetQuantile}`);
  const finite = trials.filter((t) => Number.isFinite(t.value));
  if (finite.length < MIN_N_TOP_TRIALS) {
    throw new Error(`PED-ANOVA needs at least ${MIN_N_TOP_TRIALS} trials with a finite value, got ${finite.length}`);
  }
  const top = topTrials(finite, goal, targetQuantile);

  const importance: Record<string, number> = {};
  const varying: string[] = [];
  let sum = 0;
  for (const [name, spec] of Object.entries(space)) {
    const grid = gridOf(name, spec);
    if (grid === null) {
      importance[name] = 0; // one possible value cannot explain anything (Optuna: dist.single())
      continue;
    }
    const pTop = grid.pdf(grid.counts(top));
    const pAll = grid.pdf(grid.counts(finite));
    let divergence = 0;
    for (let i = 0; i < pAll.length; i++) {
      const all = pAll[i] + PDF_FLOOR;
      const ratio = (pTop[i] + PDF_FLOOR) / all - 1;
      divergence += all * ratio * ratio;
    }
    importance[name] = divergence;
    varying.push(name);
    sum += divergence;
  }
  for (const name of varying) {
    // Every divergence is exactly 0 only when the top set is every trial (e.g. all values tie):
    // the data then say nothing, and equal shares are Optuna's answer too.
    importance[name] = sum > 0 ? importance[name] / sum : 1 / varying.length;
  }
  // With no varying parameter every share is 0 (Optuna returns nothing): there is nothing to share.
  return Object.fromEntries(Object.entries(importance).sort((a, b) => b[1] - a[1]));
}

/**
 * The trials whose loss is at most the `quantile` quantile (numpy's "inverted_cdf", so the best
 * ⌈q·n⌉), and never fewer than the best MIN_N_TOP_TRIALS: one trial gives no spread to compare.
 * Ties at the cutoff all go in, as in Optuna.
 */
function topTrials(trials: ImportanceInput[], goal: "maximize" | "minimize", quantile: number): ImportanceInput[] {
  const sign = goal === "minimize" ? 1 : -1;
  const losses = Float64Array.from(trials, (t) => sign * t.value).sort();
  const cutoff = Math.max(losses[MIN_N_TOP_TRIALS - 1], losses[Math.max(0, Math.ceil(quantile * losses.length) - 1)]);
  return trials.filter((t) => sign * t.value <= cutoff);
}

/** A parameter's grid: how to count trials into its points, and the Parzen estimate over them. */
interface Grid {
  counts(trials: ImportanceInput[]): Float64Array;
  /** The probability of each grid point under the Parzen estimator of these counts (sums to 1). */
  pdf(counts: Float64Array): Float64Array;
}

/** The grid for one parameter, or null when it can take only one value. */
function gridOf(name: string, spec: ParamSpec): Grid | null {
  if (Array.isArray(spec)) {
    if (spec.length <= 1) return null;
    const index = new Map(spec.map((choice, i) => [canonicalJson(choice), i]));
    return {
      counts: (trials) => {
        const counts = new Float64Array(spec.length);
        for (const t of trials) {
          const i = index.get(canonicalJson(paramOf(name, t)));
          if (i === undefined) throw new Error(`parameter "${name}": ${canonicalJson(paramOf(name, t))} is not one of its choices`);
          counts[i]++;
        }
        return counts;
      },
      pdf: categoricalPdf,
    };
  }
  let low: number, high: number, log = false, nSteps = N_STEPS;
  if ("int" in spec) {
    [low, high] = spec.int;
    // Few integers: one grid point each (a Gaussian kernel on a grid of 50 would smear them).
    if (high - low + 1 <= N_STEPS) nSteps = high - low + 1;
  } else if ("loguniform" in spec) {
    [low, high] = spec.loguniform.map(Math.log);
    log = true;
  } else {
    [low, high] = spec.uniform;
  }
  if (!(high > low)) return null;
  const step = (high - low) / (nSteps - 1);
  return {
    counts: (trials) => {
      const counts = new Float64Array(nSteps);
      for (const t of trials) {
        const raw = paramOf(name, t);
        const v = typeof raw === "number" && (!log || raw > 0) ? (log ? Math.log(raw) : raw) : NaN;
        if (!Number.isFinite(v)) throw new Error(`parameter "${name}": ${canonicalJson(raw)} is not a ${log ? "positive " : ""}number`);
        // The nearest grid point (Optuna: searchsorted(grids, v − step/2)); a value a rounding
        // error outside the range goes to the end point.
        const i = Math.ceil((v - low) / step - 0.5);
        counts[Math.min(nSteps - 1, Math.max(0, i))]++;
      }
      return counts;
    },
    pdf: numericalPdf,
  };
}

function paramOf(name: string, trial: ImportanceInput): unknown {
  if (!Object.hasOwn(trial.params, name)) throw new Error(`parameter "${name}" is missing from a trial`);
  return trial.params[name];
}

/**
 * Optuna's _ScottParzenEstimator on grid indices 0..n−1: a discretised Gaussian kernel (mass of
 * [x − ½, x + ½], truncated to the grid) at each occupied point, weighted by its count, all with
 * Scott's-rule bandwidth; plus a wide prior kernel at the middle (σ = n, weight PRIOR_WEIGHT) so
 * a small top set still has density everywhere.
 */
function numericalPdf(counts: Float64Array): Float64Array {
  const n = counts.length;
  const mus: number[] = [];
  const weights: number[] = [];
  let total = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (counts[i] > 0) {
      mus.push(i);
      weights.push(counts[i]);
      total += counts[i];
      mean += i * counts[i];
    }
  }
  mean /= total;
  let sumSq = 0;
  for (let k = 0; k < mus.length; k++) sumSq += (mus[k] - mean) ** 2 * weights[k];
  const sd = Math.sqrt(sumSq / Math.max(1, total - 1));
  // Interquartile range as Optuna reads it off the cumulative counts.
  const q25 = Math.floor(total / 4);
  const q75 = Math.floor((total * 3) / 4);
  let cum = 0, i25 = -1, i75 = -1;
  for (let k = 0; k < mus.length; k++) {
    cum += weights[k];
    if (i25 < 0 && cum >= q25) i25 = k;
    if (i75 < 0 && cum > q75) i75 = k;
  }
  const iqr = mus[i75 < 0 ? mus.length - 1 : i75] - mus[i25];
  // Scott (1992), robust form. The floor 0.5/1.64 keeps 90% of a kernel's mass within ±½ of its
  // point, so a kernel never gets narrower than the grid can show.
  const sigma = Math.max(1.059 * Math.min(iqr / 1.34, sd) * total ** -0.2, 0.5 / 1.64);

  const pdf = new Float64Array(n);
  const norm = total + PRIOR_WEIGHT;
  const addKernel = (mu: number, s: number, weight: number) => {
    const z = gaussMass((-0.5 - mu) / s, (n - 0.5 - mu) / s);
    for (let x = 0; x < n; x++) pdf[x] += (weight / norm) * (gaussMass((x - 0.5 - mu) / s, (x + 0.5 - mu) / s) / z);
  };
  for (let k = 0; k < mus.length; k++) addKernel(mus[k], sigma, weights[k]);
  addKernel((n - 1) / 2, n, PRIOR_WEIGHT);
  return pdf;
}

/**
 * Optuna's categorical Parzen estimator in closed form. With N trials over K − 1 distinct
 * observed choices (K counts the prior) among C, each observed choice's kernel puts 1 + w/K on
 * itself and w/K on every choice (then normalised), weighted by its count; the prior is uniform,
 * weighted w. So p(c) = [(N·w/K + count_c)/(C·w/K + 1) + w/C] / (N + w).
 */
function categoricalPdf(counts: Float64Array): Float64Array {
  const c = counts.length;
  let total = 0, distinct = 0;
  for (const n of counts) {
    total += n;
    if (n > 0) distinct++;
  }
  const share = PRIOR_WEIGHT / (distinct + 1);
  return counts.map((n) => ((total * share + n) / (c * share + 1) + PRIOR_WEIGHT / c) / (total + PRIOR_WEIGHT));
}

/** P(a < Z < b) for a standard normal Z, from the tail on the side it lies, so small masses keep their digits. */
function gaussMass(a: number, b: number): number {
  if (a >= 0) return 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2));
  if (b <= 0) return 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
  return 1 - 0.5 * (erfc(-a / Math.SQRT2) + erfc(b / Math.SQRT2));
}

// Numerical Recipes (3rd ed., §6.2) Chebyshev fit of erfc for x >= 0, to double precision.
const ERFC_COF = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
  3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6,
  1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10,
  9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
  -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

/** erfc(x) for x >= 0 (the only side gaussMass asks for). */
function erfc(x: number): number {
  const t = 2 / (2 + x);
  const ty = 4 * t - 2;
  let d = 0, dd = 0;
  for (let j = ERFC_COF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COF[j];
    dd = tmp;
  }
  return t * Math.exp(-x * x + 0.5 * (ERFC_COF[0] + ty * d) - dd);
}
