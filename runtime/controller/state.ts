// The controller's shared state, handed to its routers: store, scheduler, blobs, the root
// relay, tokens and timing settings, and the few operations several routers need.
import type { TokenKey } from "../http/token-key.ts";
import type Koa from "koa";
import type { Store } from "./store/store.ts";
import type { Scheduler } from "./scheduler/scheduler.ts";
import type { BlobStore } from "./store/blob-store.ts";
import type { Relay } from "../relay/relay.ts";
import type { ControllerMeters } from "./api/controller-metrics.ts";
import { RungWaiters } from "./scheduler/rung-waiters.ts";
import type { StallWatch } from "./sweeps/stall-watch.ts";
import type { Command, HeartbeatRequest, HeartbeatResponse, IdentityCheck, RelayStats, TrialLease } from "../../protocol/messages.ts";
import { EarlyStopping } from "../../protocol/early-stopping.ts";
import { commandMessage, signLeases } from "../../protocol/signed-work.ts";
import { IdentityVerifier, type IdentitySigner, type Identity } from "../http/identity-token.ts";
import { JoinLimiter, type JoinLimit } from "./fleet/join-limiter.ts";

export class ControllerState {
  relay!: Relay;
  /** Set when a write to the store failed: the controller then refuses work. */
  storeFailure: string | null = null;
  /** Prometheus counters (controller-metrics.ts); unset where no /metrics is served. */
  meters?: ControllerMeters;
  /** Trials waiting at a rung for their stopping decision. */
  readonly rungs: RungWaiters;
  /** Sweeps with work left and no progress for a while, and why (set when the controller starts). */
  stalls?: StallWatch;

  constructor(
    readonly store: Store,
    readonly scheduler: Scheduler,
    readonly blobs: BlobStore,
    readonly opts: {
      controllerId: string; token: TokenKey; relayToken: TokenKey; adminToken: TokenKey; signer: IdentitySigner;
      identityTtlMs: number; promote: boolean;
      /** --max-threads: the most threads a join is granted. */
      maxThreads: number;
      /** Joins per token (DISCALC_JOIN_LIMIT); the default takes hundreds of machines at once. */
      joinLimit?: JoinLimit;
      heartbeatMs: number; silentMs: number; defaultLeaseMs: number; privateApi: boolean; log: (m: string) => void;
    },
  ) {
    this.verifier = new IdentityVerifier(opts.signer.publicKeyPem, this.identityTokens());
    this.rungs = new RungWaiters(scheduler);
    this.joins = new JoinLimiter(opts.joinLimit);
  }

  /** New nodes' joins, limited per token. */
  readonly joins: JoinLimiter;

  /** Checks every identity this controller issued under its current tokens. */
  readonly verifier: IdentityVerifier;

  /** Fingerprints of the tokens that may join (an identity issued under another is revoked). */
  identityTokens(): string[] {
    return [...new Set([this.opts.token.fingerprint, this.opts.relayToken.fingerprint])];
  }

  /** What a relay needs to check its workers' identities: the public key only. */
  identityCheck(): IdentityCheck {
    return { publicKey: this.opts.signer.publicKeyPem, tokens: this.identityTokens() };
  }

  issueIdentity(id: Omit<Identity, "expiresAt">): { signed: string; expiresAt: number } {
    const expiresAt = Date.now() + this.opts.identityTtlMs;
    return { signed: this.opts.signer.issue({ ...id, expiresAt }), expiresAt };
  }

  /**
   * Up to n trials leased to a relay, signed (protocol/signed-work.ts): a worker runs a lease
   * only with the controller's signature over it, whoever carried it.
   */
  async leaseTrials(relayId: string, n: number): Promise<TrialLease[]> {
    const leases = await this.scheduler.leaseTrials(relayId, n);
    this.meters?.leasesGranted(leases.length); // discalc_leases_granted_total
    if (!leases.length) return [];
    // Signed as every hop's schema gives it: a stopping rule with its defaults filled.
    const asParsed = leases.map((l) => (l.earlyStopping ? { ...l, earlyStopping: EarlyStopping.parse(l.earlyStopping) } : l));
    return signLeases(asParsed, await this.currentBundle(), Date.now() + this.opts.identityTtlMs, (m) => this.opts.signer.signMessage(m));
  }

