// The median stopping rule (Google Vizier; Optuna's MedianPruner): stop a trial whose best value
// so far is worse than the median of the other trials' values at the same step. The other
// trials are those before it in the sweep, so the decision depends on values alone; while some
// may still report the step, the median is bounded by filling them with −∞ and +∞.
import type { MedianConfig } from "../../protocol/early-stopping.ts";
import type { z } from "zod";
import { quantile } from "./quantile.ts";
import { better, CONTINUE, PENDING, shown, type StoppingRule } from "./stopping-rule.ts";

type Median = z.output<typeof MedianConfig>;

export const median: StoppingRule<Median> = {
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
