// The controller's node-facing routes: bootstrap, join, leases, heartbeats, and the
// relays' result and metric batches (mounted through the root relay's router).
import Router from "@koa/router";
import type Koa from "koa";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { routes } from "../../../protocol/routes.ts";
import type { JoinResponse } from "../../../protocol/messages.ts";
import { parseQuery, parseBody } from "../../http/boundary.ts";
import { requireIdentity, requireToken, setIdentity, newNodeId, presentedIdentity, type Identity } from "../../http/identity.ts";
import { sameKey } from "../../http/token-key.ts";
import type { ControllerState } from "../state.ts";
import { decideRole, fanoutOf } from "./roles.ts";
import { grantThreads } from "./join-threads.ts";
import { rungAnswer } from "../../stopping/rung-answer.ts";
import { clientGone } from "../../http/client-gone.ts";
import { readRawBody } from "../../http/boundary.ts";
import { stateAnswer, deflatedStateCap } from "../../relay/state-answer.ts";
import { Sha256 } from "../../../protocol/messages.ts";

const BOOTSTRAP = readFileSync(new URL("../../worker/bootstrap.mjs", import.meta.url), "utf8").replace(
  "/*DISCALC_ROUTES*/ null",
  JSON.stringify({ join: routes.join.path, blob: routes.blob.path }),
);
/** What the one-line join pins: the SHA-256 of the bootstrap exactly as served. */
export const BOOTSTRAP_SHA256 = createHash("sha256").update(BOOTSTRAP).digest("hex");

/** The URL a caller reached us by (what a node should use to come back). */
export const publicUrl = (ctx: Koa.Context) => `${ctx.protocol}://${ctx.host}`;

export function nodeRouter(s: Pick<ControllerState, "settings" | "store" | "identities" | "joins" | "work" | "heartbeats" | "health" | "states">): Router {
  const router = new Router();

  router.get(routes.bootstrap.path, (ctx) => {
    ctx.type = "text/javascript";
    ctx.body = BOOTSTRAP;
  });

  router.post(routes.join.path, async (ctx) => {
    // The cluster token makes workers (and relays, when the fanout policy promotes them); the
    // relay token makes relays. Asking to be a relay takes the relay token.
    const token = requireToken(ctx, [s.identities.token, s.identities.relayToken], "joining");
    const asRelayToken = sameKey(token, s.identities.relayToken);
    const q = parseQuery(ctx, "join");
    if (q.role === "relay" && !asRelayToken) ctx.throw(403, "query parameter 'role': joining as a relay needs the relay token (--relay-token)");
    const now = Date.now();
    // node= is honoured only for the node whose own current identity comes with the request.
    const presented = presentedIdentity(ctx, s.identities.verifier);
    const known = q.node && presented?.nodeId === q.node ? await s.store.node(q.node) : undefined;
    const knownRole = known?.role === "relay" || known?.role === "worker" ? known.role : undefined;
    const renewing = q.renew === "1" && known !== undefined;
    // A new node takes a join from its token's bucket; a node coming back with its own identity does not.
    if (!known) {
      const taken = s.joins.take(token.fingerprint, now);
      if (!taken.ok) {
        const seconds = Math.ceil(taken.retryAfterMs / 1000);
        ctx.set("Retry-After", String(seconds));
        ctx.throw(429, `too many joins with this token: ${s.joins.limit.burst} at once, then ${s.joins.limit.perSecond} a second; retry in ${seconds} s`);
      }
    }
    const threads = grantThreads(q.threads, s.settings.maxThreads, known?.threads);
    const keepRelay = renewing && knownRole === "worker" && known.relay_id !== null && (await isLiveRelay(known.relay_id, now));
    const decision = keepRelay ? { role: "worker" as const, relayId: known.relay_id! } : await decideRole(s.store, {
      asked: q.role ?? (knownRole === "relay" && !asRelayToken && !s.settings.promote ? "worker" : knownRole) ?? (asRelayToken ? "relay" : undefined),
      fanout: s.settings.promote || asRelayToken ? await fanoutOf(s.store) : Infinity, controllerId: s.settings.controllerId, now, silentMs: s.settings.silentMs,
      exclude: renewing ? undefined : known?.relay_id ?? undefined,
    });
    const nodeId = known && known.role === decision.role ? known.id : newNodeId(decision.role);
    const relayNode = decision.role === "worker" && decision.relayId !== s.settings.controllerId ? await s.store.node(decision.relayId) : undefined;
    const bundleSha = await s.work.currentBundle();
    await s.store.upsertNode({
      id: nodeId, role: decision.role, host: q.host ?? ctx.ip, threads,
      relay_id: decision.role === "worker" ? decision.relayId : s.settings.controllerId, joined_at: known?.joined_at ?? now, last_seen: now,
      bundle_sha: bundleSha,
    });
    const identity = s.identities.issue({
      nodeId, role: decision.role, relayId: decision.role === "worker" ? decision.relayId : null, threads, token: token.fingerprint,
    });
    setIdentity(ctx, identity.signed);
    const answer: JoinResponse = {
      nodeId, role: decision.role, controllerUrl: publicUrl(ctx), relayUrl: relayNode?.url ?? publicUrl(ctx),
      bundleSha, leaseMs: s.settings.defaultLeaseMs, heartbeatMs: s.settings.heartbeatMs,
      commandSeq: await s.store.lastCommandSeq(), identityExpiresAt: identity.expiresAt, threads, controllerKey: s.identities.signer.publicKeyPem,
      maxStateBytes: s.states.maxStateBytes,
      ...(decision.role === "relay" ? { identity: s.identities.identityCheck() } : {}),
    };
    const capped = threads < q.threads ? ` of ${q.threads} asked (--max-threads ${s.settings.maxThreads}${known && known.threads < q.threads ? `, or ${known.threads} at its first join` : ""})` : "";
    s.settings.log("info", "join", `join: ${q.host ?? ctx.ip} (${threads} threads${capped}) → ${decision.role} ${nodeId}${decision.role === "worker" ? ` under ${decision.relayId}` : ""}${renewing ? " (renewed)" : ""}`);
    ctx.body = answer;
  });

  /** A relay that heartbeats and says where it serves (the root relay always). */
  const isLiveRelay = async (id: string, now: number) => {
    if (id === s.settings.controllerId) return true;
    const r = await s.store.node(id);
    return r !== undefined && r.role === "relay" && r.url !== null && now - r.last_seen <= s.settings.silentMs;
  };

  router.get(routes.leases.path, async (ctx) => {
    const id = requireIdentity(ctx, s.identities.verifier, ["relay"]);
    s.health.assertWritable(ctx);
    const q = parseQuery(ctx, "leases");
    const trials = await s.work.leaseTrials(id.nodeId, q.n);
    ctx.body = { trials, paused: await s.work.pausedOnly() };
  });

  router.post(routes.heartbeat.path, async (ctx) => {
    const id = requireIdentity(ctx, s.identities.verifier, ["relay"]);
    const q = parseQuery(ctx, "heartbeat");
    const req = await parseBody(ctx, "heartbeat");
    const ip = ctx.ip.replace(/^::ffff:/, "");
    const url = q.url ?? (q.port ? `http://${ip.includes(":") ? `[${ip}]` : ip}:${q.port}` : undefined);
    ctx.body = await s.heartbeats.absorb(id.nodeId, req, q.seq ?? 0, url);
  });

  return router;
}

