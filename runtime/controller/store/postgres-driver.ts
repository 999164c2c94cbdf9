// PostgreSQL through node-postgres (pg): the store at --store postgres://… . A pool serves
// reads; a transaction checks one client out and every statement of its async context goes
// there. Transactions run one at a time in this controller, and only one controller serves a
// store: it holds a session advisory lock for its lifetime, which PostgreSQL releases when its
// connection ends (a killed controller frees the store at once).
import pg from "pg";
import { AsyncLocalStorage } from "node:async_hooks";
import { Mutex, type SqlDriver } from "./sql-driver.ts";
import { StoreBusyError } from "./store-busy.ts";

/** The advisory lock key of a discalc store (any constant; "discalc" in ASCII). */
const LOCK_KEY = 0x646973636c63;

/** `?` placeholders as PostgreSQL's $1, $2, … (the store's SQL has no `?` inside strings). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT (ids, ms timestamps, counts) as numbers: every value the store keeps is below 2^53.
const types = {
  getTypeParser: (oid: number, format?: "text" | "binary") => (oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)),
} as unknown as pg.CustomTypesConfig;

export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres";
  readonly where: string;
  private pool: pg.Pool;
  private lockClient: pg.PoolClient | undefined;
  private mutex = new Mutex();
  private current = new AsyncLocalStorage<pg.PoolClient>();
  /** Open transactions by their client, with what waits for their commit; a context whose client is not here has ended. */
  private open = new Map<pg.PoolClient, Array<() => void>>();
  private texts = new Map<string, string>();

  private constructor(url: string) {
    const shown = new URL(url);
    if (shown.password) shown.password = "***";
    this.where = shown.toString();
    this.pool = new pg.Pool({ connectionString: url, max: 4, types });
    // An idle client's error (the server restarted) must not crash the controller.
    this.pool.on("error", () => {});
  }

  /** Connects, and takes the store's lock: refuses when another controller serves this store. */
  static async open(url: string, opts: { lock: boolean } = { lock: true }): Promise<PostgresDriver> {
    const d = new PostgresDriver(url);
    if (!opts.lock) return d;
    try {
      d.lockClient = await d.pool.connect();
      const { rows } = await d.lockClient.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [LOCK_KEY]);
      if (!rows[0]!.locked) {
        throw new StoreBusyError(`another controller serves the store ${d.where} (it holds PostgreSQL advisory lock ${LOCK_KEY}); stop it first, or use another database`);
      }
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) this.texts.set(sql, (t = numberedPlaceholders(sql)));
    return t;
  }

  /** The open transaction's client when this call belongs to it. */
  private txClient(): pg.PoolClient | undefined {
    const c = this.current.getStore();
    return c !== undefined && this.open.has(c) ? c : undefined;
  }

  private client(): pg.Pool | pg.PoolClient {
    return this.txClient() ?? this.pool;
  }

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.client().query(this.text(sql), params as unknown[])).rows as R[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.client().query(this.text(sql), params as unknown[])).rowCount ?? 0;
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.txClient()) return fn();
    const after: Array<() => void> = [];
    const out = await this.mutex.lock(async () => {
      const client = await this.pool.connect();
      this.open.set(client, after);
      try {
        await client.query("BEGIN");
        const out = await this.current.run(client, fn);
        await client.query("COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        this.open.delete(client);
        client.release();
      }
    });
    for (const f of after) f();
    return out;
  }

  afterCommit(fn: () => void): void {
    const c = this.txClient();
    if (c) this.open.get(c)!.push(fn);
    else fn();
  }

  /** Runs a script (schema, migrations). */
  async exec(sql: string): Promise<void> {
    await this.client().query(sql);
  }

  /** PostgreSQL's failures may pass (a server restart, a dropped connection): callers retry. */
  disablingFailure(): string | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    const lock = this.lockClient;
    this.lockClient = undefined;
    if (lock) {
      // Unlock explicitly: the server ends a closed session's locks only once its backend has
      // exited, which a controller started right after this one could otherwise race.
      await lock.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
      lock.release(true);
    }
    await this.pool.end();
  }
}
