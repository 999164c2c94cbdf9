// Stopping rules by name, as the sweep config's `early_stopping.rule` names them: a rule is one
// file (its schema, its rungs, its decision) and one registerStoppingRule line. The controller
// parses configs and decides with the rule; a worker thread asks it only which reports wait.
import { z } from "zod";
import type { EarlyStopping, RungDecision } from "../../protocol/early-stopping.ts";
import { nearestName } from "../nearest-name.ts";
import type { RungInput, StoppingRule } from "./stopping-rule.ts";
import { asha } from "./asha.ts";
import { median } from "./median.ts";

const rules = new Map<string, StoppingRule>();

export function registerStoppingRule<C extends { rule: string; max_wait_seconds: number }>(rule: StoppingRule<C>): void {
  if (rules.has(rule.name)) throw new Error(`a stopping rule named "${rule.name}" is already registered`);
  rules.set(rule.name, rule as unknown as StoppingRule);
}

export const stoppingRuleNames = (): string[] => [...rules.keys()];

/** The error of a `rule` that names no registered rule (said of the `rule` key). */
function unknownRule(name: unknown): string {
  const known = stoppingRuleNames();
  const near = typeof name === "string" ? nearestName(name, known) : undefined;
  return `must be one of the registered stopping rules: ${known.join(", ")}` +
    (typeof name === "string" ? ` (got "${name}"${near ? `; did you mean ${near}?` : ""})` : "");
}

function ruleNamed(name: string): StoppingRule {
  const rule = rules.get(name);
  if (!rule) throw new Error(`early_stopping.rule ${unknownRule(name)}`);
  return rule;
}

/**
 * A sweep config's `early_stopping`: the registered rule's schema, chosen by `rule` (defaults
 * filled, unknown keys refused; an unknown rule's error lists the registered ones).
 */
export const EarlyStoppingConfig: z.ZodType<EarlyStopping, unknown> = z.unknown().transform((value, ctx) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: `must be an object naming its rule (one of ${stoppingRuleNames().join(", ")})` });
    return z.NEVER;
  }
  const name = (value as { rule?: unknown }).rule;
  const rule = typeof name === "string" ? rules.get(name) : undefined;
  if (!rule) {
    ctx.addIssue({ code: "custom", message: unknownRule(name), path: ["rule"] });
    return z.NEVER;
  }
  const parsed = rule.schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", message: issue.message, path: issue.path as PropertyKey[] } as never);
    return z.NEVER;
  }
  return parsed.data;
});

/** Whether a trial waits for a decision at this report. Never at its last (`lastStep`, its epochs): a decision there could only discard finished work. */
export function isDecisionStep(cfg: EarlyStopping, step: number, lastStep: number): boolean {
  if (step >= lastStep) return false;
  return ruleNamed(cfg.rule).decisionStep(cfg, step);
}

export function decideRung(cfg: EarlyStopping, input: RungInput): RungDecision {
  return ruleNamed(cfg.rule).decide(cfg, input);
}

registerStoppingRule(asha);
registerStoppingRule(median);
