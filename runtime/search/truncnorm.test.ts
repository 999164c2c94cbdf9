import { test } from "node:test";
import assert from "node:assert/strict";
import { erf, erfc } from "./erf.ts";
import { logGaussMass, logNdtr, ndtr, truncnormPpf } from "./truncnorm.ts";

/** Within a few ulps of the reference (glibc's math.erf / SciPy, printed by Python). */
function near(actual: number, expected: number, relative = 4e-16) {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${actual} is not ${expected}`);
}

test("erf and erfc match glibc's, erfc keeping its accuracy deep in the tail", () => {
  near(erf(0.5), 0.5204998778130465);
  near(erf(1), 0.8427007929497149);
  near(erf(-2), -0.9953222650189527);
  near(erf(1e-10), 1.1283791670955126e-10);
  near(erfc(3), 2.2090496998585438e-5);
  near(erfc(10), 2.088487583762545e-45);
  near(erfc(-1), 1.842700792949715);
  assert.equal(erf(Infinity), 1);
  assert.equal(erfc(-Infinity), 2);
});

test("log Φ matches SciPy's log_ndtr in the body and both tails", () => {
  near(logNdtr(-30), -454.32124395634327);
  near(logNdtr(-10), -53.23128515051248);
  near(logNdtr(0), -0.6931471805599453);
  near(logNdtr(8), -6.220960574271742e-16, 1e-9);
  near(ndtr(0), 0.5);
});

test("the log mass of an interval stays finite 30 sigmas out", () => {
  near(logGaussMass(30, 31), -454.3212439563433, 1e-12);
  near(logGaussMass(-31, -30), -454.3212439563433, 1e-12);
  near(logGaussMass(-1, 2), -0.20016629432446262, 1e-12);
});

test("the truncated quantile matches SciPy's and stays inside [a, b]", () => {
  near(truncnormPpf(0.3, 5, 9), 5.068334263012984, 1e-12);
  near(truncnormPpf(0.7, -3, 0.5), -0.03904139589836369, 1e-10);
  assert.equal(truncnormPpf(0, -1, 1), -1);
  for (const q of [1e-12, 0.5, 1 - 1e-12]) {
    const x = truncnormPpf(q, 20, 25);
    assert.ok(x >= 20 && x <= 25, `${x}`);
  }
});
