// Batches sized by bytes as well as by count, so a batch never grows past what its route
// accepts: a sender takes the first items that fit, and an item that alone is over the cap can
// never be sent (the sender fails it rather than retry it forever).

/** Route caps, bytes of JSON before compression. */
export const BODY_CAPS = {
  results: 64 * 1024 * 1024,
  metrics: 8 * 1024 * 1024,
  heartbeat: 4 * 1024 * 1024,
} as const;

/** What a sender puts in one batch: well under the route's cap, leaving room for the envelope. */
export const RESULT_BATCH_BYTES = 16 * 1024 * 1024;
/** A metrics batch: within the route's 20,000 items and 8 MiB. */
export const METRICS_BATCH = 10_000;
export const METRICS_BATCH_BYTES = 4 * 1024 * 1024;
/** One result past this is failed at the worker instead of sent (its reports alone would fill a batch). */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;

export const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * How many leading items fit in `maxBytes` (at least one, so progress is always made), at most
 * `maxCount`. `sizeOf` gives an item's JSON bytes where the sender measured them already (one
 * stringify fewer per item).
 */
export function batchPrefix<T>(items: readonly T[], maxCount: number, maxBytes: number, sizeOf?: (item: T) => number): number {
  const whole = Math.min(items.length, maxCount);
  if (whole === 0) return whole;
  const size = sizeOf ?? jsonBytes;
  // The usual batch fits whole: one measurement, not one per item.
  if (!sizeOf && jsonBytes(items.slice(0, whole)) <= maxBytes) return whole;
  let bytes = 0;
  let n = 0;
  for (const item of items) {
    if (n >= maxCount) break;
    bytes += size(item) + 1;
    if (n > 0 && bytes > maxBytes) break;
    n++;
  }
  return n;
}
