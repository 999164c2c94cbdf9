// Group commit: makes committed writes durable with as few syncs as can cover them. A caller
// that committed asks `after()`, which resolves once a sync that began after that call has
// ended; callers that commit while a sync runs share the next one. The sync itself (an fsync
// of SQLite's WAL) is injected, so the rule is tested without a disk.

export class GroupSync {
  /** The sync under way, if any. */
  private running: Promise<void> | undefined;
  /** The sync that starts when the running one ends, shared by everyone who committed meanwhile. */
  private queued: Promise<void> | undefined;

  constructor(private readonly sync: () => Promise<void>) {}

  /** Resolves once everything committed before this call is durable (rejects if that sync failed). */
  after(): Promise<void> {
    // One queued already starts after this call: it covers the caller too.
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The running sync may have begun before the caller's commit: it does not count.
    const ignore = () => {};
    this.queued = this.running.then(ignore, ignore).then(() => this.start());
    return this.queued;
  }

  private start(): Promise<void> {
    this.queued = undefined;
    const run = this.sync();
    this.running = run;
    const done = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(done, done);
    return run;
  }
}
