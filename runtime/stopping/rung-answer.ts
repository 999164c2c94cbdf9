// How a rung request that is not the caller's to make is answered, on a relay and on the
// controller alike: 409 with the reason (the worker then hands the trial back).
import type Koa from "koa";
import type { RungDecision } from "../../protocol/early-stopping.ts";
import { HttpError } from "../../protocol/client.ts";

/** The attempt is not the caller's running one, the sweep stops no trials, or the steps are out of bounds. */
export class RungRefusal extends Error {}

export async function rungAnswer(ctx: Koa.Context, decide: () => Promise<RungDecision>): Promise<RungDecision> {
  try {
    return await decide();
  } catch (err) {
    if (err instanceof RungRefusal) ctx.throw(409, err.message);
    if (err instanceof HttpError && err.status === 409) ctx.throw(409, err.message);
    throw err;
  }
}
