// What the store needs from a database: statements with `?` placeholders, and transactions.
// Two drivers (SQLite, PostgreSQL) run the same SQL text; the store never sees which.
export interface SqlDriver {
  readonly dialect: "sqlite" | "postgres";
  /** Where a human finds this store (a folder, or a URL without its password). */
  readonly where: string;
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a write; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` as one transaction: every statement the store issues while it runs (in this async
   * context) belongs to it. Transactions of one store run one at a time, so the scheduler's
   * read-then-write rules need no row locks. Nested calls join the outer transaction.
   */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the open transaction (of this async context) has committed, at once outside
   * one. What a transaction sets in motion runs after it: a callback it scheduled would
   * otherwise inherit its context and run inside it while it waits (reading rows not yet
   * committed, or a connection already given back).
   */
  afterCommit(fn: () => void): void;
  /**
   * The code to report when `err` leaves this store unable to take writes until a restart (the
   * controller then refuses work), or undefined for a failure that may pass. `background`: a
   * write no request waits on (lease expiry), which a driver may judge differently. Each driver
   * knows its own errors, so the controller never reads a database's codes.
   */
  disablingFailure(err: unknown, background: boolean): string | undefined;
  close(): Promise<void>;
}

/** A promise chain that lets one holder in at a time. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
