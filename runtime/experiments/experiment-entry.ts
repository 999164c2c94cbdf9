// How the runtime sees an experiment, built-in or from a folder: resolve and validate a trial
// config, know its seed and default objective, and run a trial.
import type { ExperimentContext, RunResult } from "./contract.ts";

export type MetricGoal = "maximize" | "minimize";
export interface MetricSpec { name: string; goal: MetricGoal }

/** A problem with a trial config: the dotted path it is at ("" when the experiment did not say) and one line. */
export interface ConfigIssue { path: string; line: string }

export type Resolved = { ok: true; config: Record<string, unknown> } | { ok: false; issues: ConfigIssue[] };

/** What the runtime adds to the researcher's context for built-ins: raw dataset blobs by key. */
export interface RuntimeContext extends ExperimentContext {
  datasetBlob(key: string): Uint8Array | undefined;
}

export interface ExperimentEntry {
  name: string;
  /** Dotted path of the seed in the trial config; repeat r runs with its value + r. */
  seedPath: string;
  /** Fills defaults and checks a trial config. */
  resolve(input: unknown): Resolved;
  /** Whether a sweep may vary this dotted path; experiments without a schema take any path. */
  knowsPath(path: string): boolean;
  /** The known path nearest to one it does not know, for "did you mean …?". */
  nearestPath?(path: string): string | undefined;
  /**
   * Report metrics that measure time (the built-in's `wallMs`): left out of the hash of a
   * trial that ended at a report (pruned), whose result is its last report, so that a rerun
   * gives the same hash. Every other reported number must be deterministic.
   */
  timingMetrics?: readonly string[];
  /** A built-in's engine version (kernels/engine-version.ts), kept in its sweeps' identity. */
  engineVersion?: number;
  /** The objective when the sweep names none. */
  defaultMetric(config: Record<string, unknown>): MetricSpec;
  run(config: Record<string, unknown>, ctx: RuntimeContext): Promise<RunResult | void> | RunResult | void;
  /** Maps a stack's frames of the experiment's bundle to its own files and lines (folder experiments). */
  mapStack?(stack: string): string;
}

export const U32_MAX = 0xffff_ffff;
