// Rows grouped by a numeric key (a sweep, a trial), keys and rows in the order they came:
// Node 20 has no Map.groupBy.

export function groupBy<T>(rows: Iterable<T>, key: (row: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}
