// A sweep's `early_stopping` config: parsed once at the controller, carried on every lease so a
// worker thread knows at which reports it must wait for the controller's decision.
import { z } from "zod";

const steps = (what: string) => z.int().min(1, `must be at least 1 (${what})`).max(1_000_000, "must be at most 1000000");

export const AshaConfig = z.strictObject({
  rule: z.literal("asha"),
  /** The first rung: reports (epochs, for the built-in) a trial always gets. */
  min_epochs: steps("the first rung").default(1),
  /** Rungs at min_epochs · reduction^k; about 1/reduction of the trials pass each one. */
  reduction: z.int().min(2, "must be at least 2").max(100, "must be at most 100").default(3),
  /** How long a trial may wait at a rung for earlier trials before it is handed back to run later. */
  max_wait_seconds: z.number().min(1, "must be at least 1").max(86_400, "must be at most 86400").default(300),
});

export const MedianConfig = z.strictObject({
  rule: z.literal("median"),
  /** Reports before the rule applies (warm-up). */
  min_epochs: steps("the warm-up").default(1),
  /** Earlier trials that must have reported a step before the median there can prune (Optuna's n_startup_trials). */
  min_trials: z.int().min(1, "must be at least 1").max(10_000, "must be at most 10000").default(5),
  max_wait_seconds: z.number().min(1, "must be at least 1").max(86_400, "must be at most 86400").default(300),
});

export const EarlyStopping = z.discriminatedUnion("rule", [AshaConfig, MedianConfig], {
  error: (issue) => (issue.code === "invalid_union" ? "rule must be asha or median" : undefined),
});
export type EarlyStopping = z.output<typeof EarlyStopping>;
export type EarlyStoppingRule = EarlyStopping["rule"];

/**
 * An earlier trial a pending decision waits for, and where it is: `queued` at the controller (a
 * retry, or not leased yet), `unstarted` (leased, but in the asking relay's queue or one of its
 * agents' reserves), or `leased` (out under a lease and, as far as anyone asked can tell, running).
 */
export const AwaitedTrial = z.object({
  trialId: z.int(),
  state: z.enum(["queued", "unstarted", "leased"]),
});
export type AwaitedTrial = z.infer<typeof AwaitedTrial>;

/** The most awaited trials a pending answer names (those that cannot run first). */
export const MAX_AWAITED = 50;

/** A stopping decision at a report: go on, stop now, or not yet determined (wait and ask again). */
export const RungDecision = z.object({
  decision: z.enum(["continue", "prune", "pending"]),
  /** Why (the rung, the value, the cutoff), for the trial's record and the logs. */
  reason: z.string().max(1000).nullable(),
  /** When pending: what the decision waits for (older controllers leave it out). */
  waitingFor: z.array(AwaitedTrial).max(MAX_AWAITED).optional(),
});
export type RungDecision = z.infer<typeof RungDecision>;

/**
 * The awaited trials that no thread runs: a trial that holds a thread while it waits for them
 * may hold the very thread they need (one thread, or every thread held by such waits), so it
 * is handed back instead. Those `leased` are taken to be running: the waits form a chain down
 * the sweep's order, and the earliest trial that is not running is `queued` or `unstarted` to
 * the relay holding it, whose waiting trials then make way for it.
 */
export function blockedBy(d: RungDecision): AwaitedTrial[] {
  if (d.decision !== "pending") return [];
  return (d.waitingFor ?? []).filter((t) => t.state !== "leased");
}

/**
 * Whether a report is one the trial waits at. `lastStep` is the most reports the trial can make
 * (its epochs): a decision there could only discard finished work, so none is asked for.
 */
export function isDecisionStep(cfg: EarlyStopping, step: number, lastStep: number): boolean {
  if (step >= lastStep || step < cfg.min_epochs) return false;
  if (cfg.rule === "median") return true;
  let rung = cfg.min_epochs;
  while (rung < step) rung *= cfg.reduction;
  return rung === step;
}
