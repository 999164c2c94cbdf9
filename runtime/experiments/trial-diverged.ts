// A number an experiment reports that stops being finite (a loss gone NaN) ends its trial as
// diverged: the same code and seed diverge again, so it is never retried, and the reports it
// made before are kept.
import type { Metrics } from "./contract.ts";

export class TrialDiverged extends Error {
  constructor(message: string, readonly reports: Metrics[]) {
    super(message);
    this.name = "TrialDiverged";
  }
}

/** The first entry of `value` that is a number but not finite, as `"name" is NaN`, or null. */
export function nonFiniteEntry(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  for (const name of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[name];
    if (typeof v === "number" && !Number.isFinite(v)) return `metric ${JSON.stringify(name)} is ${String(v)}`;
  }
  return null;
}
