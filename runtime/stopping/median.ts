// The median stopping rule (Google Vizier; Optuna's MedianPruner): stop a trial whose best value
// so far is worse than the median of the other trials' values at the same step. The other
// trials are those before it in the sweep, so the decision depends on values alone; while some
// may still report the step, the median is bounded by filling them with −∞ and +∞.
import { z } from "zod";
import { quantile } from "./quantile.ts";
import { better, CONTINUE, PENDING, shown, ruleSchema, steps, type StoppingRule } from "./stopping-rule.ts";

const MedianConfig = ruleSchema("median", {
  /** Reports before the rule applies (warm-up). */
  min_epochs: steps("the warm-up").default(1),
  /** Earlier trials that must have reported a step before the median there can prune (Optuna's n_startup_trials). */
  min_trials: z.int().min(1, "must be at least 1").max(10_000, "must be at most 10000").default(5),
});

export const median: StoppingRule<z.output<typeof MedianConfig>> = {
  name: "median",
  schema: MedianConfig,
  decisionStep: (cfg, step) => step >= cfg.min_epochs,
  decide(cfg, input) {
    const up = better(input.goal);
    const own = input.own.slice(0, input.step).filter((v): v is number => v !== undefined).map(up);
    if (own.length === 0) return CONTINUE;
    const best = Math.max(...own);
    const earlier = input.earlier.map(up);
    const reached = earlier.length;
    // Too few trials to judge by, whatever the pending ones do.
    if (reached + input.pendingEarlier < cfg.min_trials) return CONTINUE;
    const withFill = (fill: number) => quantile([...earlier, ...new Array<number>(input.pendingEarlier).fill(fill)], 0.5);
    // A pending trial may also never reach the step (pruned, failed, shorter): then it counts for neither bound.
    // (−∞ fills only lower a median; with too few reached, some outcome leaves too few to judge by.)
    const lowest = reached >= cfg.min_trials ? withFill(-Infinity) : -Infinity;
    if (best < lowest) {
      return {
        decision: "prune",
        reason: `step ${input.step}: best ${input.metric} so far ${shown(up(best))} is worse than the median ${shown(up(lowest))} of the ${reached} earlier trials there`,
      };
    }
    return best >= withFill(Infinity) ? CONTINUE : PENDING;
  },
};
