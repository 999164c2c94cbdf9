// Experiments by name, as tfjs registers kernels: the built-in ones register here, and later
// features (new trainers) add theirs with registerExperiment without touching the runtime.
import type { ExperimentEntry } from "./experiment-entry.ts";
import { networkExperiment } from "./network/network-experiment.ts";

const registry = new Map<string, ExperimentEntry>();

export function registerExperiment(entry: ExperimentEntry): void {
  if (registry.has(entry.name)) throw new Error(`an experiment named "${entry.name}" is already registered`);
  registry.set(entry.name, entry);
}

/** The name a sweep that names no experiment runs. */
export const DEFAULT_EXPERIMENT = "network";

export function builtinExperiment(name: string): ExperimentEntry {
  const entry = registry.get(name);
  if (!entry) {
    throw new Error(`no built-in experiment "${name}" (built-in: ${[...registry.keys()].join(", ")}; ` +
      "a folder of your own is named by a path, e.g. ./my-experiment, or registered with registerExperiment)");
  }
  return entry;
}

registerExperiment(networkExperiment);
