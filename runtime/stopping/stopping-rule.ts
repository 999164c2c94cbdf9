// What a stopping rule is: its name, the schema of its config keys, the reports a trial waits
// at, and its decision. A rule is pure: values in, a decision out. It sees only reported
// values, ordered by the trials' place in the sweep (never by arrival time), so the same sweep
// prunes the same trials at the same steps on any fleet.
import { z } from "zod";
import type { RungDecision } from "../../protocol/early-stopping.ts";

export interface RungInput {
  metric: string;
  goal: "maximize" | "minimize";
  /** The report (1-based) the trial waits at. */
  step: number;
  /** The trial's own values of the metric at its reports 1..step (undefined where a report lacks it). */
  own: ReadonlyArray<number | undefined>;
  /** The values at this step of the trials before this one in the sweep that reached it. */
  earlier: readonly number[];
  /** Trials before this one that may still reach this step (queued, running, retrying). */
  pendingEarlier: number;
}

/**
 * A rule's whole `early_stopping` object: its name, its own keys, and how long a trial may wait
 * at a rung, which every rule has. Strict, so a misspelt key is refused. (Keys in this order,
 * as sweeps stored before rules registered here wrote them.)
 */
export function ruleSchema<N extends string, K extends z.ZodRawShape>(name: N, own: K) {
  return z.strictObject({
    rule: z.literal(name),
    ...own,
    /** How long a trial may wait at a rung for earlier trials before it is handed back to run later. */
    max_wait_seconds: z.number().min(1, "must be at least 1").max(86_400, "must be at most 86400").default(300),
  });
}

/** Reports counted in steps (epochs, for the built-in): at least 1. */
export const steps = (what: string) => z.int().min(1, `must be at least 1 (${what})`).max(1_000_000, "must be at most 1000000");

export interface StoppingRule<C extends { rule: string; max_wait_seconds: number } = { rule: string; max_wait_seconds: number }> {
  /** The name `early_stopping.rule` gives. */
  name: string;
  /** The whole `early_stopping` object of a sweep config for this rule, built with ruleSchema. */
  schema: z.ZodType<C>;
  /** Whether the trial waits for a decision at this report (never asked at its last: registry.ts sees to that). */
  decisionStep(cfg: C, step: number): boolean;
  decide(cfg: C, input: RungInput): RungDecision;
}

/** Values turned so that higher is better. */
export const better = (goal: RungInput["goal"]) => (goal === "maximize" ? (v: number) => v : (v: number) => -v);

/** Infinity written for people, in reasons. */
export const shown = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v));

export const CONTINUE: RungDecision = { decision: "continue", reason: null };
export const PENDING: RungDecision = { decision: "pending", reason: null };
