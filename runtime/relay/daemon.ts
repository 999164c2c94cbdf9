// A relay as its own daemon (a machine the controller made a relay): serves workers over
// HTTP, its upstream the controller over HTTP. Runs until SIGTERM or a shutdown command,
// then uploads what it holds and hands back unstarted trials. Its code is the node bundle
// the bootstrap loaded (`discalc relay` and `discalc join` run the same bootstrap as the
// one-liner), so on an update to another bundle it drains the same way, letting its workers
// hear the command and finish their trials first, and returns to the bootstrap, which joins
// again (same id), loads the new bundle and serves on the same port. The old server keeps
// answering (with nothing to hand out) until the new bundle is ready, so workers polling
// meanwhile see a quiet relay rather than a refused connection, and stay with it.
import { tokenKey } from "../http/token-key.ts";
import Koa from "koa";
import { ProtocolClient } from "../../protocol/client.ts";
import { Relay } from "./relay.ts";
import { httpUpstream } from "./http-upstream.ts";
import { relayRouter } from "./routes.ts";
import { errorMiddleware } from "../http/errors.ts";
import { listenHttp, maxConnectionsFromEnv } from "../http/listen.ts";
import { createDaemonMetrics, timingMiddleware, metricsRouter } from "../http/metrics.ts";
import { relayMetrics } from "./relay-metrics.ts";
import type { NodeContext, NodeOutcome } from "../node-context.ts";
import { IdentityVerifier } from "../http/identity-token.ts";
import { renewIdentity } from "../node-identity.ts";
import type { EventLog } from "../log.ts";

/** SIGTERM: workers get this long to report the trials they run before the rest is handed back. */
const TERM_DRAIN_MS = 5000;
/** An update: workers finish what they hold (their leases stay renewed) for up to this long. */
const UPDATE_DRAIN_MS = 10 * 60_000;
/** A bootstrap that does not let go of the old server itself (one from before reloads): it closes after this long. */
const RELEASE_MS = 10_000;
/** How long a reloading relay waits for its port to be let go of. */
const REBIND_MS = 15_000;
/** The bundle's label (`discalc deploy --label`), set when it was built. */
const BUNDLE_LABEL = process.env.DISCALC_BUNDLE_LABEL ?? "dev";

export async function runRelayNode(ctx: NodeContext): Promise<NodeOutcome> {
  // The bootstrap's log is plain text lines: each event's message, without its level and kind.
  const log: EventLog = (_level, _event, message) => ctx.log(message);
  const client = new ProtocolClient(ctx.controller, ctx.token);
  client.cookie = ctx.cookie;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  // Why it stops (an update until a SIGTERM or shutdown says otherwise), and whether it drains already.
  const stop: { next: "exit" | "update"; updateSeq?: number; draining: boolean } = { next: "exit", draining: false };
  // A SIGTERM or shutdown during a long drain for an update cuts it to the SIGTERM drain and exits.
  const shutdown = () => {
    stop.next = "exit";
    if (stop.draining) relay.hurry(TERM_DRAIN_MS);
    resolveStopped();
  };
  if (!ctx.join.identity) throw new Error("the controller's join answer lacks the identity check a relay needs");
  // The controller's public key: this relay checks its workers' identities and can sign none.
  const verifier = new IdentityVerifier(ctx.join.identity.publicKey, ctx.join.identity.tokens);
  const relay = new Relay(httpUpstream(client, ctx.advertise), {
    relayId: ctx.join.nodeId, url: ctx.advertise ?? "", heartbeatMs: ctx.join.heartbeatMs, log, onShutdown: shutdown,
    startSeq: ctx.join.commandSeq, onIdentityTokens: (tokens) => (verifier.tokens = tokens),
    onUpdate: (c) => {
      if (!c.bundleSha || c.bundleSha === ctx.join.bundleSha || stop.draining || stop.updateSeq !== undefined) return;
      log("info", "update", `update to bundle ${c.bundleSha.slice(0, 12)}: letting workers finish, then reloading`);
      stop.next = "update";
      stop.updateSeq = c.seq;
      resolveStopped();
    },
  });
  const renewal = renewIdentity(client, ctx);
  const app = new Koa();
  app.use(errorMiddleware(log));
  // Prometheus: this relay's own registry, read from the Relay at scrape time; /metrics is open (counts only).
  const metrics = createDaemonMetrics();
  relayMetrics(metrics.registry, relay);
  app.use(timingMiddleware(metrics));
  const router = relayRouter(relay, { verifier, relayId: ctx.join.nodeId, statsTokens: [tokenKey(ctx.token)], maxStateBytes: ctx.join.maxStateBytes });
  const prom = metricsRouter(metrics.registry);
  for (const r of [router, prom]) app.use(r.routes()).use(r.allowedMethods());
  const { server, port } = await listenRetrying(app, ctx.relayPort ?? 0, ctx.listen ?? "0.0.0.0");
  log("info", "relay", `relay ${ctx.join.nodeId} serving workers on port ${port} (bundle ${BUNDLE_LABEL}, ${ctx.join.bundleSha.slice(0, 12)})`);
  relay.start(port);
  // Keep the current bundle ready for the workers that will ask.
  relay.blob(ctx.join.bundleSha).catch((err: Error) => log("warn", "blob", `cannot fetch the bundle: ${err.message}`));
  const onTerm = () => shutdown();
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onTerm);
  await stopped;
  stop.draining = true;
  if (stop.next === "update") {
    log("info", "relay", "relay updating: handing back queued trials, waiting for workers to finish theirs, uploading buffered results");
    await relay.close(true, UPDATE_DRAIN_MS, { commandSeq: stop.updateSeq });
  } else {
    log("info", "relay", "relay stopping: handing back queued trials, uploading buffered results");
    await relay.close(true, TERM_DRAIN_MS);
  }
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onTerm);
  clearInterval(renewal);
  let released: Promise<void> | undefined;
  const release = () => (released ??= new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  // Asked again: a SIGTERM during the drain makes it an exit.
  if (stop.next !== "update") {
    await release();
    return { next: "exit", code: 0 };
  }
  setTimeout(() => void release(), RELEASE_MS).unref();
  return { next: "update", relayPort: port, release };
}

/** Listens; a port still held by this relay's previous bundle (a reload) is waited for. */
async function listenRetrying(app: Koa, port: number, host: string): ReturnType<typeof listenHttp> {
  const until = Date.now() + REBIND_MS;
  for (;;) {
    try {
      return await listenHttp(app, port, host, { maxConnections: maxConnectionsFromEnv() });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0 || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
