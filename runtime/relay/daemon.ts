// A relay as its own daemon (a machine the controller made a relay): serves workers over
// HTTP, its upstream the controller over HTTP. Runs until SIGTERM or a shutdown command,
// then uploads what it holds and hands back unstarted trials.
import Koa from "koa";
import { ProtocolClient } from "../../protocol/client.ts";
import { Relay } from "./relay.ts";
import { httpUpstream } from "./http-upstream.ts";
import { relayRouter } from "./routes.ts";
import { errorMiddleware } from "../http/errors.ts";
import { listenHttp } from "../http/listen.ts";
import { createDaemonMetrics, timingMiddleware, metricsRouter } from "../http/metrics.ts";
import { relayMetrics } from "./relay-metrics.ts";
import type { NodeContext, NodeOutcome } from "../node-context.ts";
import { IdentityVerifier } from "../http/identity-token.ts";
import { renewIdentity } from "../node-identity.ts";

export async function runRelayNode(ctx: NodeContext): Promise<NodeOutcome> {
  const client = new ProtocolClient(ctx.controller, ctx.token);
  client.cookie = ctx.cookie;
  let shutdown: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (shutdown = resolve));
  if (!ctx.join.identity) throw new Error("the controller's join answer lacks the identity check a relay needs");
  // The controller's public key: this relay checks its workers' identities and can sign none.
  const verifier = new IdentityVerifier(ctx.join.identity.publicKey, ctx.join.identity.tokens);
  const relay = new Relay(httpUpstream(client, ctx.advertise), {
    relayId: ctx.join.nodeId, url: ctx.advertise ?? "", heartbeatMs: ctx.join.heartbeatMs, log: ctx.log, onShutdown: () => shutdown(),
    startSeq: ctx.join.commandSeq, onIdentityTokens: (tokens) => (verifier.tokens = tokens),
  });
  const renewal = renewIdentity(client, ctx);
  const app = new Koa();
  app.use(errorMiddleware(ctx.log));
  // Prometheus: this relay's own registry, read from the Relay at scrape time; /metrics is open (counts only).
  const metrics = createDaemonMetrics();
  relayMetrics(metrics.registry, relay);
  app.use(timingMiddleware(metrics));
  const router = relayRouter(relay, { verifier, relayId: ctx.join.nodeId, statsTokens: [ctx.token] });
  const prom = metricsRouter(metrics.registry);
  for (const r of [router, prom]) app.use(r.routes()).use(r.allowedMethods());
  const { server, port } = await listenHttp(app, ctx.relayPort ?? 0, ctx.listen ?? "0.0.0.0");
  ctx.log(`relay ${ctx.join.nodeId} serving workers on port ${port}`);
  relay.start(port);
  // Keep the current bundle ready for the workers that will ask.
  relay.blob(ctx.join.bundleSha).catch((err: Error) => ctx.log(`cannot fetch the bundle: ${err.message}`));
  const onTerm = () => shutdown();
  process.once("SIGTERM", onTerm);
  process.once("SIGINT", onTerm);
  await stopped;
  ctx.log("relay stopping: handing back queued trials, uploading buffered results");
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onTerm);
  clearInterval(renewal);
  await relay.close(true);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { next: "exit", code: 0 };
}
