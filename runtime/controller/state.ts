// The controller's services, by name, as its composition root (controller.ts) builds them; each
// router and the root relay's upstream take the ones they need (a Pick of this), not the whole.
import type Koa from "koa";
import type { Store } from "./store/store.ts";
import type { Scheduler } from "./scheduler/scheduler.ts";
import type { BlobStore } from "./store/blob-store.ts";
import type { Relay } from "../relay/relay.ts";
import type { ControllerMeters } from "./api/controller-metrics.ts";
import type { RungWaiters } from "./scheduler/rung-waiters.ts";
import type { StallWatch } from "./sweeps/stall-watch.ts";
import type { SignedWork } from "./scheduler/signed-work.ts";
import type { TrialStates } from "./scheduler/trial-states.ts";
import type { JoinLimiter } from "./fleet/join-limiter.ts";
import type { Identities } from "./fleet/identities.ts";
import type { RelayHeartbeats } from "./fleet/relay-heartbeats.ts";
import type { EventLog } from "../log.ts";

/** Settings fixed at start. */
export interface ControllerSettings {
  controllerId: string;
  /** Whether a machine that joined with the cluster token may be made a relay (the fanout policy). */
  promote: boolean;
  /** --max-threads: the most threads a join is granted. */
  maxThreads: number;
  heartbeatMs: number;
  silentMs: number;
  defaultLeaseMs: number;
  privateApi: boolean;
  log: EventLog;
}

/** Set when a write to the store failed: the controller then refuses work until restarted. */
export class StoreHealth {
  failure: string | null = null;

  assertWritable(ctx: Pick<Koa.Context, "throw">): void {
    if (this.failure) ctx.throw(503, `controller store is not writable (${this.failure}); refusing work`);
  }
}

export interface ControllerState {
  readonly settings: ControllerSettings;
  readonly store: Store;
  readonly health: StoreHealth;
  readonly blobs: BlobStore;
  readonly scheduler: Scheduler;
  /** Trials waiting at a rung for their stopping decision. */
  readonly rungs: RungWaiters;
  /** Trials' checkpoints and final states: stored from the relay holding the attempt, served to the attempt that resumes. */
  readonly states: TrialStates;
  /** Signed leases and commands, the current bundle. */
  readonly work: SignedWork;
  readonly identities: Identities;
  /** New nodes' joins, limited per token. */
  readonly joins: JoinLimiter;
  readonly heartbeats: RelayHeartbeats;
  /** The root relay (set once it is built: it calls back into the services above). */
  relay: Relay;
  /** Prometheus counters (controller-metrics.ts); unset where no /metrics is served. */
  meters?: ControllerMeters;
  /** Sweeps with work left and no progress for a while, and why (set when the controller starts). */
  stalls?: StallWatch;
}
