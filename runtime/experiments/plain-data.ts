// Helpers for configs as plain JSON data: object tests, deep merge of defaults, canonical JSON.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** `over` on top of `under`: objects merge key by key, anything else in `over` replaces. */
export function deepMerge(under: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(under);
  if (!isPlainObject(under) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(under);
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(under[k], v);
  return out;
}

/** JSON with object keys sorted, so key order and YAML vs JSON do not change a hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v);
}

/** The value at a dotted path, or undefined. */
export function getPath(target: unknown, path: string): unknown {
  let at = target;
  for (const key of path.split(".")) {
    if (!isPlainObject(at)) return undefined;
    at = at[key];
  }
  return at;
}