  /** Signatures of commands by sequence number: a command never changes, and every relay's heartbeat sends the recent ones. */
  private commandSignatures = new Map<number, string>();

  /** A command as workers accept it: signed by this controller. */
  signedCommand(c: Command): Command {
    let signature = this.commandSignatures.get(c.seq);
    if (!signature) {
      signature = this.opts.signer.signMessage(commandMessage(c));
      if (this.commandSignatures.size >= 10_000) this.commandSignatures.clear();
      this.commandSignatures.set(c.seq, signature);
    }
    return { ...c, signature };
  }

  get controllerId() { return this.opts.controllerId; }
  get token() { return this.opts.token; }
  get adminToken() { return this.opts.adminToken; }
  get relayToken() { return this.opts.relayToken; }
  get heartbeatMs() { return this.opts.heartbeatMs; }
  get silentMs() { return this.opts.silentMs; }
  get defaultLeaseMs() { return this.opts.defaultLeaseMs; }
  log(m: string) { this.opts.log(m); }

  async currentBundle(): Promise<string> {
    const sha = await this.store.getMeta("current_bundle");
    if (!sha) throw new Error("no current bundle");
    return sha;
  }

  /** Machines per relay: the newest active sweep's `relays.fanout`. */
  async fanout(): Promise<number> {
    const active = (await this.store.sweeps()).filter((s) => s.state === "running" || s.state === "paused");
    return active.at(-1)?.fanout ?? 8;
  }

  /** True when nothing can be leased only because sweeps are paused. */
  async pausedOnly(): Promise<boolean> {
    const states = (await this.store.sweeps()).map((s) => s.state);
    return states.includes("paused") && !states.includes("running");
  }

  assertWritable(ctx: Koa.Context): void {
    if (this.storeFailure) ctx.throw(503, `controller store is not writable (${this.storeFailure}); refusing work`);
  }

  /** Each relay's trials on a thread, by sweep, as its last heartbeat said: soft state, for counts only. */
  private startedByRelay = new Map<string, { at: number; bySweep: Record<string, number> }>();

  /**
   * Of a sweep's `leased` trials, how many run on a thread now (by the relays heard from within
   * silentMs); the rest are reserved (prefetched by a relay or an agent).
   */
  runningOf(sweepId: number, leased: number): number {
    const now = Date.now();
    let running = 0;
    for (const { at, bySweep } of this.startedByRelay.values()) if (now - at <= this.silentMs) running += bySweep[sweepId] ?? 0;
    return Math.min(running, leased);
  }

  /** A relay's heartbeat (HTTP or the root relay's): liveness, worker stats, leases, commands. */
  async absorbHeartbeat(relayId: string, req: HeartbeatRequest, seq: number, url: string | undefined): Promise<HeartbeatResponse> {
    const now = Date.now();
    this.startedByRelay.set(relayId, { at: now, bySweep: req.started });
    this.meters?.heartbeat(); // discalc_heartbeats_total
    return this.store.tx(async () => {
      await this.store.touchNode(relayId, now, { url, stats: JSON.stringify(req.stats) });
      await this.absorbWorkers(relayId, req.stats, now);
      const { revoked } = await this.scheduler.renewLeases(relayId, req.held, req.released);
      return {
        commands: (await this.scheduler.commandsAfter(seq)).map((c) => this.signedCommand(c)), revoked, bundleSha: await this.currentBundle(),
        pausedSweeps: (await this.store.sweeps()).filter((sw) => sw.state === "paused").map((sw) => sw.id), identityTokens: this.identityTokens(),
      };
    });
  }

  /**
   * A relay speaks only for its own workers: a listed worker that the controller did not put
   * under this relay (at its join) is left as it is — its relay, state, last-seen time and
   * statistics. Nothing a heartbeat says moves a worker to another relay.
   */
  private async absorbWorkers(relayId: string, stats: RelayStats, now: number): Promise<void> {
    for (const w of stats.workers) {
      const node = await this.store.node(w.workerId);
      if (!node || node.role !== "worker" || node.relay_id !== relayId) continue;
      // A poll time in the future would keep a dead worker alive: never past now.
      await this.store.touchNode(w.workerId, Math.max(node.last_seen, Math.min(w.lastPoll, now)), {
        stats: JSON.stringify(w), state: w.silent ? "silent" : "alive",
      });
    }
  }
}
