// Prometheus metrics for a daemon (controller or relay): its own prom-client Registry —
// not the global one, so several daemons in one process keep apart — with prom-client's
// default process metrics, a request-duration histogram labelled by the matched route, and
// a router serving GET /metrics. Every series is named discalc_….
import Router from "@koa/router";
import type Koa from "koa";
import { Registry, Histogram, collectDefaultMetrics } from "prom-client";
import { requireToken } from "./identity.ts";
import type { TokenKey } from "./token-key.ts";

export const METRICS_PATH = "/metrics";
export const METRIC_PREFIX = "discalc_";

export interface DaemonMetrics {
  registry: Registry;
  requestDuration: Histogram<"method" | "route" | "status">;
}

/** A fresh registry with the default process metrics and the HTTP request histogram. */
export function createDaemonMetrics(): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const requestDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: "HTTP requests served, by method, matched route (or 'unmatched') and status class; long-polls count their wait",
    labelNames: ["method", "route", "status"] as const,
    // Up to a minute: worker long-polls of /v1/work wait on purpose.
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return { registry, requestDuration };
}

const statusClass = (status: number) => (Number.isInteger(status) && status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "5xx");

/**
 * Times every request. Mount it before the routers: the route label is the path pattern
 * @koa/router matched (`ctx._matchedRoute`, set during routing, so read after `next()`),
 * which keeps the label set small (`/v1/blobs/:sha`, not each hash).
 */
export function timingMiddleware(m: DaemonMetrics): Koa.Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    let thrown: number | undefined;
    try {
      await next();
    } catch (err) {
      // The error middleware outside turns this into the answer; its status is the error's.
      const e = err as { status?: unknown; statusCode?: unknown };
      thrown = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
      throw err;
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      m.requestDuration.observe(
        { method: ctx.method, route: matched === undefined ? "unmatched" : String(matched), status: statusClass(thrown ?? ctx.status) },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    }
  };
}

/**
 * GET /metrics in the text exposition format. With `tokens`, the caller needs
 * `Authorization: Bearer <one of them>` (the controller under --private).
 */
export function metricsRouter(registry: Registry, opts: { tokens?: readonly TokenKey[] } = {}): Router {
  const router = new Router();
  router.get(METRICS_PATH, async (ctx) => {
    if (opts.tokens) requireToken(ctx, opts.tokens, "/metrics (the controller runs --private)");
    const text = await registry.metrics();
    ctx.set("content-type", registry.contentType);
    ctx.set("cache-control", "no-store");
    ctx.body = text;
  });
  return router;
}
