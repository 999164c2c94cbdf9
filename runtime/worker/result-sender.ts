// An agent's results on their way to its relay: batched as they finish, several posts under
// way at once, each result kept (and listed as held) until the relay acknowledges it, and
// sent again after a failure. The sending itself is injected, so tests drive it without sockets.
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
  /** The pause before results whose post failed go again (default 100 ms). */
  retryMs?: number;
}

export class ResultSender {
  /** Not yet sent, oldest first. */
  private queued: TrialResult[] = [];
  /** On their way: still ours until acknowledged. */
  private sending = new Set<TrialResult>();
  /** JSON bytes of results whose size is known (a thread measured the outcome): no stringify to size a batch. */
  private bytes = new WeakMap<TrialResult, number>();
  private posts = 0;
  private timer: NodeJS.Timeout | undefined;
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

  /** Queues a finished trial's result; a full batch goes now, otherwise within flushMs. */
  add(result: TrialResult, bytes?: number): void {
    this.queued.push(result);
    if (bytes !== undefined) this.bytes.set(result, bytes);
    if (this.queued.length >= this.batchMax) void this.flush();
    else this.timer ??= setTimeout(() => this.onTimer(), this.flushMs);
  }

  /** Waits up to a second for a post to be free, then sends a batch (what is handed back must reach the relay before the next poll). */
  async flushNow(): Promise<void> {
    for (let i = 0; i < 100 && this.posts >= this.maxPosts; i++) await new Promise((r) => setTimeout(r, 10));
    await this.flush();
  }

  /** Sends the oldest queued results, if a post is free; resolves when that post ends. */
  async flush(): Promise<void> {
    if (this.posts >= this.maxPosts || !this.queued.length) return;
    const batch = this.queued.splice(0, batchPrefix(this.queued, this.batchMax, RESULT_BATCH_BYTES, (r) => this.bytes.get(r) ?? jsonBytes(r)));
    for (const r of batch) this.sending.add(r);
    this.posts++;
    let sent = false;
    try {
      await this.o.send(batch);
      sent = true;
    } catch (err) {
      this.o.log(`sending ${batch.length} result(s) failed, will retry: ${(err as Error).message}`);
      this.queued.unshift(...batch);
    } finally {
      this.posts--;
      for (const r of batch) this.sending.delete(r);
    }
    if (!this.queued.length) return;
    if (sent) {
      // What came in meanwhile goes now: results held count against the agent's grant, so
      // waiting for a timer here left its threads without trials.
      this.cancelTimer();
      void this.flush();
    } else {
      this.cancelTimer();
      this.timer = setTimeout(() => this.onTimer(), this.retryMs);
    }
  }

  /** Stops the pending timer (the agent is done with this sender). */
  close(): void {
    this.cancelTimer();
  }

  private onTimer(): void {
    this.timer = undefined;
    void this.flush();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
