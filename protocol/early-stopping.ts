// What a lease carries of a sweep's `early_stopping` config, and the rung exchange's answer.
// Each rule's own keys and their checks live with the rule (runtime/stopping/): the wire only
// needs the rule's name and how long a trial may wait, and keeps the rest as the controller
// parsed and signed it.
import { z } from "zod";

/**
 * A stopping rule's config as it travels on a lease: its `rule`, the wait every rule has, and
 * its other keys untouched (a loose object: every hop keeps what the controller signed).
 */
export const EarlyStopping = z.looseObject({
  rule: z.string().min(1).max(100),
  /** How long a trial may wait at a rung for earlier trials before it is handed back to run later. */
  max_wait_seconds: z.number().min(1).max(86_400),
});
export type EarlyStopping = z.output<typeof EarlyStopping>;

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
