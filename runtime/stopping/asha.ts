// Asynchronous successive halving (ASHA, arXiv 1810.05934) with Ray Tune's stopping form: at a
// rung, a trial goes on when its value is in the top 1/reduction of the values recorded there.
// "Recorded before it" means the trials before it in the sweep, not those that happened to
// arrive first, so the decision depends on values alone. While some earlier trial may still
// reach the rung the cutoff is bounded by filling those values with −∞ and +∞; when both give
// the same answer the trial goes on at once (promoted as soon as the decision cannot change).
import type { AshaConfig } from "../../protocol/early-stopping.ts";
import type { z } from "zod";
import { quantile } from "./quantile.ts";
import { better, CONTINUE, PENDING, shown, type StoppingRule } from "./stopping-rule.ts";

type Asha = z.output<typeof AshaConfig>;

export const asha: StoppingRule<Asha> = {
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
