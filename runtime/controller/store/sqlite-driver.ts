// SQLite through better-sqlite3 (WAL, synchronous = FULL): the store under --data. Its calls
// are synchronous, so one connection serves everything; a mutex keeps statements of other
// requests out of an open transaction.
import Database from "better-sqlite3";
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Mutex, type SqlDriver } from "./sql-driver.ts";

/**
 * A transaction lets the event loop run after this much work (ms): its statements are
 * synchronous, and a result batch of 256 held the thread for 5–15 ms, while relays' and
 * workers' requests that need no store (a poll served from the relay's queue, results
 * buffered) waited behind it. Other store calls still wait for the transaction (the mutex).
 */
const YIELD_MS = 1;

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly db: Database.Database;
  private statements = new Map<string, Database.Statement>();
  private mutex = new Mutex();
  private inTx = new AsyncLocalStorage<true>();
  private lastYield = 0;

  constructor(readonly where: string) {
    mkdirSync(where, { recursive: true });
    this.db = new Database(join(where, "discalc.sqlite"));
    this.db.pragma("journal_mode = WAL");
    // FULL: a commit is on disk (the WAL fsynced) before it returns, so what the controller has
    // acknowledged survives power loss. Commits are batched (a result batch, a lease batch, a
    // heartbeat), so this costs little (runtime benchmark in the README).
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
  }

  private statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Inside a transaction at once (after a turn of the event loop every YIELD_MS); outside, after any open one. */
  private when<T>(fn: () => T): Promise<T> {
    if (!this.inTx.getStore()) return this.mutex.lock(async () => fn());
    if (performance.now() - this.lastYield < YIELD_MS) return Promise.resolve(fn());
    return this.yieldThen(fn);
  }

  private async yieldThen<T>(fn: () => T): Promise<T> {
    await new Promise((r) => setImmediate(r));
    this.lastYield = performance.now();
    return fn();
  }

  all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.when(() => {
      const st = this.statement(sql);
      return (st.reader ? st.all(...params) : (st.run(...params), [])) as R[];
    });
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.when(() => this.statement(sql).run(...params).changes);
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx.getStore()) return fn();
    return this.mutex.lock(() => this.inTx.run(true, async () => {
      this.db.exec("BEGIN IMMEDIATE");
      this.lastYield = performance.now();
      try {
        const out = await fn();
        if (performance.now() - this.lastYield >= YIELD_MS) await new Promise((r) => setImmediate(r));
        this.db.exec("COMMIT");
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    }));
  }

  /** Runs a script (schema, migrations) at once. */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  async close(): Promise<void> {
    await this.mutex.lock(async () => this.db.close());
  }
}
