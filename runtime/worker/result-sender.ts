// An agent's results on their way to its relay: batched as they finish, several posts under
// way at once, each result kept (and listed as held) until the relay acknowledges it, and
// sent again after a pause when a post fails. The sending itself is injected, so tests drive
// it without sockets.
import type { TrialResult } from "../../protocol/messages.ts";
import { batchPrefix, jsonBytes, RESULT_BATCH_BYTES } from "../../protocol/batch-bytes.ts";

export interface ResultSenderOptions {
  /** Posts one batch; resolves once the relay acknowledged it. */
  send(batch: TrialResult[]): Promise<void>;
  log(message: string): void;
  /** Posts under way at once (default 3). */
  maxPosts?: number;
  /** Results per post (default 64); a full batch goes at once. */
  batchMax?: number;
  /** How long a result waits for others to share its post (default 5 ms). */
  flushMs?: number;
  /** The pause after a failed post before results go again (default 100 ms). */
  retryMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ResultSender {
  /** Not yet sent, oldest first. */
  private queued: TrialResult[] = [];
  /** On their way: still ours until acknowledged. */
  private sending = new Set<TrialResult>();
  /** JSON bytes of results whose size is known (a thread measured the outcome): no stringify to size a batch. */
  private bytes = new WeakMap<TrialResult, number>();
  private posts = 0;
  private timer: NodeJS.Timeout | undefined;
  /** After a failed post, nothing goes before this time (ms since the epoch). */
  private pauseUntil = 0;
  private closed = false;
  private readonly maxPosts: number;
  private readonly batchMax: number;
  private readonly flushMs: number;
  private readonly retryMs: number;

  constructor(private readonly o: ResultSenderOptions) {
    this.maxPosts = o.maxPosts ?? 3;
    this.batchMax = o.batchMax ?? 64;
    this.flushMs = o.flushMs ?? 5;
    this.retryMs = o.retryMs ?? 100;
  }

  /** Results not acknowledged yet: queued or on their way. */
  get size(): number {
    return this.queued.length + this.sending.size;
  }

  /** Every result not acknowledged yet (the agent lists them as held: the relay must not take them back). */
  unacked(): TrialResult[] {
    return [...this.queued, ...this.sending];
  }

  /** Queues a finished trial's result; a full batch goes now, otherwise within flushMs (once closed, it only waits). */
  add(result: TrialResult, bytes?: number): void {
    this.queued.push(result);
    if (bytes !== undefined) this.bytes.set(result, bytes);
    if (this.queued.length >= this.batchMax) void this.flush();
    else this.arm(this.flushMs);
  }

  /**
   * Sends until the relay has acknowledged these results, or `ms` has passed: what an agent
   * hands back must reach its relay before its next poll. Other posts under way may carry them.
   */
  async flushUntilAcked(results: readonly TrialResult[], ms = 1000): Promise<void> {
    await this.sendWhile(ms, () => results.some((r) => this.sending.has(r) || this.queued.includes(r)), () => this.queued.some((r) => results.includes(r)));
  }

  /** Sends everything, for at most `ms` (an agent that stops); then no post or timer is left to start. */
  async drain(ms: number): Promise<void> {
    await this.sendWhile(ms, () => this.size > 0, () => this.queued.length > 0);
    this.close();
  }

  /** Posts while `waiting()` holds (at most `ms`), whenever a post is free and `sendable()` says the queue holds what is waited for. */
  private async sendWhile(ms: number, waiting: () => boolean, sendable: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (waiting() && Date.now() < until && !this.closed) {
      if (this.canPost() && sendable()) await this.flush();
      else await sleep(5);
    }
  }

  /** Sends the oldest queued results, if a post is free and no pause after a failure holds them; resolves when that post ends. */
  async flush(): Promise<void> {
    if (this.closed || !this.queued.length) return;
    if (Date.now() < this.pauseUntil) return this.arm(this.pauseUntil - Date.now());
    // All posts under way: the first to end sends the rest.
    if (this.posts >= this.maxPosts) return;
    const batch = this.queued.splice(0, batchPrefix(this.queued, this.batchMax, RESULT_BATCH_BYTES, (r) => this.bytes.get(r) ?? jsonBytes(r)));
    for (const r of batch) this.sending.add(r);
    this.posts++;
    let sent = false;
    try {
      const posting = this.o.send(batch);
      // Another full batch waiting (after a pause) takes another free post, as add() would.
      if (this.queued.length >= this.batchMax) void this.flush();
      await posting;
      sent = true;
    } catch (err) {
      this.o.log(`sending ${batch.length} result(s) failed, will retry: ${(err as Error).message}`);
      this.queued.unshift(...batch);
      this.pauseUntil = Date.now() + this.retryMs;
    } finally {
      this.posts--;
      for (const r of batch) this.sending.delete(r);
    }
    if (!this.queued.length || this.closed) return;
    if (sent && Date.now() >= this.pauseUntil) {
      // What came in meanwhile goes now: results held count against the agent's grant, so
      // waiting for a timer here left its threads without trials.
      this.cancelTimer();
      void this.flush();
    } else {
      this.cancelTimer();
      this.arm(Math.max(0, this.pauseUntil - Date.now()));
    }
  }

  /** No timer is left, and no post starts on its own any more (one under way still ends). */
  close(): void {
    this.closed = true;
    this.cancelTimer();
  }

  private canPost(): boolean {
    return this.posts < this.maxPosts && Date.now() >= this.pauseUntil;
  }

  private arm(ms: number): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
