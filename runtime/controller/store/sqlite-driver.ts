// SQLite through better-sqlite3 (WAL; each commit fsynced before it is answered, off the
// thread: durable()): the store under --data. Its calls are synchronous, so one connection
// serves everything; a mutex keeps statements of other requests out of an open transaction.
import Database from "better-sqlite3";
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, existsSync, fsyncSync, openSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Mutex, type SqlDriver } from "./sql-driver.ts";
import { GroupSync } from "./group-sync.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";
import { ensurePrivateDir, ensurePrivateFile } from "./private-files.ts";

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A transaction lets the event loop run after this much work (ms): its statements are
 * synchronous, and a large result batch held the thread for several milliseconds, while relays' and
 * workers' requests that need no store (a poll served from the relay's queue, results
 * buffered) waited behind it. Other store calls still wait for the transaction (the mutex).
 */
const YIELD_MS = 1;
/** The WAL size (pages) at which this connection checkpoints itself, if the checkpoint thread falls behind. */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;
/**
 * Bytes the WAL file is cut back to when the writer starts it over after a checkpoint. SQLite
 * reuses the file from its start and never shrinks it by itself: a burst of kept trial states
 * left tens of megabytes beside the database for good.
 */
export const SQLITE_WAL_SIZE_LIMIT = 16 * 1024 * 1024;

/** A prepared statement; one that returns rows reads them as arrays, made objects by `row`. */
interface Prepared {
  st: Database.Statement;
  row?: (values: unknown[]) => Record<string, unknown>;
}

/**
 * Makes a row object from a row's values with one object literal, compiled once per statement
 * from its column names (our own schema's: quoted, never spliced). better-sqlite3 builds each
 * row object a property at a time, which took about twice as long as reading the row as an
 * array and making it this way (`npm run bench:store` shows the statements' cost).
 */
function rowMaker(columns: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  // A later column of the same name wins, as in better-sqlite3's own objects. A literal's
  // "__proto__" would set the prototype instead: no column of ours is named so.
  if (columns.includes("__proto__")) throw new Error("a column named __proto__ cannot be read into a row object");
  return new Function("r", `return { ${columns.map((c, i) => `${JSON.stringify(c)}: r[${i}]`).join(", ")} };`) as (values: unknown[]) => Record<string, unknown>;
}

/** An open transaction: its context token, and what waits for its commit to be durable. */
interface OpenTx {
  wrote: boolean;
  afterCommit: Array<() => void>;
}

/** A failed fsync of the WAL: the store takes nothing more (disablingFailure sees its SQLITE_ code). */
class SyncFailure extends Error {
  readonly code = "SQLITE_IOERR_FSYNC";
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly db: Database.Database;
  private statements = new Map<string, Prepared>();
  private mutex = new Mutex();
  /**
   * The transaction a call belongs to. A callback scheduled inside a transaction inherits its
   * context, and may run while the transaction yields or after it ended: it counts as inside
   * only while that very transaction is the open one (and should not be scheduled at all:
   * afterCommit()).
   */
  private inTx = new AsyncLocalStorage<OpenTx>();
  private openTx: OpenTx | undefined;
  private lastYield = 0;
  private readonly walPath: string;
  private readonly checkpointer: WalCheckpointer;
  private wal: FileHandle | undefined;
  /** Commits (and writes outside a transaction) so far, and how many of them a finished sync covers. */
  private committed = 0;
  private synced = 0;
  private syncFailure: SyncFailure | undefined;
  private closed = false;
  private readonly walSync = new GroupSync(async () => {
    if (this.closed) throw new Error(`store ${this.where} is closed`);
    const covers = this.committed;
    try {
      this.wal ??= await open(this.walPath, "r");
      await this.wal.sync();
    } catch (err) {
      // Linux may drop the pages of a failed fsync and let the next one succeed: never go on.
      this.syncFailure ??= new SyncFailure(`fsync of ${this.walPath} failed: ${(err as Error).message}; the store takes nothing more until restarted`);
      throw this.syncFailure;
    }
    this.synced = Math.max(this.synced, covers);
  });

