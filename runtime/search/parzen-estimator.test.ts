import { test } from "node:test";
import assert from "node:assert/strict";
import { CategoricalParzen, NumericalParzen, observationWeights } from "./parzen-estimator.ts";

// Reference values from Optuna 3.1.0's _ParzenEstimator (univariate, TPESampler defaults), as is:
// its float log density without the − log σ that 3.5 added. (Tied means, which only integers get,
// are sorted stably here; numpy's argsort does not promise an order for them.)
function near(actual: number, expected: number) {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${actual} is not ${expected}`);
}

test("observation weights: flat up to 25, then a ramp from 1/n for the oldest", () => {
  assert.deepEqual(observationWeights(3), [1, 1, 1]);
  assert.deepEqual(observationWeights(25), new Array(25).fill(1));
  assert.deepEqual(observationWeights(30).slice(0, 6), [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1, 1]);
});

test("a float parameter: bandwidths from the neighbours, clipped, and Optuna 3.1's log density", () => {
  const pe = new NumericalParzen([2, -1, 7.5, 2.5], -5, 10, null);
  assert.deepEqual((pe as unknown as { sigmas: number[] }).sigmas, [3, 3, 5, 2.5, 15]);
  [-5, 0, 2.2, 10].forEach((x, i) => near(pe.logPdf(x), [-1.464027492264522, -0.8217649230019245, -0.724492562933893, -1.2380735106561362][i]!));
  assert.equal(pe.logPdf(10.5), -Infinity);
});

test("a log-scaled parameter, in log space: Optuna 3.1's FloatDistribution(log=True)", () => {
  const pe = new NumericalParzen([1e-3, 0.1, 0.5].map(Math.log), Math.log(1e-5), 0, null);
  [1e-5, 1e-3, 0.3, 1].forEach((x, i) => near(pe.logPdf(Math.log(x)), [-1.396274681832078, -0.8657952025673523, -0.6339282837964206, -0.7081880504764053][i]!));
});

test("an int parameter: the mass of each value's unit-wide bin", () => {
  const pe = new NumericalParzen([3, 9, 8], 2, 9, 1);
  assert.deepEqual((pe as unknown as { sigmas: number[] }).sigmas, [2.5, 1.6, 2.5, 8]);
  [2, 3, 9].forEach((x, i) => near(pe.logPdf(x), [-2.482062115695127, -2.3677548068706997, -1.7033927136079487][i]!));
  let next = 0;
  for (const x of pe.sample(200, () => (next = (next + 0.618034) % 1))) assert.ok(Number.isInteger(x) && x >= 2 && x <= 9, `${x}`);
});

test("a categorical parameter: each observation's choice plus the prior's spread", () => {
  const pe = new CategoricalParzen([1, 1, 2], 3);
  [0, 1, 2].forEach((c, i) => near(pe.logPdf(c), [-1.6582280766035324, -0.7419373447293773, -1.0986122886681096][i]!));
});

test("sampling as Optuna 3.1: the components by weight first, then each one's truncated quantile", () => {
  // Optuna's sample() with a RandomState that hands out these uniforms: choice() takes the first
  // four, truncnorm.rvs the next four.
  const stream = () => {
    const us = [0.05, 0.3, 0.55, 0.97, 0.1, 0.5, 0.9, 0.999];
    return () => us.shift()!;
  };
  const float = new NumericalParzen([2, -1, 7.5, 2.5], -5, 10, null).sample(4, stream());
  [-1.7044276578060957, -0.6567656835076653, 9.066020283061746, 9.983689635804335].forEach((x, i) => near(float[i]!, x));
  assert.deepEqual(new NumericalParzen([3, 9, 8], 2, 9, 1).sample(4, stream()), [2, 8, 9, 9]);
});
