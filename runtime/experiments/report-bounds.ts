// How many reports a trial may send: what its experiment's config allows (the built-in reports
// once per epoch), else the general cap. Relays and the controller refuse reports past it.
import type { ExperimentRef } from "../../protocol/messages.ts";
import { MAX_REPORTS } from "./metrics-check.ts";

export function maxReportsOf(experiment: ExperimentRef, config: Record<string, unknown>): number {
  if (experiment.sha === null && experiment.name === "network") {
    const epochs = (config.train as { epochs?: unknown } | undefined)?.epochs;
    if (typeof epochs === "number" && Number.isInteger(epochs) && epochs > 0) return Math.min(epochs, MAX_REPORTS);
  }
  return MAX_REPORTS;
}
