// Class labels to indices. The class order is part of the packed blob, so it must not depend
// on the machine: integers sort by value, anything else by UTF-16 code unit (not
// localeCompare, whose order follows the locale).

const INTEGER = /^[+-]?\d+$/;

/** Unique names in label order: numeric when every name is an integer, else by code unit. */
export function sortClasses(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  if (!unique.every((name) => INTEGER.test(name))) return unique.sort(byCodeUnit);
  // BigInt keeps 20-digit ids exact; "05" and "5" stay two classes, ordered by code unit.
  return unique.sort((a, b) => {
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : byCodeUnit(a, b);
  });
}

/** Each label's index into the sorted classes. */
export function indexLabels(labels: readonly string[]): { y: Int32Array; classes: string[] } {
  const classes = sortClasses(labels);
  const index = new Map(classes.map((name, i) => [name, i]));
  return { y: Int32Array.from(labels, (label) => index.get(label)!), classes };
}

/** Each label's index into classes the spec names (every label is one of them: the reader checked). */
export function indexNamedLabels(labels: readonly string[], classes: readonly string[]): { y: Int32Array; classes: string[] } {
  const index = new Map(classes.map((name, i) => [name, i]));
  return { y: Int32Array.from(labels, (label) => index.get(label)!), classes: [...classes] };
}

/** Integer labels (from NPY or IDX): classes are the sorted unique values, as strings. */
export function indexIntegerLabels(values: ArrayLike<number>): { y: Int32Array; classes: string[] } {
  const unique = [...new Set(Array.from(values))].sort((a, b) => a - b);
  const index = new Map(unique.map((value, i) => [value, i]));
  return { y: Int32Array.from(values, (value) => index.get(value)!), classes: unique.map(String) };
}

/** Re-points indices from one class list to a superset of it (train and test files merged). */
export function remapLabels(y: Int32Array, from: readonly string[], to: readonly string[]): Int32Array {
  const index = new Map(to.map((name, i) => [name, i]));
  const map = from.map((name) => index.get(name)!);
  return y.map((i) => map[i]!);
}
