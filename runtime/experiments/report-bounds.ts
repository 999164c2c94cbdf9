// How many reports a trial may send: what its experiment's config allows (the built-in reports
// once per epoch), else the general cap. Relays and the controller refuse reports past it.
import type { ExperimentRef } from "../../protocol/messages.ts";
import { MAX_REPORTS } from "./metrics-check.ts";

/** The config key that bounds a trial's reports, when its experiment has one (the built-in: an epoch each). */
export function reportBoundKey(experiment: ExperimentRef): string | undefined {
  return experiment.sha === null && experiment.name === "network" ? "train.epochs" : undefined;
}

export function maxReportsOf(experiment: ExperimentRef, config: Record<string, unknown>): number {
  if (experiment.sha === null && experiment.name === "network") {
    const epochs = (config.train as { epochs?: unknown } | undefined)?.epochs;
    if (typeof epochs === "number" && Number.isInteger(epochs) && epochs > 0) return Math.min(epochs, MAX_REPORTS);
  }
  return MAX_REPORTS;
}

/**
 * Whether a trial may send `count` reports, its config given as the stored JSON text: parsed
 * only when the count could be past the bound (every bound allows one report, and a tiny
 * trial's result, which carries one, is recorded without parsing its config again).
 */
export function reportsAllowed(experiment: ExperimentRef, count: number, configJson: string): boolean {
  return count <= 1 || count <= maxReportsOf(experiment, JSON.parse(configJson) as Record<string, unknown>);
}
