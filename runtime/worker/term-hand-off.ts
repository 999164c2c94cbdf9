// What a stopping agent (SIGTERM) does with the running trials it asked for a checkpoint: each
// is stopped (and handed back) once a checkpoint of it was stored after the ask, or once it has
// ended; when the grace period is over, the rest are stopped as they are. Values in, decision
// out: the agent's shell polls it and carries it out.

export interface AskedTrial {
  key: string;
  /** Still on its thread. */
  running: boolean;
  /** When its last checkpoint reached the relay, if ever. */
  storedAt: number | undefined;
}

export interface HandOff {
  /** Stop these now: their checkpoint is stored (or the grace is over). */
  stop: string[];
  /** Still waiting for their checkpoint. */
  waiting: string[];
  /** The grace ran out with these still without a checkpoint (they are in `stop`). */
  late: string[];
}

export function termHandOff(asked: readonly AskedTrial[], askedAt: number, now: number, graceMs: number): HandOff {
  const over = now - askedAt >= graceMs;
  const out: HandOff = { stop: [], waiting: [], late: [] };
  for (const t of asked) {
    if (!t.running) continue;
    if (t.storedAt !== undefined && t.storedAt >= askedAt) out.stop.push(t.key);
    else if (over) out.stop.push(t.key), out.late.push(t.key);
    else out.waiting.push(t.key);
  }
  return out;
}
