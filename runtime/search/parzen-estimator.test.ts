import { test } from "node:test";
import assert from "node:assert/strict";
import { CategoricalParzen, NumericalParzen, observationWeights } from "./parzen-estimator.ts";

// Reference values from Optuna 3.1.0's _ParzenEstimator (univariate, TPESampler defaults), with
// its logpdf's missing log σ restored as in Optuna 3.5 and a stable sort for tied means.
function near(actual: number, expected: number) {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${actual} is not ${expected}`);
}

test("observation weights: flat up to 25, then a ramp from 1/n for the oldest", () => {
  assert.deepEqual(observationWeights(3), [1, 1, 1]);
  assert.deepEqual(observationWeights(25), new Array(25).fill(1));
  assert.deepEqual(observationWeights(30).slice(0, 6), [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1, 1]);
});

test("a float parameter: bandwidths from the neighbours, clipped, and Optuna's log density", () => {
  const pe = new NumericalParzen([2, -1, 7.5, 2.5], -5, 10, null);
  assert.deepEqual((pe as unknown as { sigmas: number[] }).sigmas, [3, 3, 5, 2.5, 15]);
  [-5, 0, 2.2, 10].forEach((x, i) => near(pe.logPdf(x), [-3.5956502392456104, -2.4085160823654563, -2.2787344739090116, -3.3822547368400846][i]!));
  assert.equal(pe.logPdf(10.5), -Infinity);
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
