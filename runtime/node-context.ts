// What the bootstrap hands the bundle it runs, and what the bundle answers when it ends.
import type { JoinResponse } from "../protocol/messages.ts";

export interface NodeContext {
  join: JoinResponse;
  /** Identity cookie set by the join. */
  cookie: string;
  controller: string;
  token: string;
  threads: number;
  host: string;
  /** The bundle's own source, so worker threads can load the same code. */
  bundleSource: string;
  /** Relays: the port to serve workers on (0 = any) and an optional public URL. */
  relayPort?: number;
  advertise?: string;
  /** Relays: the interface to listen on (default all). */
  listen?: string;
  /** Workers: exit 0 once nothing has run and the controller has had nothing to lease for this long (batch jobs). */
  exitWhenIdleMs?: number;
  /** Workers: on SIGTERM, how long running trials get to store a checkpoint before they are handed back (--term-grace). */
  termGraceMs?: number;
  log(msg: string): void;
}

/**
 * update: load the bundle the controller now names; rejoin: ask for a new relay; exit: stop.
 * A relay that updates names the port it served on, so the new bundle serves its workers at
 * the same address, and still holds it: `release` lets go, once the new bundle is loaded.
 */
export type NodeOutcome =
  | { next: "update" | "rejoin"; relayPort?: number; release?: () => Promise<void> }
  | { next: "exit"; code: number };
