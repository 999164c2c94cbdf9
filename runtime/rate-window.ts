// Events per time window (trials finished in the last 2 s, 5 s, minute), counted in fixed
// buckets of a ring: adding and asking cost the same at any rate. A list of timestamps,
// trimmed with shift() and counted by scanning, cost time in proportion to the rate, on
// every poll and every heartbeat: the busier the relay, the more each one cost.
// Counts are exact to within one bucket at the window's far end. Values in, counts out: the
// caller passes the clock.

export class RateWindow {
  private readonly counts: Float64Array;
  /** The bucket (time / bucketMs) the newest count is in; older ones are behind it in the ring. */
  private newest = -Infinity;

  /** Keeps `windowMs` of history in buckets of `bucketMs`. */
  constructor(private readonly windowMs: number, private readonly bucketMs = 100) {
    if (!(bucketMs > 0) || !(windowMs >= bucketMs)) throw new Error(`a rate window needs 0 < bucketMs <= windowMs, got ${bucketMs} and ${windowMs}`);
    this.counts = new Float64Array(Math.ceil(windowMs / bucketMs) + 1);
  }

  /** Counts `n` events at `now` (ms). */
  add(now: number, n = 1): void {
    this.advance(now);
    this.counts[this.slot(this.newest)] += n;
  }

  /** Events in the last `ms` (at most the window) before `now`, in whole buckets: the current one and those that began within `ms`. */
  count(now: number, ms = this.windowMs): number {
    this.advance(now);
    const buckets = Math.min(this.counts.length - 1, Math.ceil(Math.min(ms, this.windowMs) / this.bucketMs));
    let sum = 0;
    for (let i = 0; i < buckets; i++) sum += this.counts[this.slot(this.newest - i)]!;
    return sum;
  }

  /** Events per second over the last `ms` (at most the window). */
  perSecond(now: number, ms = this.windowMs): number {
    if (!(ms > 0)) throw new Error(`a rate needs a period of more than 0 ms, got ${ms}`);
    return this.count(now, ms) / (Math.min(ms, this.windowMs) / 1000);
  }

  /**
   * Events per second to size a buffer by: the higher of the rates over the last `fastMs` and
   * the last `slowMs` (default the window), so the buffer grows as soon as the rate rises and
   * shrinks only as the slower period forgets. The window's rate alone lags a rise: a second
   * into a sweep, a 5 s window says a fifth of the real rate, and queues sized by it ran dry.
   */
  risingRate(now: number, fastMs: number, slowMs = this.windowMs): number {
    return Math.max(this.perSecond(now, fastMs), this.perSecond(now, slowMs));
  }

  private slot(bucket: number): number {
    const n = this.counts.length;
    return ((bucket % n) + n) % n;
  }

  /** Moves the newest bucket to `now`'s, zeroing the buckets passed over (a clock that went back counts into the newest). */
  private advance(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket <= this.newest) return;
    const passed = Math.min(this.counts.length, bucket - this.newest);
    for (let i = 1; i <= passed; i++) this.counts[this.slot(bucket - passed + i)] = 0;
    this.newest = bucket;
  }
}
