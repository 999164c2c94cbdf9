// The controller's shared state, handed to its routers: store, scheduler, blobs, the root
// relay, tokens and timing settings, and the few operations several routers need.
import type Koa from "koa";
import type { Store } from "./store.ts";
import type { Scheduler } from "./scheduler.ts";
import type { BlobStore } from "./blob-store.ts";
import type { Relay } from "../relay/relay.ts";
import type { ControllerMeters } from "./controller-metrics.ts";
import type { HeartbeatRequest, HeartbeatResponse, RelayStats } from "../../protocol/messages.ts";

export class ControllerState {
  relay!: Relay;
  /** Set when a write to the store failed: the controller then refuses work. */
  storeFailure: string | null = null;
  /** Prometheus counters (controller-metrics.ts); unset where no /metrics is served. */
  meters?: ControllerMeters;

  constructor(
    readonly store: Store,
    readonly scheduler: Scheduler,
    readonly blobs: BlobStore,
    readonly opts: {
      controllerId: string; token: string; adminToken: string; cookieKeys: string[];
      heartbeatMs: number; silentMs: number; defaultLeaseMs: number; privateApi: boolean; log: (m: string) => void;
    },
  ) {}

  get controllerId() { return this.opts.controllerId; }
  get token() { return this.opts.token; }
  get adminToken() { return this.opts.adminToken; }
  get cookieKeys() { return this.opts.cookieKeys; }
  get heartbeatMs() { return this.opts.heartbeatMs; }
  get silentMs() { return this.opts.silentMs; }
  get defaultLeaseMs() { return this.opts.defaultLeaseMs; }
  log(m: string) { this.opts.log(m); }

  currentBundle(): string {
    const sha = this.store.getMeta("current_bundle");
    if (!sha) throw new Error("no current bundle");
    return sha;
  }

  /** Machines per relay: the newest active sweep's `relays.fanout`. */
  fanout(): number {
    const active = this.store.sweeps().filter((s) => s.state === "running" || s.state === "paused");
    return active.at(-1)?.fanout ?? 8;
  }

  /** True when nothing can be leased only because sweeps are paused. */
  pausedOnly(): boolean {
    const states = this.store.sweeps().map((s) => s.state);
    return states.includes("paused") && !states.includes("running");
  }

  assertWritable(ctx: Koa.Context): void {
    if (this.storeFailure) ctx.throw(503, `controller store is not writable (${this.storeFailure}); refusing work`);
  }

  /** A relay's heartbeat (HTTP or the root relay's): liveness, worker stats, leases, commands. */
  absorbHeartbeat(relayId: string, req: HeartbeatRequest, seq: number, url: string | undefined): HeartbeatResponse {
    const now = Date.now();
    this.meters?.heartbeat(); // discalc_heartbeats_total
    return this.store.tx(() => {
      this.store.touchNode(relayId, now, { url, stats: JSON.stringify(req.stats) });
      this.absorbWorkers(relayId, req.stats);
      const { revoked } = this.scheduler.renewLeases(relayId, req.held, req.released);
      return { commands: this.scheduler.commandsAfter(seq), revoked, bundleSha: this.currentBundle() };
    });
  }

  private absorbWorkers(relayId: string, stats: RelayStats): void {
    for (const w of stats.workers) {
      const node = this.store.node(w.workerId);
      if (!node) continue;
      this.store.touchNode(w.workerId, Math.max(node.last_seen, w.lastPoll), {
        stats: JSON.stringify(w), state: w.silent ? "silent" : "alive",
      });
      if (node.relay_id !== relayId) this.store.setNodeRelay(w.workerId, relayId);
    }
  }
}
