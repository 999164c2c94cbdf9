// Asynchronous successive halving (ASHA, arXiv 1810.05934) with Ray Tune's stopping form: at a
// rung, a trial goes on when its value is in the top 1/reduction of the values recorded there.
// "Recorded before it" means the trials before it in the sweep, not those that happened to
// arrive first, so the decision depends on values alone. While some earlier trial may still
// reach the rung the cutoff is bounded by filling those values with −∞ and +∞; when both give
// the same answer the trial goes on at once (promoted as soon as the decision cannot change).
import { z } from "zod";
import { quantile } from "./quantile.ts";
import { better, CONTINUE, PENDING, shown, ruleSchema, steps, type StoppingRule } from "./stopping-rule.ts";

const AshaConfig = ruleSchema("asha", {
  /** The first rung: reports (epochs, for the built-in) a trial always gets. */
  min_epochs: steps("the first rung").default(1),
  /** Rungs at min_epochs · reduction^k; about 1/reduction of the trials pass each one. */
  reduction: z.int().min(2, "must be at least 2").max(100, "must be at most 100").default(3),
});

export const asha: StoppingRule<z.output<typeof AshaConfig>> = {
  name: "asha",
  schema: AshaConfig,
  decisionStep(cfg, step) {
    if (step < cfg.min_epochs) return false;
    let rung = cfg.min_epochs;
    while (rung < step) rung *= cfg.reduction;
    return rung === step;
  },
  decide(cfg, input) {
    const up = better(input.goal);
    const own = input.own[input.step - 1];
    if (own === undefined) return CONTINUE;
    const value = up(own);
    const earlier = input.earlier.map(up);
    const q = 1 - 1 / cfg.reduction;
    const cutoff = (fill: number) => {
      const all = [...earlier, ...new Array<number>(input.pendingEarlier).fill(fill)];
      return all.length === 0 ? -Infinity : quantile(all, q);
    };
    const lowest = cutoff(-Infinity);
    if (value < lowest) {
      return {
        decision: "prune",
        reason: `rung ${input.step}: ${input.metric} ${shown(own)} is outside the top 1/${cfg.reduction} of the ${earlier.length} earlier trials' values there (cutoff ${shown(up(lowest))})`,
      };
    }
    return value >= cutoff(Infinity) ? CONTINUE : PENDING;
  },
};
