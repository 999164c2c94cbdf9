// Reports and final metrics cross the wire and rank trials: named finite numbers only,
// checked where the experiment hands them over so its error names the bad entry.

import { METRIC_NAME, MAX_REPORTS } from "../../protocol/messages.ts";

export { METRIC_NAME, MAX_REPORTS };
export const MAX_METRICS_PER_REPORT = 64;

export function checkMetrics(value: unknown, what: string): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object of named numbers, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_METRICS_PER_REPORT) throw new TypeError(`${what} has ${entries.length} metrics, at most ${MAX_METRICS_PER_REPORT}`);
  const out: Record<string, number> = {};
  for (const [name, v] of entries) {
    if (!METRIC_NAME.test(name)) throw new TypeError(`${what}: metric name ${JSON.stringify(name)} must match ${METRIC_NAME}`);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${what}: metric "${name}" must be a finite number, got ${String(v)}`);
    out[name] = v;
  }
  return out;
}
