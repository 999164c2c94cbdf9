// Relays' heartbeats (HTTP or the root relay's): liveness and worker statistics into the store,
// lease renewals, and the commands and revocations sent back; and, from what they last said,
// how many of a sweep's leased trials run on a thread now.
import type { HeartbeatRequest, HeartbeatResponse, RelayStats } from "../../../protocol/messages.ts";
import type { ControllerMeters } from "../api/controller-metrics.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { SignedWork } from "../scheduler/signed-work.ts";
import type { Store } from "../store/store.ts";
import type { Identities } from "./identities.ts";

export class RelayHeartbeats {
  /** Each relay's trials on a thread, by sweep, as its last heartbeat said: soft state, for counts only. */
  private startedByRelay = new Map<string, { at: number; bySweep: Record<string, number> }>();

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly work: SignedWork,
    private readonly identities: Identities,
    private readonly silentMs: number,
    private readonly meters: () => ControllerMeters | undefined,
  ) {}

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

  /** A relay's heartbeat: liveness, worker stats, leases, commands. */
  async absorb(relayId: string, req: HeartbeatRequest, seq: number, url: string | undefined): Promise<HeartbeatResponse> {
    const now = Date.now();
    this.startedByRelay.set(relayId, { at: now, bySweep: req.started });
    this.meters()?.heartbeat(); // discalc_heartbeats_total
    return this.store.tx(async () => {
      await this.store.touchNode(relayId, now, { url, stats: JSON.stringify(req.stats) });
      await this.absorbWorkers(relayId, req.stats, now);
      const { revoked } = await this.scheduler.renewLeases(relayId, req.held, req.released);
      return {
        commands: (await this.scheduler.commandsAfter(seq)).map((c) => this.work.signedCommand(c)), revoked, bundleSha: await this.work.currentBundle(),
        pausedSweeps: (await this.store.sweeps()).filter((sw) => sw.state === "paused").map((sw) => sw.id), identityTokens: this.identities.identityTokens(),
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