  constructor(readonly where: string) {
    // The store holds the controller's signing key (meta.identity_key): only its owner reads it.
    // SQLite makes the -wal and -shm files with the database file's mode, so the file is made
    // 0600 before SQLite opens it; those of an older store are made so after.
    ensurePrivateDir(where);
    const file = join(where, "discalc.sqlite");
    ensurePrivateFile(file, { create: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    for (const companion of ["-wal", "-shm"]) ensurePrivateFile(`${file}${companion}`);
    // A commit is on disk before anything that depends on it is answered, as with FULL, but
    // the WAL's fsync runs on libuv's thread pool after COMMIT returns (durable()), shared by
    // every commit made while the previous one ran: with FULL, the fsync inside COMMIT held the
    // controller's only thread, and under load it was a large share of that thread's time.
    // NORMAL leaves that sync to us; SQLite still syncs around checkpoints.
    this.db.pragma("synchronous = NORMAL");
    this.walPath = `${this.db.name}-wal`;
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    // Checkpoints run on a thread of their own (wal-checkpointer.ts); this connection's are the
    // backstop (10,000 pages, 40 MB), and SQLite's own 1,000 again if that thread fails.
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    this.db.pragma(`journal_size_limit = ${SQLITE_WAL_SIZE_LIMIT}`);
    this.checkpointer = new WalCheckpointer(this.db.name, (message) => {
      this.db.pragma("wal_autocheckpoint = 1000");
      console.warn(`discalc: the WAL checkpoint thread stopped (${message}); checkpoints run on the main thread`);
    });
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
  private execute(sql: string, params: readonly unknown[]): { rows: unknown[]; changes: number; writes: boolean } {
    const { st, row } = this.statement(sql);
    const writes = !st.readonly;
    if (!row) return { rows: [], changes: st.run(...params).changes, writes };
    const rows = st.all(...params) as unknown[][];
    return { rows: rows.map(row), changes: 0, writes };
  }

  /** The open transaction, when this call is part of it. */
  private current(): OpenTx | undefined {
    const t = this.inTx.getStore();
    return t !== undefined && t === this.openTx ? t : undefined;
  }

  /** Inside the open transaction at once (after a turn of the event loop every YIELD_MS); outside, after it. */
  private when<T extends { writes: boolean }>(fn: () => T): Promise<T> {
    if (this.syncFailure) return Promise.reject(this.syncFailure);
    const tx = this.current();
    if (!tx) return this.alone(fn);
    if (performance.now() - this.lastYield < YIELD_MS) return Promise.resolve(this.inside(tx, fn));
    return this.yieldThen(tx, fn);
  }

  private inside<T extends { writes: boolean }>(tx: OpenTx, fn: () => T): T {
    const out = fn();
    if (out.writes) tx.wrote = true;
    return out;
  }

  private async yieldThen<T extends { writes: boolean }>(tx: OpenTx, fn: () => T): Promise<T> {
    await new Promise((r) => setImmediate(r));
    // A call from a callback the transaction scheduled may find it ended meanwhile (and the
    // connection in the next one): it then runs as any call outside.
    if (tx !== this.openTx) return this.alone(fn);
    this.lastYield = performance.now();
    return this.inside(tx, fn);
  }

  /**
   * A statement outside any transaction: after the open one. It resolves once what it wrote,
   * or any commit it may have read that is not synced yet, is on disk.
   */
  private async alone<T extends { writes: boolean }>(fn: () => T): Promise<T> {
    const { out, synced } = await this.mutex.lock(async () => {
      const out = fn();
      if (out.writes) this.committed++;
      // Registered before the mutex is released, so close() waits for it.
      return { out, synced: this.durable() };
    });
    await synced;
    return out;
  }

  /**
   * Resolves once everything committed so far is on disk (the WAL fsynced): at once when it is.
   * An answer that rests on a commit (its own, or one it read: a duplicate result found
   * stored) is sent only then.
   */
  private durable(): Promise<void> | undefined {
    if (this.syncFailure) return Promise.reject(this.syncFailure);
    return this.synced >= this.committed ? undefined : this.walSync.after();
  }

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.when(() => this.execute(sql, params))).rows as R[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.when(() => this.execute(sql, params))).changes;
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current()) return fn();
    if (this.syncFailure) throw this.syncFailure;
    const tx: OpenTx = { wrote: false, afterCommit: [] };
    const { out, synced } = await this.mutex.lock(() => this.inTx.run(tx, async () => {
      this.db.exec("BEGIN IMMEDIATE");
      this.openTx = tx;
      this.lastYield = performance.now();
      try {
        const out = await fn();
        if (performance.now() - this.lastYield >= YIELD_MS) await new Promise((r) => setImmediate(r));
        this.db.exec("COMMIT");
        if (tx.wrote) this.committed++;
        // Registered before the mutex is released, so close() waits for it. The next
        // transaction may run while this one's commit is synced: its caller hears nothing before.
        return { out, synced: this.durable() };
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      } finally {
        this.openTx = undefined;
      }
    }));
    await synced;
    for (const f of tx.afterCommit) f();
    return out;
  }

  /**
   * Runs `fn` once the open transaction has committed and is on disk (at once outside one):
   * what a transaction sets in motion (a waiter's recheck) must not run inside it, where a
   * callback it scheduled would read the transaction's uncommitted rows while it yields.
   */
  afterCommit(fn: () => void): void {
    const tx = this.current();
    if (tx) tx.afterCommit.push(fn);
    else fn();
  }

  /** Syncs the WAL now, on this thread: after migrations, which write through `db` directly. */
  syncNow(): void {
    if (existsSync(this.walPath)) fsyncFile(this.walPath);
  }

  /** Runs a script (schema, migrations) at once, on disk before it returns. */
  exec(sql: string): void {
    this.db.exec(sql);
    // Rare (start-up, migrations): the sync may stay on this thread.
    this.syncNow();
  }

  /** SQLite's failures are the disk's (full, read-only, a failed fsync): none of them passes. */
  disablingFailure(err: unknown, background: boolean): string | undefined {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
    // A background write (lease expiry) that failed in any way would fail again on every tick.
    return background ? (typeof code === "string" ? code : "write error") : undefined;
  }

  async close(): Promise<void> {
    await this.checkpointer.close();
    await this.mutex.lock(async () => {
      // Syncs registered before this point (under the mutex) finish first, and nothing new
      // starts on a closed handle.
      if (this.wal || this.committed > this.synced) await this.walSync.after().catch(() => {});
      this.closed = true;
      await this.wal?.close();
      this.wal = undefined;
      this.db.close();
    });
  }
}
