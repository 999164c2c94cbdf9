// What a stored sweep runs and ranks by, read from its stored config. A sweep stored by the
// first release has no build or metric: it ran the built-in network and ranked by test accuracy.
import type { ExperimentRef } from "../../../protocol/messages.ts";
import type { EarlyStopping } from "../../../protocol/early-stopping.ts";
import type { MetricSpec } from "../../experiments/experiment-entry.ts";
import { DEFAULT_EXPERIMENT } from "../../experiments/registry.ts";
import { DEFAULT_KEEP, type KeepPolicy } from "../scheduler/kept-states.ts";

export interface StoredSweepIdentity {
  experiment: ExperimentRef;
  /** Packed data files' blobs by dataset key. */
  datasets: Record<string, string>;
  metric: MetricSpec;
  earlyStopping: EarlyStopping | null;
  /** The built-in engine its trials ran on: 1 for a built-in sweep stored before engines were versioned, null for a researcher's experiment. */
  engine: number | null;
  /** `checkpoint.every` (steps), or null: checkpoints by time only. */
  checkpointEvery: number | null;
  /** Whose final states are kept (`keep`, top 10 when the config says nothing). */
  keep: KeepPolicy;
}

export function storedSweepIdentity(configJson: string): StoredSweepIdentity {
  return sweepIdentityOf(JSON.parse(configJson) as Record<string, unknown>);
}

/** The same of a stored config already parsed (as the API's sweep detail gives it). */
export function sweepIdentityOf(stored: Record<string, unknown>): StoredSweepIdentity {
  const config = stored as { build?: { experiment?: ExperimentRef; datasets?: Record<string, string>; engine?: number }; metric?: MetricSpec; early_stopping?: EarlyStopping; checkpoint?: { every?: number }; keep?: KeepPolicy };
  const experiment = config.build?.experiment ?? { name: DEFAULT_EXPERIMENT, sha: null };
  return {
    experiment,
    engine: config.build?.engine ?? (experiment.sha === null && experiment.name === DEFAULT_EXPERIMENT ? 1 : null),
    datasets: config.build?.datasets ?? {},
    metric: config.metric ?? { name: "testAccuracy", goal: "maximize" },
    earlyStopping: config.early_stopping ?? null,
    checkpointEvery: config.checkpoint?.every ?? null,
    keep: config.keep ?? DEFAULT_KEEP,
  };
}
