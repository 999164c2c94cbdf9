// The controller's node-facing routes: bootstrap, join, leases, heartbeats, and the
// relays' result and metric batches (mounted through the root relay's router).
import Router from "@koa/router";
import type Koa from "koa";
import { readFileSync } from "node:fs";
import { routes } from "../../protocol/routes.ts";
import type { JoinResponse } from "../../protocol/messages.ts";
import { parseQuery, parseBody } from "../http/boundary.ts";
import { requireIdentity, requireToken, setIdentity, newNodeId, type Identity } from "../http/identity.ts";
import type { ControllerState } from "./state.ts";
import { decideRole } from "./roles.ts";

const BOOTSTRAP = readFileSync(new URL("../worker/bootstrap.mjs", import.meta.url), "utf8").replace(
  "/*DISCALC_ROUTES*/ null",
  JSON.stringify({ join: routes.join.path, blob: routes.blob.path }),
);

/** The URL a caller reached us by (what a node should use to come back). */
export const publicUrl = (ctx: Koa.Context) => `${ctx.protocol}://${ctx.host}`;

export function nodeRouter(s: ControllerState): Router {
  const router = new Router();

  router.get(routes.bootstrap.path, (ctx) => {
    ctx.type = "text/javascript";
    ctx.body = BOOTSTRAP;
  });

  router.post(routes.join.path, (ctx) => {
    requireToken(ctx, [s.token], "joining");
    const q = parseQuery(ctx, "join");
    const now = Date.now();
    const known = q.node ? s.store.node(q.node) : undefined;
    const decision = decideRole(s.store, {
      asked: q.role ?? (known?.role === "relay" || known?.role === "worker" ? known.role : undefined),
      fanout: s.fanout(), controllerId: s.controllerId, now, silentMs: s.silentMs,
      exclude: known?.relay_id ?? undefined,
    });
    const nodeId = known && known.role === decision.role ? known.id : newNodeId(decision.role);
    const relayNode = decision.role === "worker" && decision.relayId !== s.controllerId ? s.store.node(decision.relayId) : undefined;
    s.store.upsertNode({
      id: nodeId, role: decision.role, host: q.host ?? ctx.ip, threads: q.threads,
      relay_id: decision.role === "worker" ? decision.relayId : s.controllerId, joined_at: known?.joined_at ?? now, last_seen: now,
      bundle_sha: s.currentBundle(),
    });
    setIdentity(ctx, { nodeId, role: decision.role });
    const answer: JoinResponse = {
      nodeId, role: decision.role, controllerUrl: publicUrl(ctx), relayUrl: relayNode?.url ?? publicUrl(ctx),
      bundleSha: s.currentBundle(), leaseMs: s.defaultLeaseMs, heartbeatMs: s.heartbeatMs,
      commandSeq: s.store.commandsAfter(0).at(-1)?.seq ?? 0,
      ...(decision.role === "relay" ? { cookieKeys: s.cookieKeys } : {}),
    };
    s.log(`join: ${q.host ?? ctx.ip} (${q.threads} threads) → ${decision.role} ${nodeId}${decision.role === "worker" ? ` under ${decision.relayId}` : ""}`);
    ctx.body = answer;
  });

  router.get(routes.leases.path, (ctx) => {
    const id = requireIdentity(ctx, ["relay"]);
    s.assertWritable(ctx);
    const q = parseQuery(ctx, "leases");
    const trials = s.scheduler.leaseTrials(id.nodeId, q.n);
    s.meters?.leasesGranted(trials.length); // discalc_leases_granted_total
    ctx.body = { trials, paused: s.pausedOnly() };
  });

  router.post(routes.heartbeat.path, async (ctx) => {
    const id = requireIdentity(ctx, ["relay"]);
    const q = parseQuery(ctx, "heartbeat");
    const req = await parseBody(ctx, "heartbeat");
    const ip = ctx.ip.replace(/^::ffff:/, "");
    const url = q.url ?? (q.port ? `http://${ip.includes(":") ? `[${ip}]` : ip}:${q.port}` : undefined);
    ctx.body = s.absorbHeartbeat(id.nodeId, req, q.seq ?? 0, url);
  });

  return router;
}

/** Relays' result and metric batches: the controller's side of POST /v1/results and /v1/metrics. */
export function fromRelayHandlers(s: ControllerState) {
  return {
    async results(ctx: Koa.Context, id: Identity) {
      const batch = await parseBody(ctx, "results");
      s.assertWritable(ctx);
      const ack = s.scheduler.recordResults(id.nodeId, batch);
      s.meters?.resultBatch(ack, { ctx, batch }); // result counters and body bytes for /metrics
      ctx.body = ack;
    },
    async metrics(ctx: Koa.Context, id: Identity) {
      const batch = await parseBody(ctx, "metrics");
      s.assertWritable(ctx);
      ctx.body = { accepted: s.scheduler.recordMetrics(id.nodeId, batch) };
    },
  };
}
