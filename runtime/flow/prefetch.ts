// How many leased trials a relay keeps queued for its workers, and when it asks upstream for
// more: workers should never wait on the controller, and each lease request is a transaction
// upstream (a commit on the controller's disk), worth making for many trials at once.

/** Trials queued per live worker thread: one to hand out now, one for the thread's next poll. */
export const QUEUED_PER_THREAD = 2;
/** When trials are short, the queue holds this many seconds of the relay's recent rate instead. */
export const QUEUE_HORIZON_S = 0.5;
/** The fewest trials queued while any worker is live (RelayOptions.prefetch's default). */
export const MIN_PREFETCH = 4;
/** The most one lease request asks for: the controller leases them in one transaction. */
export const MAX_LEASE_REQUEST = 1000;
/** The relay's rate is read over this long, or over the last RATE_FAST_MS when that is higher (a rise shows at once). */
export const RELAY_RATE_SLOW_MS = 5000;
export const RELAY_RATE_FAST_MS = 1000;

/** Trials worth holding: two per live thread, or half a second of work; none without workers. */
export function queueTarget(liveThreads: number, ratePerS: number, minPrefetch = MIN_PREFETCH): number {
  return liveThreads ? Math.max(minPrefetch, QUEUED_PER_THREAD * liveThreads, Math.ceil(ratePerS * QUEUE_HORIZON_S)) : 0;
}

export interface RefillState {
  /** Trials queued at the relay now. */
  queued: number;
  /** queueTarget() now. */
  target: number;
  /** Trials a waiting worker asked for beyond the target: fetched at once. */
  extra: number;
  /** The last request came back short: ask again now, whose answer says whether upstream is dry. */
  again: boolean;
  /** Upstream said it is paused. */
  upstreamPaused: boolean;
  /** Some worker waits in a long-poll. */
  waiting: boolean;
}

/**
 * How many trials to ask upstream for now (0: none). The queue is refilled once it is down to
 * half its target, not after every poll; at once for a waiting worker's `extra`, or `again`
 * after a request the controller could not fill. While upstream is paused, only for a worker
 * that waits.
 */
export function leaseRequest(s: RefillState): number {
  const target = s.target + s.extra;
  const want = target - s.queued;
  if (want <= 0 || (s.upstreamPaused && !s.waiting && !s.extra)) return 0;
  if (s.extra === 0 && !s.again && s.queued > target / 2) return 0;
  return Math.min(want, MAX_LEASE_REQUEST);
}
