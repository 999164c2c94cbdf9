// Stopping rules by name, as the sweep config's `early_stopping.rule` names them.
import type { EarlyStopping, RungDecision } from "../../protocol/early-stopping.ts";
import type { RungInput, StoppingRule } from "./stopping-rule.ts";
import { asha } from "./asha.ts";
import { median } from "./median.ts";

const RULES: { [R in EarlyStopping["rule"]]: StoppingRule<Extract<EarlyStopping, { rule: R }>> } = { asha, median };

export function decideRung(cfg: EarlyStopping, input: RungInput): RungDecision {
  return (RULES[cfg.rule] as StoppingRule).decide(cfg, input);
}
