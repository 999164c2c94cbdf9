// Quantiles as NumPy's default (linear interpolation between order statistics), defined for
// ±Infinity too: the stopping rules bound an undetermined cutoff by filling the values still
// to come with -Infinity and then +Infinity.

/** The q-quantile (0 ≤ q ≤ 1) of `values` (not empty), linear between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("quantile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const frac = h - lo;
  if (frac === 0) return a;
  const b = sorted[lo + 1]!;
  // Infinity - Infinity is NaN: an infinite end with any weight dominates.
  if (a === b) return a;
  if (a === -Infinity) return -Infinity;
  if (b === Infinity) return Infinity;
  return a + frac * (b - a);
}
