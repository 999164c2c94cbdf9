// Koa middleware that turns every error into `{ error: { code, message } }` with a 4xx
// that names the problem, or a 500 that hides internals; the daemon never crashes on a
// request.
import type Koa from "koa";
import type { EventLog } from "../log.ts";

export function errorMiddleware(log: EventLog = () => {}): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 404, message: `no route ${ctx.method} ${ctx.path}` } };
      } else if (ctx.status >= 400 && (ctx.body === undefined || typeof ctx.body === "string")) {
        // Answers made by router middleware (405, 501) get the same error shape.
        const status = ctx.status;
        const allowed = ctx.response.get("allow");
        const message = status === 405
          ? `method ${ctx.method} is not allowed on ${ctx.path}${allowed ? ` (allowed: ${allowed})` : ""}`
          : String(ctx.body || ctx.message);
        ctx.body = { error: { code: status, message } };
        ctx.status = status;
      }
    } catch (err) {
      const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string };
      const status = e.status ?? e.statusCode ?? 500;
      const valid = Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
      ctx.status = valid;
      const message = valid < 500 || e.expose ? String(e.message ?? "error") : "internal error";
      ctx.body = { error: { code: valid, message } };
      if (valid >= 500) log("error", "http", `${ctx.method} ${ctx.path}: ${(err as Error)?.stack ?? err}`);
    }
  };
}
