// Batches sized by bytes as well as by count, so a batch never grows past what its route
// accepts: a sender takes the first items that fit, and an item that alone is over the cap can
// never be sent (the sender fails it rather than retry it forever).

/** Route caps, bytes of JSON before compression. */
export const BODY_CAPS = {
  results: 64 * 1024 * 1024,
  metrics: 8 * 1024 * 1024,
  heartbeat: 4 * 1024 * 1024,
  /** A poll's trial lists: two of at most 60,000 characters. */
  work: 256 * 1024,
} as const;

/** What a sender puts in one batch: well under the route's cap, leaving room for the envelope. */
export const RESULT_BATCH_BYTES = 16 * 1024 * 1024;
/** A metrics batch: within the route's 20,000 items and 8 MiB. */
export const METRICS_BATCH = 10_000;
export const METRICS_BATCH_BYTES = 4 * 1024 * 1024;
/** One result past this is failed at the worker instead of sent (its reports alone would fill a batch). */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;

export const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** The most characters JSON takes for a finite number: "-0.0000012345678901234567" (fixed notation down to 1e-7). */
const NUMBER_JSON_MAX = 25;
const OUTCOME_KEYS = new Set(["resultSha256", "metrics", "reports", "info", "runMs"]);

/** Bytes of `{"name":number,…}` at most, for named finite numbers with ASCII names; undefined for anything else. */
function metricsBound(m: unknown): number | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  let bytes = 2;
  for (const k in m) {
    const x = (m as Record<string, unknown>)[k];
    if (typeof x !== "number" || !Number.isFinite(x)) return undefined;
    // "k":x, — a name needing escapes or more than one byte a character is not a metric name.
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return undefined;
    }
    bytes += k.length + 4 + NUMBER_JSON_MAX;
  }
  return bytes;
}

/**
 * An upper bound on a trial outcome's JSON bytes, found without writing the JSON, or the exact
 * size where the bound is not at hand (another shape) or large (over `exactAbove` bytes, where a
 * result's size decides whether it may be sent at all). Threads size every outcome, so the agent
 * batches results without stringifying them: writing each tiny trial's outcome only to count
 * its bytes was an eighth of a thread's time per trial.
 */
export function outcomeBytes(outcome: Record<string, unknown>, exactAbove = 1024 * 1024): number {
  let bytes = 2;
  for (const k in outcome) {
    if (!OUTCOME_KEYS.has(k)) return jsonBytes(outcome);
    const v = outcome[k];
    let b: number | undefined;
    if (k === "resultSha256") b = typeof v === "string" && /^[0-9a-f]*$/.test(v) ? v.length + 2 : undefined;
    else if (k === "runMs") b = typeof v === "number" && Number.isFinite(v) ? NUMBER_JSON_MAX : undefined;
    else if (k === "reports") {
      if (!Array.isArray(v)) return jsonBytes(outcome);
      b = 2;
      for (const r of v) {
        const rb = metricsBound(r);
        if (rb === undefined) return jsonBytes(outcome);
        b += rb + 1;
      }
    } else b = metricsBound(v);
    if (b === undefined) return jsonBytes(outcome);
    bytes += k.length + 4 + b;
    if (bytes > exactAbove) return jsonBytes(outcome);
  }
  return bytes;
}

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
