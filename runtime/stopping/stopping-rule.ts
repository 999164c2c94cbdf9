// What a stopping rule sees and decides. A rule is pure: values in, a decision out. It sees
// only reported values, ordered by the trials' place in the sweep (never by arrival time), so
// the same sweep prunes the same trials at the same steps on any fleet.
import type { EarlyStopping, RungDecision } from "../../protocol/early-stopping.ts";

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

export interface StoppingRule<C extends EarlyStopping = EarlyStopping> {
  decide(cfg: C, input: RungInput): RungDecision;
}

/** Values turned so that higher is better. */
export const better = (goal: RungInput["goal"]) => (goal === "maximize" ? (v: number) => v : (v: number) => -v);

/** Infinity written for people, in reasons. */
export const shown = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v));

export const CONTINUE: RungDecision = { decision: "continue", reason: null };
export const PENDING: RungDecision = { decision: "pending", reason: null };
