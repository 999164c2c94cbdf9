// How many trials a thread gets in one message (a chunk): tiny trials travel many to a
// message, since a message each way per trial was most of a tiny trial's cost at the agent;
// anything longer goes one at a time.

/** The most trials one `run` message hands a thread (the size of its stop-flag array). */
export const MAX_CHUNK = 64;
/** A chunk of tiny trials is about this much of a thread's work: short enough that no thread hoards trials. */
export const CHUNK_MS = 5;
/**
 * A chunk that has run this long gives back the trials it has not started: trials of one sweep
 * can differ a hundredfold (a grid over epochs), and the rest should not wait behind them while
 * other threads idle. The agent queues them again, first.
 */
export const CHUNK_RETURN_MS = 4 * CHUNK_MS;
/** The weight of a chunk's newest time per trial in a sweep's moving average: follows a change within a few chunks. */
export const TRIAL_MS_WEIGHT = 0.2;

/** A sweep's time per trial after a chunk that took `ms` a trial (undefined before its first chunk). */
export function nextTrialMs(was: number | undefined, ms: number): number {
  return was === undefined ? ms : (1 - TRIAL_MS_WEIGHT) * was + TRIAL_MS_WEIGHT * ms;
}

/**
 * Trials per chunk: about CHUNK_MS of work at the sweep's recent time per trial (one until it
 * is known), never more than an even share of what is waiting, so no thread takes what
 * another could start now.
 */
export function chunkSize(trialMs: number | undefined, waiting: number, threads: number): number {
  if (trialMs === undefined) return 1;
  const share = Math.ceil(waiting / threads);
  return Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_MS / Math.max(trialMs, 1e-3)), share));
}

/** Whether a chunk that has run `elapsedMs` gives back its trials from position `next` on (never its first). */
export function chunkRunsLong(next: number, elapsedMs: number, returnMs = CHUNK_RETURN_MS): boolean {
  return next > 0 && elapsedMs >= returnMs;
}
