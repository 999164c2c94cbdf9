// How a trial-state request is answered on a relay and on the controller alike: a refusal (the
// relay's own, or the controller's carried down through a relay daemon) keeps its status and words.
import type Koa from "koa";
import { HttpError } from "../../protocol/client.ts";
import { StateRefusal } from "./state-refusal.ts";

export async function stateAnswer<T>(ctx: Koa.Context, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (err) {
    if (err instanceof StateRefusal) ctx.throw(err.status, err.message);
    if (err instanceof HttpError && [400, 404, 409, 413].includes(err.status)) ctx.throw(err.status, err.message.replace(/ \(http[^)]*\)$/, ""));
    throw err;
  }
}

/** The largest deflated body of a state of `maxStateBytes` raw bytes (deflate's worst case, stored blocks). */
export const deflatedStateCap = (maxStateBytes: number) => maxStateBytes + Math.ceil(maxStateBytes / 16_000) * 5 + 1024;
