// A signal that fires when the client of a long-poll goes away before its answer, so what
// waits for it (a rung waiter, an upstream call) is dropped at once rather than at its timeout.
import type Koa from "koa";

export function clientGone(ctx: Koa.Context): AbortSignal {
  const gone = new AbortController();
  // The response's 'close' comes when its socket closes; finished first means it was answered.
  // (The request's own 'close' fires once its body is read, so it says nothing here.)
  ctx.res.once("close", () => {
    if (!ctx.res.writableFinished) gone.abort();
  });
  return gone.signal;
}
