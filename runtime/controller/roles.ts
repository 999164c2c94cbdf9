// Who becomes what when a machine joins: a relay when the relays there are (the root relay
// counts as one) already serve `fanout` machines each, or when the machine asks; a worker
// otherwise. A worker is given the least-loaded live relay, or the root relay when none.
import type { Store, NodeRow } from "./store.ts";

export interface RoleDecision {
  role: "relay" | "worker";
  /** For workers: the relay's node id (the controller's for the root relay). */
  relayId: string;
}

/** Relays that heartbeat; `serving` only those whose worker URL is known (after their first heartbeat). */
export function liveRelays(store: Store, now: number, silentMs: number, serving = true): NodeRow[] {
  return store.nodes().filter((n) => n.role === "relay" && n.state === "alive" && (!serving || n.url) && now - n.last_seen <= silentMs);
}

export function decideRole(
  store: Store, opts: { asked?: "relay" | "worker"; fanout: number; controllerId: string; now: number; silentMs: number; exclude?: string },
): RoleDecision {
  const relays = liveRelays(store, opts.now, opts.silentMs).filter((r) => r.id !== opts.exclude);
  const relayCount = liveRelays(store, opts.now, opts.silentMs, false).length;
  const workers = store.nodes().filter((n) => n.role === "worker" && n.state === "alive" && opts.now - n.last_seen <= 3 * opts.silentMs);
  const wantsRelay = opts.asked === "relay" || (opts.asked === undefined && workers.length >= opts.fanout * (relayCount + 1));
  if (wantsRelay) return { role: "relay", relayId: opts.controllerId };
  if (!relays.length) return { role: "worker", relayId: opts.controllerId };
  const load = new Map<string, number>(relays.map((r) => [r.id, 0]));
  for (const w of workers) if (w.relay_id && load.has(w.relay_id)) load.set(w.relay_id, load.get(w.relay_id)! + 1);
  const least = relays.reduce((best, r) => (load.get(r.id)! < load.get(best.id)! ? r : best));
  return { role: "worker", relayId: least.id };
}
