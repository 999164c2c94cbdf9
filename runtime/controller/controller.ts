// The controller's composition root: opens the store, builds the named services (state.ts) and
// the root relay, and mounts one Koa app with the node routes, the root relay's worker routes,
// the REST API, the dashboard and /metrics.
import { StallWatch, DEFAULT_STALL_MS } from "./sweeps/stall-watch.ts";
import Koa from "koa";
import { Store, storeLocation } from "./store/store.ts";
import { StoreBusyError } from "./store/store-busy.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { BlobStore } from "./store/blob-store.ts";
import { StoreHealth, type ControllerSettings, type ControllerState } from "./state.ts";
import { RungWaiters } from "./scheduler/rung-waiters.ts";
import { SignedWork } from "./scheduler/signed-work.ts";
import { TrialStates, DEFAULT_MAX_STATE_BYTES } from "./scheduler/trial-states.ts";
import { Identities } from "./fleet/identities.ts";
import { RelayHeartbeats } from "./fleet/relay-heartbeats.ts";
import { JoinLimiter } from "./fleet/join-limiter.ts";
import { nodeRouter, fromRelayHandlers, BOOTSTRAP_SHA256 } from "./fleet/node-routes.ts";
import { apiRouter } from "./api/api-routes.ts";
import { localUpstream } from "./scheduler/local-upstream.ts";
import { registerSweep, type RegisteredSweep } from "./sweeps/register-sweep.ts";
import type { PreparedSweep } from "./sweeps/prepare-sweep.ts";
import { cachedNodeBundle } from "./fleet/bundle-cache.ts";
import { Relay } from "../relay/relay.ts";
import { relayRouter } from "../relay/routes.ts";
import { errorMiddleware } from "../http/errors.ts";
import { listenHttp } from "../http/listen.ts";
import { dashboardRouter } from "./api/dashboard-routes.ts";
import { newNodeId } from "../http/identity.ts";
import { IdentitySigner } from "../http/identity-token.ts";
import { resolveTokens } from "./fleet/tokens.ts";
import { createDaemonMetrics, timingMiddleware, metricsRouter } from "../http/metrics.ts";
import { controllerMetrics } from "./api/controller-metrics.ts";
import { DEFAULT_MAX_THREADS } from "./fleet/join-threads.ts";
import { parseJoinLimit } from "./fleet/join-limiter.ts";
import { readLocalDatasetBlob } from "../../kernels/datasets/local-blobs.ts";
import type { EventLog } from "../log.ts";

export interface ControllerOptions {
  data: string;
  /** A PostgreSQL URL (--store / DISCALC_STORE): all state there instead of SQLite under `data`. */
  store?: string;
  /** The cluster token: workers join with it. */
  token: string;
  /** Relays join with it; the admin token when not given. */
  relayToken?: string;
  /** Commands and deploys; generated into <data>/admin-token when not given. */
  adminToken?: string;
  /** Whether the controller may make a machine that joined with the cluster token a relay (the fanout policy). */
  promote?: boolean;
  /** --max-threads: a join asking more threads is granted this many (DEFAULT_MAX_THREADS when not given). */
  maxThreads?: number;
  /** --max-state-bytes: the largest checkpoint or final state (raw bytes) stored (DEFAULT_MAX_STATE_BYTES when not given). */
  maxStateBytes?: number;
  port?: number;
  host?: string;
  /** The sweep to serve, prepared (experiment built, data packed) by prepare-sweep.ts. */
  config?: PreparedSweep;
  forceNew?: boolean;
  privateApi?: boolean;
  /** Behind a TLS-terminating proxy: trust X-Forwarded-Proto/Host for the URLs handed out. */
  trustProxy?: boolean;
  /** Open connections it takes at most (listen.ts's default when not given). */
  maxConnections?: number;
  heartbeatMs?: number;
  silentMs?: number;
  /** A sweep with work left and no progress for this long is reported as stalled (DISCALC_STALL_SECONDS, else 30 s). */
  stallMs?: number;
  log?: EventLog;
  /**
   * The node bundle to serve if the store has none yet (its first start), when the caller began
   * building it earlier (`discalc run` does, while its modules load); else it is built here.
   */
  initialBundle?: Promise<Uint8Array>;
}

