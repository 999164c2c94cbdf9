// Who becomes what when a machine joins: a relay when the relays there are (the root relay
// counts as one) already serve `fanout` proven machines each, or when the machine asks; a
// worker otherwise. A worker is given the least-loaded live relay, or the root relay when none.
// Only workers that have returned a result the controller stored count toward promotion, so
// joins alone (a script with the cluster token) never make a relay.
import type { Store } from "../store/store.ts";

export interface RoleDecision {
  role: "relay" | "worker";
  /** For workers: the relay's node id (the controller's for the root relay). */
  relayId: string;
}

export async function decideRole(
  store: Store, opts: { asked?: "relay" | "worker"; fanout: number; controllerId: string; now: number; silentMs: number; exclude?: string },
): Promise<RoleDecision> {
  // Aggregates in SQL: joins stay cheap with thousands of nodes.
  const relays = await store.relayLoads(opts.now - opts.silentMs, opts.now - 3 * opts.silentMs);
  const workers = await store.liveProvenWorkerCount(opts.now - 3 * opts.silentMs);
  const wantsRelay = opts.asked === "relay" || (opts.asked === undefined && workers >= opts.fanout * (relays.length + 1));
  if (wantsRelay) return { role: "relay", relayId: opts.controllerId };
  // Only relays whose worker URL is known (after their first heartbeat) can take workers.
  const serving = relays.filter((r) => r.url && r.id !== opts.exclude);
  if (!serving.length) return { role: "worker", relayId: opts.controllerId };
  const least = serving.reduce((best, r) => (r.workers < best.workers ? r : best));
  return { role: "worker", relayId: least.id };
}

/** Machines per relay: the newest active sweep's `relays.fanout`. */
export async function fanoutOf(store: Store): Promise<number> {
  const active = (await store.sweeps()).filter((s) => s.state === "running" || s.state === "paused");
  return active.at(-1)?.fanout ?? 8;
}
