// The validation split: rows held out of the training data so that a sweep ranks its trials
// on data no trial trained on, and never on the test set (which then measures the chosen
// model once, as in any held-out evaluation). Built-in and file datasets split the same way.
import { z } from "zod";

/** The fraction of the training rows held out when the dataset spec names none. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

const FRACTION = "must be a fraction in [0, 1) (0: no validation split)";

/** `dataset.validation`: the fraction of the training rows held out; 0 trains on them all. */
export const ValidationFraction = z.number({ error: FRACTION }).min(0, FRACTION).lt(1, FRACTION).default(DEFAULT_VALIDATION_FRACTION);

/** Rows held out of `trainRows` for a fraction: at least 1 when the fraction is above 0, and at least 1 row left to train on. */
export function validationCount(trainRows: number, fraction: number): number {
  if (fraction <= 0 || trainRows < 2) return 0;
  return Math.min(trainRows - 1, Math.max(1, Math.round(trainRows * fraction)));
}