export interface Controller {
  url: string;
  /** Where a generated admin token was written, or null. */
  adminTokenFile: string | null;
  /** SHA-256 of the bootstrap script it serves (the one-line join pins it). */
  bootstrapSha: string;
  port: number;
  state: ControllerState;
  sweep: RegisteredSweep | undefined;
  close(): Promise<void>;
}

export async function startController(o: ControllerOptions): Promise<Controller> {
  const log: EventLog = o.log ?? (() => {});
  let store: Store;
  const at = storeLocation(o.store, o.data);
  try {
    store = await Store.open(at);
  } catch (err) {
    if (err instanceof StoreBusyError) throw err;
    throw new Error(`cannot open the store ${"dir" in at ? `in --data ${o.data}` : "at --store"}: ${(err as Error).message}`);
  }
  try {
    // A new store needs the bundle its nodes run: it is built (esbuild, its own process) or read
    // from the bundle cache while the rest of the start-up goes on.
    const initialBundle = (await store.getMeta("current_bundle")) ? undefined : (o.initialBundle ?? cachedNodeBundle("initial"));
    initialBundle?.catch(() => {}); // awaited below, unless the start fails first
    const controllerId = (await store.getMeta("controller_id")) ?? newNodeId("controller");
    await store.setMeta("controller_id", controllerId);
    const tokens = await resolveTokens(o.data, { cluster: o.token, relay: o.relayToken, admin: o.adminToken }, store);
    if (tokens.adminTokenFile) log("info", "start", `admin token in ${tokens.adminTokenFile} (mode 0600)`);
    else if (tokens.adminFrom === "store") log("info", "start", "admin token: the one this store keeps (its hash); the token is in the admin-token file of the controller that generated it");
    // The key that signs identities never leaves the controller; relays get its public half.
    const signer = IdentitySigner.load(await store.getMeta("identity_key"));
    await store.setMeta("identity_key", signer.privateKeyPem);
    const blobs = new BlobStore(store);
    const datasets = { mnist: await blobs.put(readLocalDatasetBlob("mnist"), "dataset", "mnist") };
    if (initialBundle) await store.setMeta("current_bundle", await blobs.put(await initialBundle, "bundle", "node-bundle", "initial"));
    let sweep: RegisteredSweep | undefined;
    if (o.config) {
      for (const b of o.config.blobs) await blobs.put(b.bytes, b.kind, b.name);
      sweep = await registerSweep(store, o.config.config, { forceNew: o.forceNew, entry: o.config.entry });
    }
    // Relays and workers reconnect within seconds of a restart: their trials keep running, so
    // their leases get a full period before any can expire.
    const graced = await store.graceLeases(Date.now());
    if (graced) log("info", "restart", `restart: ${graced} lease(s) get one lease period of grace`);
    const heartbeatMs = o.heartbeatMs ?? 1000;
    const scheduler = new Scheduler(store, { datasets });
    // A model-based sweep proposes its next batches here, from its config and experiment.
    if (sweep && o.config) await scheduler.setSweepSource(sweep.sweepId, { config: o.config.config, entry: o.config.entry });
    const settings: ControllerSettings = {
      controllerId, heartbeatMs, promote: o.promote ?? true, maxThreads: o.maxThreads ?? DEFAULT_MAX_THREADS,
      silentMs: o.silentMs ?? 5 * heartbeatMs, defaultLeaseMs: (o.config?.config.leaseSeconds ?? 10) * 1000,
      privateApi: o.privateApi ?? false, log,
    };
    const identityTtlMs = Number(process.env.DISCALC_IDENTITY_TTL_MS) || 24 * 3600_000;
    const identities = new Identities(signer, { cluster: tokens.cluster, relay: tokens.relay, admin: tokens.admin }, identityTtlMs);
    const meters = () => state.meters;
    const work = new SignedWork(store, scheduler, signer, identityTtlMs, meters);
    const state: ControllerState = {
      settings, store, scheduler, blobs, identities, work,
      health: new StoreHealth(),
      rungs: new RungWaiters(scheduler),
      states: new TrialStates(store, scheduler, o.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES),
      joins: new JoinLimiter(parseJoinLimit(process.env.DISCALC_JOIN_LIMIT)),
      heartbeats: new RelayHeartbeats(store, scheduler, work, identities, settings.silentMs, meters),
      relay: undefined as unknown as Relay, // built below: it calls back into these services
    };

    const app = new Koa();
    app.proxy = o.trustProxy ?? false;
    app.use(errorMiddleware(log));
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        const code = store.disablingFailure(err);
        if (code !== undefined) {
          state.health.failure = code;
          log("error", "store", `store write failed (${code}): refusing work until restarted`);
          ctx.throw(503, `controller store failed (${code}); nothing was acknowledged`);
        }
        throw err;
      }
    });
    // Prometheus: this controller's own registry; requests timed by matched route (before the routers).
    const metrics = createDaemonMetrics();
    state.meters = controllerMetrics(metrics.registry, { store, silentMs: settings.silentMs, rungs: state.rungs, relay: () => state.relay });
    app.use(timingMiddleware(metrics));
    state.relay = new Relay(localUpstream(state), {
      relayId: controllerId, url: "", heartbeatMs, silentMs: settings.silentMs, log, startSeq: await store.lastCommandSeq(),
    });
    const nodes = nodeRouter(state);
    const root = relayRouter(state.relay, {
      verifier: identities.verifier, relayId: controllerId,
      statsTokens: [identities.adminToken], fromRelay: fromRelayHandlers(state), localBlob: (sha) => blobs.get(sha),
      maxStateBytes: state.states.maxStateBytes,
    });
    const rest = apiRouter(state);
    const dashboard = dashboardRouter();
    // GET /metrics: open like the read-only API, a token under --private.
    const prom = metricsRouter(metrics.registry, { tokens: o.privateApi ? [identities.token, identities.adminToken] : undefined });
    for (const r of [nodes, root, rest, dashboard, prom]) app.use(r.routes()).use(r.allowedMethods());
    const { server, port } = await listenHttp(app, o.port ?? 7070, o.host ?? "0.0.0.0", { maxConnections: o.maxConnections });
    const url = `http://${o.host && o.host !== "0.0.0.0" ? o.host : "127.0.0.1"}:${port}`;
    state.relay.url = url;
    state.relay.start();
    const stallMs = o.stallMs ?? (Number(process.env.DISCALC_STALL_SECONDS) * 1000 || DEFAULT_STALL_MS);
    state.stalls = new StallWatch(scheduler, state.rungs, { afterMs: stallMs, log });
    const stallTimer = setInterval(() => void state.stalls!.tick().catch((err: Error) => log("warn", "stall", `stall watch failed: ${err.message}`)), state.stalls.intervalMs);
    let expiring = false;
    const expiry = setInterval(() => {
      if (state.health.failure || expiring) return;
      expiring = true;
      scheduler.expireLeases().catch((err: Error) => {
        // A failure the store's driver calls lasting (a disk full or read-only): stop taking work. Others may pass: retry.
        const code = store.disablingFailure(err, { background: true });
        if (code !== undefined) {
          state.health.failure = code;
          // The same words as a request's failure: whichever write fails first, the operator reads one line.
          log("error", "store", `store write failed (${code}): refusing work until restarted (lease expiry: ${err.message})`);
        } else log("error", "store", `lease expiry failed: ${err.message}`);
      }).finally(() => (expiring = false));
    }, Math.max(100, Math.min(1000, heartbeatMs)));

    return {
      url, port, state, sweep, adminTokenFile: tokens.adminTokenFile, bootstrapSha: BOOTSTRAP_SHA256,
      async close() {
        clearInterval(expiry);
        clearInterval(stallTimer);
        await state.relay.close(true);
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        state.rungs.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}