/** Relays' result and metric batches: the controller's side of POST /v1/results and /v1/metrics. */
export function fromRelayHandlers(s: Pick<ControllerState, "health" | "scheduler" | "rungs" | "meters" | "states">) {
  return {
    async results(ctx: Koa.Context, id: Identity) {
      const batch = await parseBody(ctx, "results");
      s.health.assertWritable(ctx);
      const ack = await s.scheduler.recordResults(id.nodeId, batch);
      s.meters?.resultBatch(ack, { ctx, batch }); // result counters and body bytes for /metrics
      ctx.body = ack;
    },
    async metrics(ctx: Koa.Context, id: Identity) {
      const batch = await parseBody(ctx, "metrics");
      s.health.assertWritable(ctx);
      ctx.body = { accepted: await s.scheduler.recordMetrics(id.nodeId, batch) };
    },
    async rung(ctx: Koa.Context, id: Identity) {
      const q = parseQuery(ctx, "rung");
      const body = await parseBody(ctx, "rung");
      s.health.assertWritable(ctx);
      ctx.body = await rungAnswer(ctx, () => s.rungs.decide(id.nodeId, { trialId: q.trial, attempt: q.attempt }, q.step, body.reports, q.wait ?? 0, clientGone(ctx), body.unstarted));
    },
    async checkpoint(ctx: Koa.Context, id: Identity) {
      const q = parseQuery(ctx, "checkpoint");
      const body = await readRawBody(ctx, deflatedStateCap(s.states.maxStateBytes));
      s.health.assertWritable(ctx);
      ctx.body = await stateAnswer(ctx, () => s.states.put(id.nodeId, q, body));
    },
    async restore(ctx: Koa.Context, id: Identity) {
      const q = parseQuery(ctx, "restore");
      const sha = ctx.params.sha ?? "";
      if (!Sha256.safeParse(sha).success) ctx.throw(400, "path parameter 'sha' must be a lowercase hex SHA-256");
      const bytes = await stateAnswer(ctx, () => s.states.checkpoint(id.nodeId, { trialId: q.trial, attempt: q.attempt }, sha));
      ctx.type = "application/octet-stream";
      ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}

