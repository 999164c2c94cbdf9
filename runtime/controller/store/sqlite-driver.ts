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

/** A prepared statement; one that returns rows reads them as arrays, made objects by `row`. */
interface Prepared {
  st: Database.Statement;
  row?: (values: unknown[]) => Record<string, unknown>;
}

/**
 * Makes a row object from a row's values with one object literal, compiled once per statement
 * from its column names (our own schema's: quoted, never spliced). better-sqlite3 builds each
 * row object a property at a time, which took twice as long as reading the row as an array
 * and making it this way: 3.3 against 1.45 µs per trial row, 2.0 against 1.2 per attempt.
 */
function rowMaker(columns: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  // A later column of the same name wins, as in better-sqlite3's own objects. A literal's
  // "__proto__" would set the prototype instead: no column of ours is named so.
  if (columns.includes("__proto__")) throw new Error("a column named __proto__ cannot be read into a row object");
  return new Function("r", `return { ${columns.map((c, i) => `${JSON.stringify(c)}: r[${i}]`).join(", ")} };`) as (values: unknown[]) => Record<string, unknown>;
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly db: Database.Database;
  private statements = new Map<string, Prepared>();
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

  private statement(sql: string): Prepared {
    let p = this.statements.get(sql);
    if (!p) {
      const st = this.db.prepare(sql);
      p = st.reader ? { st: st.raw(true), row: rowMaker(st.columns().map((c) => c.name)) } : { st };
      this.statements.set(sql, p);
    }
    return p;
  }

  /** Runs one statement now: its rows (none for a statement that returns none) and the rows it changed. */
  private execute(sql: string, params: readonly unknown[]): { rows: unknown[]; changes: number } {
    const { st, row } = this.statement(sql);
    if (!row) return { rows: [], changes: st.run(...params).changes };
    const rows = st.all(...params) as unknown[][];
    return { rows: rows.map(row), changes: 0 };
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
    return this.when(() => this.execute(sql, params).rows as R[]);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.when(() => this.execute(sql, params).changes);
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
