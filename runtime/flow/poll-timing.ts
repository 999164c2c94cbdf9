// When an agent polls its relay, how long a poll waits, and how the agent backs off after
// failures; how often a relay reaps silent workers. Poll timing, in one place.

/** A long-poll waits at most this long at the relay for trials or a hand-back request. */
export const POLL_WAIT_MS = 2000;
/** A poll with no answer after this long is abandoned: a long-poll's wait and room for a slow relay. */
export const POLL_TIMEOUT_MS = POLL_WAIT_MS + 8000;
/** With nothing to ask for, an agent still polls this often: the poll is also its heartbeat (a relay's silentMs is 5 s). */
export const IDLE_POLL_MS = 1000;
/** After this many failed polls in a row the agent asks the controller for another relay. */
export const REJOIN_AFTER_FAILURES = 3;
/** One long-poll for a rung decision; a trial asks again until its max_wait_seconds. */
export const RUNG_POLL_MS = 5000;

/** The pause after the `failures`-th failed poll in a row: growing, so a relay that restarts is not hammered, and capped so it is found again soon. */
export function pollBackoffMs(failures: number): number {
  return Math.min(500 * failures, 3000);
}

/** The pause after the `failures`-th failed rung request: shorter than a poll's, a thread waits on it. */
export function rungBackoffMs(failures: number): number {
  return Math.min(250 * failures, 2000);
}

/** How often a relay looks for silent workers: at least twice per silence period, so one is found within 1.5 of them. */
export function reapEveryMs(silentMs: number): number {
  return Math.min(1000, silentMs / 2);
}

/** What an agent knows when it decides how to poll. */
export interface PollSituation {
  /** The agent runs (not updating or exiting): it asks for trials. */
  running: boolean;
  /** Trials it asks for (agentAsk), 0 when not running. */
  free: number;
  idleThreads: number;
  /** Trials received and waiting for a thread (its reserve). */
  waiting: number;
  /** The relay reads `reserve` (its answers carry handBack). */
  relayTakesBack: boolean;
  /** The relay's last answer said the controller has nothing more to lease. */
  relayDry: boolean;
}

/**
 * Whether the poll waits at the relay (a long-poll) and whether it lists the reserve. A thread
 * with nothing to run waits for work there; at a sweep's end a reserve waits too, so the relay
 * answers the moment a thread elsewhere idles and should run part of it.
 */
export function pollShape(s: PollSituation): { longPoll: boolean; tellReserve: boolean } {
  const starving = s.idleThreads > 0 && s.waiting === 0;
  const tellReserve = s.relayTakesBack && s.running;
  const longPoll = (s.free > 0 && starving) || (tellReserve && s.relayDry && s.waiting > 0);
  return { longPoll, tellReserve };
}

/**
 * After an answer, whether the agent polls again at once: when the relay gave less than was
 * asked while there was work (more is coming), or after a long-poll (which already waited).
 * Otherwise it sleeps until a thread frees up, or IDLE_POLL_MS.
 */
export function pollAgainAtOnce(asked: number, got: number, gotCommands: boolean, longPoll: boolean): boolean {
  return ((got > 0 || gotCommands) && asked > got) || longPoll;
}

/**
 * Whether a finished trial should bring the next poll forward. Polling on every completion
 * made a poll (and the relay's work on it) per trial; with the reserve half full the next
 * trials are already here, and the poll waits until it runs low. At a sweep's end (the relay
 * dry) every change is told at once, so the relay can move reserves to idle threads; an agent
 * not running (updating, exiting) polls to hand over its results.
 */
export function pollDueOnFinish(s: { running: boolean; relayDry: boolean; idleThreads: number; waiting: number; reserveTarget: number }): boolean {
  if (!s.running || s.relayDry) return true;
  if (s.idleThreads > 0 && s.waiting === 0) return true;
  return s.waiting <= Math.floor(s.reserveTarget / 2);
}
