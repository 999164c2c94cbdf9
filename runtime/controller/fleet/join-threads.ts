// How many threads a joining machine is granted: what it asks, capped by the controller's
// --max-threads (a 512-core machine is welcome, at the cap, never refused), and never more
// than it was granted before when it comes back with its own identity (threads are fixed at
// join: a renewal cannot raise them). The grant goes into its signed identity, which is what
// its relay bounds each poll by.

/** The controller's --max-threads when not given. */
export const DEFAULT_MAX_THREADS = 256;

export function grantThreads(asked: number, maxThreads: number, before?: number): number {
  return Math.max(1, Math.min(asked, maxThreads, before ?? Infinity));
}
