// Work as workers accept it: leases and commands signed by this controller (protocol/signed-work.ts),
// so a worker runs a trial or obeys a command only with the controller's signature, whoever
// carried it; and the node bundle that work runs on.
import type { Command, TrialLease } from "../../../protocol/messages.ts";
import { EarlyStoppingConfig } from "../../stopping/registry.ts";
import { commandMessage, signLeases } from "../../../protocol/signed-work.ts";
import type { IdentitySigner } from "../../http/identity-token.ts";
import type { ControllerMeters } from "../api/controller-metrics.ts";
import type { Store } from "../store/store.ts";
import type { Scheduler } from "./scheduler.ts";

export class SignedWork {
  /** Signatures of commands by sequence number: a command never changes, and every relay's heartbeat sends the recent ones. */
  private commandSignatures = new Map<number, string>();

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly signer: IdentitySigner,
    private readonly ttlMs: number,
    /** Prometheus counters, once /metrics is set up. */
    private readonly meters: () => ControllerMeters | undefined,
  ) {}

  /** Up to n trials leased to a relay, signed. */
  async leaseTrials(relayId: string, n: number): Promise<TrialLease[]> {
    const leases = await this.scheduler.leaseTrials(relayId, n);
    this.meters()?.leasesGranted(leases.length); // discalc_leases_granted_total
    if (!leases.length) return [];
    // Signed as every hop's schema gives it: a stopping rule with its defaults filled.
    const asParsed = leases.map((l) => (l.earlyStopping ? { ...l, earlyStopping: EarlyStoppingConfig.parse(l.earlyStopping) } : l));
    return signLeases(asParsed, await this.currentBundle(), Date.now() + this.ttlMs, (m) => this.signer.signMessage(m));
  }

  /** A command as workers accept it: signed by this controller. */
  signedCommand(c: Command): Command {
    let signature = this.commandSignatures.get(c.seq);
    if (!signature) {
      signature = this.signer.signMessage(commandMessage(c));
      if (this.commandSignatures.size >= 10_000) this.commandSignatures.clear();
      this.commandSignatures.set(c.seq, signature);
    }
    return { ...c, signature };
  }

  /** The node bundle nodes run now. */
  async currentBundle(): Promise<string> {
    const sha = await this.store.getMeta("current_bundle");
    if (!sha) throw new Error("no current bundle");
    return sha;
  }

  /** True when nothing can be leased only because sweeps are paused. */
  async pausedOnly(): Promise<boolean> {
    const states = (await this.store.sweeps()).map((s) => s.state);
    return states.includes("paused") && !states.includes("running");
  }
}
