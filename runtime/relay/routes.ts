// The worker-facing routes every relay serves (the controller's root relay too):
// long-poll for work, results, metrics, blobs, and the relay's live statistics.
import Router from "@koa/router";
import type Koa from "koa";
import type { Relay } from "./relay.ts";
import { routes, parseTrialList } from "../../protocol/routes.ts";
import { Sha256 } from "../../protocol/messages.ts";
import { parseQuery, parseBody } from "../http/boundary.ts";
import { requireIdentity, requireToken, type Identity } from "../http/identity.ts";
import type { IdentityVerifier } from "../http/identity-token.ts";
import type { TokenKey } from "../http/token-key.ts";
import { BlobMismatchError, HttpError } from "../../protocol/client.ts";
import { rungAnswer } from "../stopping/rung-answer.ts";
import { clientGone } from "../http/client-gone.ts";
import { readRawBody } from "../http/boundary.ts";
import { stateAnswer, deflatedStateCap } from "./state-answer.ts";
import { DEFAULT_BODY_CAP } from "../../protocol/codec.ts";

export interface RelayRouteOptions {
  /** Checks identities with the controller's public key: this relay can verify, never sign. */
  verifier: IdentityVerifier;
  /** This relay's node id (the controller's for the root relay): it serves only its own workers. */
  relayId: string;
  /** Tokens that may read /v1/stats (the cluster and admin tokens). */
  statsTokens: readonly TokenKey[];
  /** On the controller, relays post their batches to the same paths: the controller's handlers. */
  fromRelay?: {
    results(ctx: Koa.Context, id: Identity): Promise<void>;
    metrics(ctx: Koa.Context, id: Identity): Promise<void>;
    rung(ctx: Koa.Context, id: Identity): Promise<void>;
    checkpoint(ctx: Koa.Context, id: Identity): Promise<void>;
    restore(ctx: Koa.Context, id: Identity): Promise<void>;
  };
  /** The controller's --max-state-bytes (from its join answer): a larger state is refused here already. */
  maxStateBytes?: number;
  /** Blobs this node holds itself (the controller), before asking upstream. */
  localBlob?(sha: string): Promise<Uint8Array | undefined>;
}

export function relayRouter(relay: Relay, opts: RelayRouteOptions): Router {
  const router = new Router();
  const bulkRoles = opts.fromRelay ? (["worker", "relay"] as const) : (["worker"] as const);

  const poll = async (ctx: Koa.Context) => {
    const id = requireIdentity(ctx, opts.verifier, ["worker"], { relayId: opts.relayId });
    const q = parseQuery(ctx, "work");
    // A POST's lists come in its body; a GET's (short ones) in its query.
    const lists = ctx.method === "POST" ? await parseBody(ctx, "work") : q;
    ctx.body = await relay.poll(id.nodeId, {
      // Threads were fixed at join, in the signed identity: `threads=` may say fewer, never more
      // (what a poll declared used to bound its own grant: one poll took a whole sweep).
      ...q, threads: Math.min(q.threads ?? id.threads, id.threads),
      running: lists.running === undefined ? undefined : parseTrialList(lists.running),
      reserve: lists.reserve === undefined ? undefined : parseTrialList(lists.reserve),
    });
  };
  router.post(routes.work.path, poll);
  router.get(routes.work.path, poll);

  router.post(routes.results.path, async (ctx) => {
    const id = requireIdentity(ctx, opts.verifier, bulkRoles, { relayId: opts.relayId });
    if (id.role === "relay") return opts.fromRelay!.results(ctx, id);
    const batch = await parseBody(ctx, "results");
    for (const r of batch.results) if (r.workerId !== id.nodeId) ctx.throw(403, `result for trial ${r.trialId} names worker ${r.workerId}, not the caller ${id.nodeId}`);
    // "refused": not a trial this relay handed to this worker, or no longer running there.
    ctx.body = { statuses: relay.acceptResults(id.nodeId, batch.results, ctx.state.bodyRawBytes as number) };
  });

  router.post(routes.metrics.path, async (ctx) => {
    const id = requireIdentity(ctx, opts.verifier, bulkRoles, { relayId: opts.relayId });
    if (id.role === "relay") return opts.fromRelay!.metrics(ctx, id);
    const batch = await parseBody(ctx, "metrics");
    ctx.body = { accepted: relay.acceptMetrics(id.nodeId, batch.items) };
  });

  router.post(routes.rung.path, async (ctx) => {
    const id = requireIdentity(ctx, opts.verifier, bulkRoles, { relayId: opts.relayId });
    if (id.role === "relay") return opts.fromRelay!.rung(ctx, id);
    const q = parseQuery(ctx, "rung");
    const body = await parseBody(ctx, "rung");
    ctx.body = await rungAnswer(ctx, () => relay.rung(id.nodeId, { trialId: q.trial, attempt: q.attempt }, q.step, body, q.wait ?? 0, clientGone(ctx)));
  });

  router.post(routes.checkpoint.path, async (ctx) => {
    const id = requireIdentity(ctx, opts.verifier, bulkRoles, { relayId: opts.relayId });
    if (id.role === "relay") return opts.fromRelay!.checkpoint(ctx, id);
    const q = parseQuery(ctx, "checkpoint");
    const body = await readRawBody(ctx, deflatedStateCap(opts.maxStateBytes ?? DEFAULT_BODY_CAP));
    ctx.body = await stateAnswer(ctx, () => relay.putState(id.nodeId, q, body));
  });

  router.get(routes.restore.path, async (ctx) => {
    const id = requireIdentity(ctx, opts.verifier, bulkRoles, { relayId: opts.relayId });
    if (id.role === "relay") return opts.fromRelay!.restore(ctx, id);
    const q = parseQuery(ctx, "restore");
    const sha = ctx.params.sha ?? "";
    if (!Sha256.safeParse(sha).success) ctx.throw(400, "path parameter 'sha' must be a lowercase hex SHA-256");
    const bytes = await stateAnswer(ctx, () => relay.checkpoint(id.nodeId, { trialId: q.trial, attempt: q.attempt }, sha));
    ctx.type = "application/octet-stream";
    ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });

  router.get(routes.blob.path, async (ctx) => {
    // Any node this controller admitted may fetch blobs here: they are immutable and checked
    // by hash, and a worker whose relay died falls back to the controller for its bundle.
    requireIdentity(ctx, opts.verifier, ["worker", "relay"]);
    const sha = ctx.params.sha ?? "";
    if (!Sha256.safeParse(sha).success) ctx.throw(400, "path parameter 'sha' must be a lowercase hex SHA-256");
    let bytes = await opts.localBlob?.(sha);
    if (!bytes) {
      try {
        bytes = await relay.blob(sha);
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) ctx.throw(404, `no blob ${sha}`);
        if (err instanceof BlobMismatchError) ctx.throw(502, err.message);
        throw err;
      }
    }
    ctx.set("cache-control", "public, max-age=31536000, immutable");
    ctx.type = "application/octet-stream";
    ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });

  router.get(routes.stats.path, (ctx) => {
    requireToken(ctx, opts.statsTokens, "relay statistics");
    ctx.body = relay.stats();
  });

  return router;
}
