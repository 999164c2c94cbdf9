// How fast machines may join with one token: a token bucket per token fingerprint. A lab that
// boots hundreds of machines at once joins in one burst; a script minting identities in a
// loop runs dry and is told when to come back. Values in, a decision out: the caller passes
// the clock, so the rule is a unit test.

export interface JoinLimit {
  /** Joins a token may make at once (a fleet booting together). */
  burst: number;
  /** Joins a token earns back per second, up to `burst`. */
  perSecond: number;
}

/** Hundreds of lab machines booting together fit in the burst; ~2,000 a minute after. */
export const DEFAULT_JOIN_LIMIT: JoinLimit = { burst: 1024, perSecond: 32 };

/** A limit from DISCALC_JOIN_LIMIT ("BURST/PER_SECOND", e.g. "1024/32"); errors name the variable. */
export function parseJoinLimit(text: string | undefined): JoinLimit {
  if (text === undefined || text === "") return DEFAULT_JOIN_LIMIT;
  const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(text.trim());
  const burst = m ? Number(m[1]) : NaN, perSecond = m ? Number(m[2]) : NaN;
  if (!(burst >= 1) || !(perSecond > 0)) throw new Error(`DISCALC_JOIN_LIMIT must be BURST/PER_SECOND with BURST >= 1 and PER_SECOND > 0 (e.g. 1024/32), got "${text}"`);
  return { burst, perSecond };
}

/** Buckets kept at most (one per token fingerprint: a controller has two or three). */
const BUCKETS_MAX = 1000;

export class JoinLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(readonly limit: JoinLimit = DEFAULT_JOIN_LIMIT) {}

  /** Takes one join from `key`'s bucket at `now` (ms): allowed, or how long until one is earned. */
  take(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    // A clock that steps back earns nothing (and takes nothing back).
    b.tokens = Math.min(this.limit.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.limit.perSecond);
    b.at = Math.max(b.at, now);
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= BUCKETS_MAX) this.buckets.clear();
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.limit.perSecond) * 1000) };
  }
}
