// Reports and final metrics cross the wire and rank trials: named finite numbers only,
// checked where the experiment hands them over so its error names the bad entry.

import { METRIC_NAME, MAX_REPORTS } from "../../protocol/messages.ts";

export { METRIC_NAME, MAX_REPORTS };
export const MAX_METRICS_PER_REPORT = 64;

/** Names already matched against METRIC_NAME: an experiment reports the same few names every epoch. */
const goodNames = new Set<string>();

export function checkMetrics(value: unknown, what: string): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object of named numbers, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  const names = Object.keys(value);
  if (names.length > MAX_METRICS_PER_REPORT) throw new TypeError(`${what} has ${names.length} metrics, at most ${MAX_METRICS_PER_REPORT}`);
  const out: Record<string, number> = {};
  for (const name of names) {
    if (!goodNames.has(name)) {
      if (!METRIC_NAME.test(name)) throw new TypeError(`${what}: metric name ${JSON.stringify(name)} must match ${METRIC_NAME}`);
      // It matches, but no object can hold it as a key: it would vanish on the way, without a word.
      if (name === "__proto__") throw new TypeError(`${what}: metric name "__proto__" is reserved`);
      if (goodNames.size < 4096) goodNames.add(name);
    }
    const v = (value as Record<string, unknown>)[name];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${what}: metric "${name}" must be a finite number, got ${String(v)}`);
    out[name] = v;
  }
  return out;
}
