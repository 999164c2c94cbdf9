// The truncated standard normal as Optuna 3.1's optuna/samplers/_tpe/_truncnorm.py (itself from
// SciPy): log-space masses so a component far outside [a, b] still has a finite log density, and
// the inverse CDF by 100 bisection steps on log Φ, which is slow but has the same answer
// everywhere (no platform ndtri). Math.log/log1p/exp are V8's fdlibm ports, so the bits do not
// depend on the machine; another engine could in theory differ in the last bit, which we accept.
import { erf, erfc } from "./erf.ts";

const LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI));

/** Φ(a), with erfc in the tails so a small Φ keeps its relative accuracy. */
export function ndtr(a: number): number {
  const x = a / Math.SQRT2;
  if (x < -Math.SQRT1_2) return 0.5 * erfc(-x);
  if (x < Math.SQRT1_2) return 0.5 + 0.5 * erf(x);
  return 1 - 0.5 * erfc(x);
}

/** log Φ(a); below -20 by the asymptotic series, where Φ itself underflows. */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a); // log(1 - ε) ≈ -ε
  if (a > -20) return Math.log(ndtr(a));
  const logLhs = -0.5 * a * a - Math.log(-a) - 0.5 * Math.log(2 * Math.PI);
  let last = 0;
  let sum = 1;
  let numerator = 1;
  let denominator = 1;
  const step = 1 / (a * a);
  let sign = 1;
  for (let i = 1; Math.abs(last - sum) > Number.EPSILON; i++) {
    last = sum;
    sign = -sign;
    denominator *= step;
    numerator *= 2 * i - 1;
    sum += sign * numerator * denominator;
  }
  return logLhs + Math.log(sum);
}

/** log(e^p + e^q) as numpy.logaddexp. */
function logAddExp(p: number, q: number): number {
  if (p === q) return p + Math.LN2;
  const d = p - q;
  return d > 0 ? p + Math.log1p(Math.exp(-d)) : q + Math.log1p(Math.exp(d));
}

/** log(e^p - e^q) for p ≥ q. */
function logDiffExp(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

/** log of the standard normal's mass in [a, b], worked in the left tail (the accurate side). */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiffExp(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiffExp(logNdtr(-a), logNdtr(-b));
  // Straddling 0 the mass is near 1: subtracting both tails avoids cancellation.
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** log φ(x) of the standard normal. */
export function normLogPdf(x: number): number {
  return -(x * x) / 2 - LOG_SQRT_2PI;
}

/** x with log Φ(x) = y, by Optuna's fixed 100 bisection steps over [-100, 100]. */
function ndtriExp(y: number): number {
  let lo = -100;
  let hi = 100;
  if (logNdtr(lo) > y) [lo, hi] = [hi, lo];
  let mid = 0;
  for (let i = 0; i < 100; i++) {
    mid = (lo + hi) / 2;
    if (logNdtr(mid) < y) lo = mid;
    else hi = mid;
  }
  return mid;
}

/** The q-quantile of the standard normal truncated to [a, b]. */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (a === b) return NaN;
  if (q === 0) return a;
  if (q === 1) return b;
  // Work from whichever end lies in the left tail, as Optuna does, so Φ is never near 1.
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logGaussMass(a, b)));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logGaussMass(a, b)));
}
