// The controller's store: all its state, behind named async methods. One SQL text serves both
// databases (SQLite under --data, PostgreSQL at --store postgres://…) through a driver; the
// scheduling rules that use it live in scheduler.ts. No SQL lives anywhere else.
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { deflate, inflate } from "pako";
import type { SqlDriver } from "./sql-driver.ts";
import { SqliteDriver } from "./sqlite-driver.ts";
import type { PostgresDriver } from "./postgres-driver.ts";
import { migrateStore, migratePostgres } from "./migrate-store.ts";
import { ensurePrivateDir, writePrivateFile } from "./private-files.ts";

/** `diverged`: a reported number stopped being finite; like failed, it is never retried, and it ranks below every finished trial. */
export type TrialState = "queued" | "leased" | "done" | "failed" | "cancelled" | "pruned" | "diverged";
/** Every trial state, in the order views list them. */
export const TRIAL_STATES: readonly TrialState[] = ["queued", "leased", "done", "pruned", "diverged", "failed", "cancelled"];
export type SweepState = "running" | "paused" | "done" | "cancelled";

export interface SweepRow {
  id: number; name: string; config_hash: string; config: string; state: SweepState;
  lease_ms: number; max_attempts: number; fanout: number; created_at: number; finished_at: number | null;
  /** JSON { samples?, repeats? }: what `discalc sweep extend` set beyond the config; null if never extended. */
  extension: string | null;
}
export interface TrialRow {
  id: number; sweep_id: number; idx: number; point: number; repeat: number; params: string; seed: number;
  config: string; state: TrialState; attempts: number; lease_relay: string | null; lease_deadline: number | null;
  last_error: string | null; finished_at: number | null;
}
/** Where a trial that continues another starts and stops (population-based training). */
export interface LineageRow {
  trial_id: number; sweep_id: number; generation: number; slot: number; parent_point: number | null;
  /** 1 when it took another slot's state and perturbed its hyperparameters. */
  exploited: number; start_step: number; stop_step: number;
}
export type LineageWithParent = LineageRow & { parent_trial_id: number | null };
export interface AttemptRow {
  trial_id: number; attempt: number; relay_id: string; worker_id: string | null; leased_at: number;
  ended_at: number | null; outcome: string | null; error: string | null;
}
export interface ResultRow {
  trial_id: number; attempt: number; relay_id: string; worker_id: string; result_sha: string;
  /** Final metrics as JSON. */
  metrics: string; objective: number | null; outcome: string; stored_at: number;
}
export interface ReportRow {
  trial_id: number; attempt: number; step: number;
  /** JSON {name: number}. */
  metrics: string;
}
export interface NodeRow {
  id: string; role: string; host: string; threads: number; url: string | null; relay_id: string | null;
  joined_at: number; last_seen: number; state: string; bundle_sha: string | null; stats: string | null;
  /** When the controller first stored a result this worker ran (under its own relay); null until then. */
  proven_at: number | null;
}
export interface CommandRow {
  seq: number; kind: string; sweep_id: number | null; trial_id: number | null; bundle_sha: string | null; at: number;
}
/** A trial's stored state: a checkpoint (its latest) or its final state (kept by `keep`). `bytes` are raw (un-deflated). */
export interface TrialStateRow {
  trialId: number; attempt: number; kind: "checkpoint" | "final"; step: number; sha256: string; bytes: Uint8Array; createdAt: number;
}
/** What `keep` ranks: a sweep's trials holding a final state, with their state and objective. */
export interface FinalStateEntry { trialId: number; state: TrialState; objective: number | null }

/** Lineage rows with the id of the trial each starts from (its parent point's first repeat); callers add WHERE. */
const LINEAGE_WITH_PARENT = `SELECT * FROM (SELECT l.*, (SELECT p.id FROM trials p WHERE p.sweep_id = l.sweep_id AND p.point = l.parent_point ORDER BY p.id LIMIT 1) AS parent_trial_id
  FROM trial_lineage l) x`;

/** A stored state's reference (no bytes). */
export interface StateRefRow { trial_id: number; attempt: number; step: number; sha256: string; raw_bytes: number }
export interface BlobRow { sha: string; kind: string; name: string; bytes: number; label: string | null; created_at: number }

const SQLITE_SCHEMA = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");

/** Where a controller keeps its state: a folder (SQLite) or a PostgreSQL URL. */
export type StoreLocation = { dir: string } | { url: string };

/** A store location from --store / DISCALC_STORE, else the --data folder. */
export function storeLocation(store: string | undefined, dir: string): StoreLocation {
  if (store === undefined || store === "") return { dir };
  if (/^postgres(ql)?:\/\//.test(store)) return { url: store };
  throw new Error(`--store must be a postgres://user@host:port/db URL (SQLite is the default, under --data), got "${store.replace(/:[^:@/]*@/, ":***@")}"`);
}

export class Store {
  private constructor(private readonly d: SqlDriver, readonly dir: string | null) {}

  /**
   * Opens (creating or migrating) the store at a location. A controller serves it (`serve`:
   * PostgreSQL's lock, so no second controller leases from it); tools that only read it
   * (export, best) open it beside the running controller.
   */
  static async open(at: StoreLocation, opts: { serve?: boolean } = { serve: true }): Promise<Store> {
    if ("dir" in at) {
      if (!opts.serve && !existsSync(join(at.dir, "discalc.sqlite"))) throw new Error(`--data ${at.dir} holds no discalc store`);
      const driver = new SqliteDriver(at.dir);
      try {
        migrateStore(driver.db, SQLITE_SCHEMA, { reader: opts.serve === false });
        driver.syncNow();
      } catch (err) {
        // A driver left open keeps its process alive (its checkpoint thread): `discalc best
        // --data` that could not open a store printed its error and then never exited.
        await driver.close().catch(() => {});
        throw err;
      }
      return new Store(driver, at.dir);
    }
    // Loaded only for a PostgreSQL store: pg took tens of ms of every controller's start.
    const { PostgresDriver: Driver } = await import("./postgres-driver.ts");
    const driver: PostgresDriver = await Driver.open(at.url, { lock: opts.serve ?? true });
    try {
      await migratePostgres(driver);
    } catch (err) {
      await driver.close();
      throw err;
    }
    return new Store(driver, null);
  }

  get dialect(): SqlDriver["dialect"] {
    return this.d.dialect;
  }

  /** Where a human finds this store. */
  get where(): string {
    return this.d.where;
  }

  close(): Promise<void> {
    return this.d.close();
  }

  /**
   * The code to report when `err` (thrown by this store) means it takes no more writes until a
   * restart, or undefined when the failure may pass; `background` for a write no request waits on.
   */
  disablingFailure(err: unknown, { background = false } = {}): string | undefined {
    return this.d.disablingFailure(err, background);
  }

  /** Runs `fn` as one transaction (the scheduler's rules are each one). */
  tx<T>(fn: () => Promise<T>): Promise<T> {
    return this.d.tx(fn);
  }

  /** Runs `fn` once the open transaction has committed (and is on disk), at once outside one. */
  afterCommit(fn: () => void): void {
    this.d.afterCommit(fn);
  }

  private async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.d.all<R>(sql, params))[0];
  }

  /**
   * Rows whose `column` is one of `ids`, in one statement per 512 ids. The list is padded with
   * NULLs (which match nothing) to a power of two, so a handful of statement texts serve every size.
   */
  private async whereIn<R>(select: string, column: string, ids: readonly number[]): Promise<R[]> {
    const rows: R[] = [];
    for (const { list, params } of idLists(ids)) rows.push(...(await this.d.all<R>(`${select} WHERE ${column} IN (${list})`, params)));
    return rows;
  }

  /**
   * Inserts rows of `width` values each, many per statement: full groups of 64, then the rest
   * as groups of 32, 16, … 1 (its binary digits), so a few statement texts serve every count
   * and 63 rows take 6 statements, not 63.
   */
  private async insertMany(head: string, tail: string, width: number, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
    let i = 0;
    for (let per = 64; per >= 1; per >>= 1) {
      for (; i + per <= rows.length; i += per) {
        const params: unknown[] = [];
        for (let k = i; k < i + per; k++) for (const v of rows[k]!) params.push(v);
        await this.d.run(this.insertText(head, tail, width, per), params);
      }
    }
  }

  private insertTexts = new Map<string, string>();

  /** The text of an insert of `per` rows (kept: the driver looks its prepared statement up by text). */
  private insertText(head: string, tail: string, width: number, per: number): string {
    const key = `${per}\0${head}\0${tail}`;
    let text = this.insertTexts.get(key);
    if (text === undefined) {
      const row = `(${new Array(width).fill("?").join(", ")})`;
      this.insertTexts.set(key, (text = `${head} VALUES ${new Array(per).fill(row).join(", ")} ${tail}`));
    }
    return text;
  }

  /** Leases get one more lease period from `now` (after a controller restart, running trials are not failures). */
  graceLeases(now: number): Promise<number> {
    return this.d.run(
      `UPDATE trials SET lease_deadline = CASE WHEN lease_deadline > CAST(? AS BIGINT) + (SELECT lease_ms FROM sweeps s WHERE s.id = trials.sweep_id)
         THEN lease_deadline ELSE CAST(? AS BIGINT) + (SELECT lease_ms FROM sweeps s WHERE s.id = trials.sweep_id) END WHERE state = 'leased'`,
      [now, now],
    );
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", [key]))?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.d.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
  }

  // sweeps
  sweepsByName(name: string): Promise<SweepRow[]> {
    return this.d.all("SELECT * FROM sweeps WHERE name = ? ORDER BY id", [name]);
  }
  sweep(id: number): Promise<SweepRow | undefined> {
    return this.get("SELECT * FROM sweeps WHERE id = ?", [id]);
  }
  sweeps(): Promise<SweepRow[]> {
    return this.d.all("SELECT * FROM sweeps ORDER BY id");
  }
  async setSweepExtension(id: number, extension: string): Promise<void> {
    await this.d.run("UPDATE sweeps SET extension = ? WHERE id = ?", [extension, id]);
  }
  async insertSweep(s: Omit<SweepRow, "id" | "state" | "finished_at" | "extension">): Promise<number> {
    const row = await this.get<{ id: number }>(
      "INSERT INTO sweeps (name, config_hash, config, lease_ms, max_attempts, fanout, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      [s.name, s.config_hash, s.config, s.lease_ms, s.max_attempts, s.fanout, s.created_at],
    );
    return row!.id;
  }
  async setSweepState(id: number, state: SweepState, finishedAt: number | null = null): Promise<void> {
    await this.d.run("UPDATE sweeps SET state = ?, finished_at = ? WHERE id = ?", [state, finishedAt, id]);
  }

  // trials
  async insertTrial(t: Pick<TrialRow, "sweep_id" | "idx" | "point" | "repeat" | "params" | "seed" | "config">): Promise<number> {
    const row = await this.get<{ id: number }>(
      "INSERT INTO trials (sweep_id, idx, point, repeat, params, seed, config) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      [t.sweep_id, t.idx, t.point, t.repeat, t.params, t.seed, t.config],
    );
    return row!.id;
  }
  /** Many trials at once (a sweep's registration, an extension). */
  async insertTrials(rows: ReadonlyArray<Pick<TrialRow, "sweep_id" | "idx" | "point" | "repeat" | "params" | "seed" | "config">>): Promise<void> {
    await this.insertMany("INSERT INTO trials (sweep_id, idx, point, repeat, params, seed, config)", "", 7,
      rows.map((t) => [t.sweep_id, t.idx, t.point, t.repeat, t.params, t.seed, t.config]));
  }
  async insertLineage(rows: readonly LineageRow[]): Promise<void> {
    await this.insertMany("INSERT INTO trial_lineage (trial_id, sweep_id, generation, slot, parent_point, exploited, start_step, stop_step)", "", 8,
      rows.map((l) => [l.trial_id, l.sweep_id, l.generation, l.slot, l.parent_point, l.exploited, l.start_step, l.stop_step]));
  }
  lineageOfSweep(sweepId: number): Promise<LineageRow[]> {
    return this.d.all("SELECT * FROM trial_lineage WHERE sweep_id = ? ORDER BY generation, slot", [sweepId]);
  }
  /** A trial's lineage with the id of the trial it starts from (the parent point's first repeat). */
  lineageOfTrial(trialId: number): Promise<LineageWithParent | undefined> {
    return this.get(`${LINEAGE_WITH_PARENT} WHERE trial_id = ?`, [trialId]);
  }
  /** The lineage of these trials, each with its parent's trial id (as lineageOfTrial gives it). */
  lineageOfTrials(trialIds: readonly number[]): Promise<LineageWithParent[]> {
    return this.whereIn(LINEAGE_WITH_PARENT, "trial_id", trialIds);
  }
  /** A sweep's whole lineage with parents' trial ids, in one statement. */
  lineageWithParentsOfSweep(sweepId: number): Promise<LineageWithParent[]> {
    return this.d.all(`${LINEAGE_WITH_PARENT} WHERE sweep_id = ?`, [sweepId]);
  }
  trial(id: number): Promise<TrialRow | undefined> {
    return this.get("SELECT * FROM trials WHERE id = ?", [id]);
  }
  trialsOfSweep(sweepId: number): Promise<TrialRow[]> {
    return this.d.all("SELECT * FROM trials WHERE sweep_id = ? ORDER BY id", [sweepId]);
  }
  async trialCount(sweepId: number): Promise<number> {
    return (await this.get<{ n: number }>("SELECT COUNT(*) AS n FROM trials WHERE sweep_id = ?", [sweepId]))!.n;
  }
  /** A page of trials in id order, after `afterId`, optionally of one sweep and one state. */
  trialsPage(q: { sweepId?: number; state?: TrialState; afterId: number; limit: number }): Promise<TrialRow[]> {
    return this.d.all(
      "SELECT * FROM trials WHERE id > ? AND (CAST(? AS BIGINT) IS NULL OR sweep_id = ?) AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY id LIMIT ?",
      [q.afterId, q.sweepId ?? null, q.sweepId ?? null, q.state ?? null, q.state ?? null, q.limit],
    );
  }
  /** Done trials of a sweep by their objective, best first (then by id), from `offset`. */
  /**
   * A sweep's done trials best first by their objective, then its diverged ones (no objective:
   * ranked below every finished trial), by id.
   */
  trialsByObjective(sweepId: number, goal: "maximize" | "minimize", offset: number, limit: number): Promise<TrialRow[]> {
    return this.d.all(
      `SELECT t.* FROM trials t LEFT JOIN results r ON r.trial_id = t.id
       WHERE t.sweep_id = ? AND ((t.state = 'done' AND r.objective IS NOT NULL) OR t.state = 'diverged')
       ORDER BY CASE WHEN t.state = 'done' THEN 0 ELSE 1 END, r.objective ${goal === "maximize" ? "DESC" : "ASC"}, t.id LIMIT ? OFFSET ?`,
      [sweepId, limit, offset],
    );
  }
  sweepsPage(afterId: number, limit: number): Promise<SweepRow[]> {
    return this.d.all("SELECT * FROM sweeps WHERE id > ? ORDER BY id LIMIT ?", [afterId, limit]);
  }
  nodesPage(offset: number, limit: number): Promise<NodeRow[]> {
    return this.d.all("SELECT * FROM nodes ORDER BY joined_at, id LIMIT ? OFFSET ?", [limit, offset]);
  }
  commandsPage(afterSeq: number, limit: number): Promise<CommandRow[]> {
    return this.d.all("SELECT * FROM commands WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit]);
  }
  allTrials(): Promise<TrialRow[]> {
    return this.d.all("SELECT * FROM trials ORDER BY id");
  }
  /** Queued trials of running sweeps, oldest first. */
  queuedTrials(limit: number): Promise<TrialRow[]> {
    return this.d.all(
      "SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.state = 'queued' AND s.state = 'running' ORDER BY t.id LIMIT ?",
      [limit],
    );
  }
  /** Leases these queued trials to a relay: each gets its next attempt; returns the attempt numbers by trial. */
  async leaseMany(ids: readonly number[], relayId: string, deadline: number, now: number): Promise<Map<number, number>> {
    const attempts = new Map<number, number>();
    for (const { list, params } of idLists(ids)) {
      const rows = await this.d.all<{ id: number; attempts: number }>(
        `UPDATE trials SET state = 'leased', attempts = attempts + 1, lease_relay = ?, lease_deadline = ? WHERE id IN (${list}) RETURNING id, attempts`,
        [relayId, deadline, ...params],
      );
      for (const r of rows) attempts.set(r.id, r.attempts);
    }
    await this.insertMany("INSERT INTO attempts (trial_id, attempt, relay_id, leased_at)", "", 4, ids.map((id) => [id, attempts.get(id)!, relayId, now]));
    return attempts;
  }

  /** Moves the deadline of these trials' leases where they are still leased to this relay (the caller checked their attempts in this transaction). */
  async extendLeases(ids: readonly number[], relayId: string, deadline: number): Promise<void> {
    for (const { list, params } of idLists(ids)) {
      await this.d.run(`UPDATE trials SET lease_deadline = ? WHERE state = 'leased' AND lease_relay = ? AND id IN (${list})`, [deadline, relayId, ...params]);
    }
  }
  expiredLeases(now: number): Promise<TrialRow[]> {
    return this.d.all("SELECT * FROM trials WHERE state = 'leased' AND lease_deadline < ?", [now]);
  }
  async setTrialState(id: number, state: TrialState, fields: { error?: string | null; finishedAt?: number | null } = {}): Promise<void> {
    await this.d.run(
      "UPDATE trials SET state = ?, lease_relay = NULL, lease_deadline = NULL, last_error = COALESCE(?, last_error), finished_at = ? WHERE id = ?",
      [state, fields.error ?? null, fields.finishedAt ?? null, id],
    );
  }
  async cancelQueuedOrLeased(sweepId: number | null, trialId: number | null, now: number): Promise<number[]> {
    const rows = await this.d.all<{ id: number }>(
      "SELECT id FROM trials WHERE state IN ('queued', 'leased') AND (CAST(? AS BIGINT) IS NULL OR sweep_id = ?) AND (CAST(? AS BIGINT) IS NULL OR id = ?)",
      [sweepId, sweepId, trialId, trialId],
    );
    for (const r of rows) await this.setTrialState(r.id, "cancelled", { finishedAt: now });
    return rows.map((r) => r.id);
  }
  /** True while some trial of the sweep is queued or leased. */
  async sweepHasOpenTrials(sweepId: number): Promise<boolean> {
    return (await this.get("SELECT 1 AS one FROM trials WHERE sweep_id = ? AND state IN ('queued', 'leased') LIMIT 1", [sweepId])) !== undefined;
  }

  async countsBySweep(sweepId: number): Promise<Record<TrialState, number>> {
    const counts = Object.fromEntries(TRIAL_STATES.map((state) => [state, 0])) as Record<TrialState, number>;
    for (const r of await this.d.all<{ state: TrialState; n: number }>("SELECT state, COUNT(*) AS n FROM trials WHERE sweep_id = ? GROUP BY state", [sweepId])) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  /** Trials and sweeps by state across the store, for /metrics. */
  async stateCounts(): Promise<{ trials: Map<string, number>; sweeps: Map<string, number> }> {
    const of = async (table: "trials" | "sweeps") =>
      new Map((await this.d.all<{ state: string; n: number }>(`SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`)).map((r) => [r.state, r.n]));
    return { trials: await of("trials"), sweeps: await of("sweeps") };
  }

  // attempts
  /** Every attempt of these trials. */
  attemptsOfTrials(trialIds: readonly number[]): Promise<AttemptRow[]> {
    return this.whereIn("SELECT * FROM attempts", "trial_id", trialIds);
  }
  trialsByIds(ids: readonly number[]): Promise<TrialRow[]> {
    return this.whereIn("SELECT * FROM trials", "id", ids);
  }
  resultsOfTrials(trialIds: readonly number[]): Promise<ResultRow[]> {
    return this.whereIn("SELECT * FROM results", "trial_id", trialIds);
  }
  attempt(trialId: number, attempt: number): Promise<AttemptRow | undefined> {
    return this.get("SELECT * FROM attempts WHERE trial_id = ? AND attempt = ?", [trialId, attempt]);
  }
  attemptsOf(trialId: number): Promise<AttemptRow[]> {
    return this.d.all("SELECT * FROM attempts WHERE trial_id = ? ORDER BY attempt", [trialId]);
  }
  /** Closes an attempt once; `overwrite` replaces an earlier outcome (a late result after expiry). */
  async endAttempt(trialId: number, attempt: number, outcome: string, fields: { workerId?: string | null; error?: string | null; at: number; overwrite?: boolean }): Promise<void> {
    await this.d.run(
      `UPDATE attempts SET outcome = ?, worker_id = COALESCE(?, worker_id), error = ?, ended_at = ? WHERE trial_id = ? AND attempt = ?${fields.overwrite ? "" : " AND outcome IS NULL"}`,
      [outcome, fields.workerId ?? null, fields.error ?? null, fields.at, trialId, attempt],
    );
  }

  // results and metrics
  result(trialId: number): Promise<ResultRow | undefined> {
    return this.get("SELECT * FROM results WHERE trial_id = ?", [trialId]);
  }
  resultsOfSweep(sweepId: number): Promise<ResultRow[]> {
    return this.d.all("SELECT r.* FROM results r JOIN trials t ON t.id = r.trial_id WHERE t.sweep_id = ? ORDER BY r.trial_id", [sweepId]);
  }
  async insertResult(r: ResultRow): Promise<boolean> {
    return (await this.d.run(
      "INSERT INTO results (trial_id, attempt, relay_id, worker_id, result_sha, metrics, objective, outcome, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trial_id) DO NOTHING",
      [r.trial_id, r.attempt, r.relay_id, r.worker_id, r.result_sha, r.metrics, r.objective, r.outcome, r.stored_at],
    )) > 0;
  }
  /** Done trials of a sweep with their objective, for the leaderboard. */
  rankedTrials(sweepId: number): Promise<Array<{ id: number; point: number; objective: number | null }>> {
    return this.d.all(
      "SELECT t.id, t.point, r.objective FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.sweep_id = ? AND t.state = 'done' ORDER BY t.id",
      [sweepId],
    );
  }
  /** The K best done trials of a sweep by the objective (ties: the earlier trial). */
  topObjectives(sweepId: number, k: number, goal: "maximize" | "minimize"): Promise<Array<{ objective: number; trialId: number }>> {
    return this.d.all(
      `SELECT r.objective, t.id AS "trialId" FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.sweep_id = ? AND t.state = 'done' AND r.objective IS NOT NULL
       ORDER BY r.objective ${goal === "maximize" ? "DESC" : "ASC"}, t.id LIMIT ?`,
      [sweepId, k],
    );
  }
  /** Done trials of a sweep with their params and objective, for parameter importance. */
  scoredTrials(sweepId: number): Promise<Array<{ params: string; objective: number }>> {
    return this.d.all(
      "SELECT t.params, r.objective FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.sweep_id = ? AND t.state = 'done' AND r.objective IS NOT NULL ORDER BY t.id",
      [sweepId],
    );
  }
  /**
   * Trials whose result was just stored: each attempt closed as done by its worker, each trial
   * done at its finish time. Two statements per 256 trials instead of two per trial.
   */
  async markDone(rows: ReadonlyArray<{ trialId: number; attempt: number; workerId: string; finishedAt: number }>, at: number): Promise<void> {
    for (let i = 0; i < rows.length; i += 256) {
      const chunk = rows.slice(i, i + 256);
      // Padded with NULLs (which match nothing), as idLists are: a few statement texts serve every size.
      const size = paddedCount(chunk.length);
      const pad = <T>(xs: T[], per: number) => [...xs, ...new Array<null>((size - chunk.length) * per).fill(null)];
      const ids = new Array(size).fill("CAST(? AS BIGINT)").join(", ");
      const when = (type: string) => new Array(size).fill(`WHEN CAST(? AS BIGINT) THEN CAST(? AS ${type})`).join(" ");
      await this.d.run(
        `UPDATE attempts SET outcome = 'done', error = NULL, ended_at = ?, worker_id = CASE trial_id ${when("TEXT")} END
         WHERE trial_id IN (${ids}) AND attempt = CASE trial_id ${when("INTEGER")} END`,
        [at, ...pad(chunk.flatMap((r) => [r.trialId, r.workerId]), 2), ...pad(chunk.map((r) => r.trialId), 1), ...pad(chunk.flatMap((r) => [r.trialId, r.attempt]), 2)],
      );
      await this.d.run(
        `UPDATE trials SET state = 'done', lease_relay = NULL, lease_deadline = NULL, finished_at = CASE id ${when("BIGINT")} END WHERE id IN (${ids})`,
        [...pad(chunk.flatMap((r) => [r.trialId, r.finishedAt]), 2), ...pad(chunk.map((r) => r.trialId), 1)],
      );
    }
  }

  /** Results of distinct trials that have none yet (the caller checked). */
  async insertResults(rows: readonly ResultRow[]): Promise<void> {
    await this.insertMany("INSERT INTO results (trial_id, attempt, relay_id, worker_id, result_sha, metrics, objective, outcome, stored_at)", "ON CONFLICT (trial_id) DO NOTHING", 9,
      rows.map((r) => [r.trial_id, r.attempt, r.relay_id, r.worker_id, r.result_sha, r.metrics, r.objective, r.outcome, r.stored_at]));
  }
  async upsertReports(rows: readonly ReportRow[]): Promise<void> {
    await this.insertMany("INSERT INTO reports (trial_id, attempt, step, metrics)", "ON CONFLICT (trial_id, attempt, step) DO UPDATE SET metrics = excluded.metrics", 4,
      rows.map((r) => [r.trial_id, r.attempt, r.step, r.metrics]));
  }

  reportsOf(trialId: number): Promise<ReportRow[]> {
    return this.d.all("SELECT * FROM reports WHERE trial_id = ? ORDER BY attempt, step", [trialId]);
  }
  /** Every report of these trials, in no particular order. */
  reportsOfTrials(trialIds: readonly number[]): Promise<ReportRow[]> {
    return this.whereIn("SELECT * FROM reports", "trial_id", trialIds);
  }
  reportsOfAttempt(trialId: number, attempt: number): Promise<ReportRow[]> {
    return this.d.all("SELECT * FROM reports WHERE trial_id = ? AND attempt = ? ORDER BY step", [trialId, attempt]);
  }
  /**
   * The trials before index `idx` in a sweep, each with its state and its report at `step`, for
   * a stopping rule's cohort. The report is the deciding attempt's: the running one, the one
   * whose result is stored, or the one that ended a failed or cancelled trial. An attempt that
   * was handed back, expired or failed and then followed by another decides nothing: its
   * values are whatever its worker said, and the re-run's own values count instead.
   */
  rungCohort(sweepId: number, idx: number, step: number): Promise<Array<{ id: number; state: TrialState; metrics: string | null }>> {
    return this.d.all(
      `SELECT t.id, t.state, r.metrics
       FROM trials t
       LEFT JOIN results s ON s.trial_id = t.id
       LEFT JOIN attempts a ON a.trial_id = t.id AND a.attempt = t.attempts
       LEFT JOIN reports r ON r.trial_id = t.id AND r.step = ? AND r.attempt = CASE
         WHEN t.state = 'leased' THEN t.attempts
         WHEN t.state IN ('done', 'pruned') THEN s.attempt
         WHEN t.state IN ('failed', 'diverged', 'cancelled') AND a.outcome <> 'released' THEN t.attempts
       END
       WHERE t.sweep_id = ? AND t.idx < ? ORDER BY t.idx`,
      [step, sweepId, idx],
    );
  }

  // nodes
  async upsertNode(n: Omit<NodeRow, "stats" | "url" | "state" | "proven_at"> & { url?: string | null }): Promise<void> {
    await this.d.run(
      `INSERT INTO nodes (id, role, host, threads, url, relay_id, joined_at, last_seen, state, bundle_sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'alive', ?)
       ON CONFLICT (id) DO UPDATE SET role = excluded.role, host = excluded.host, threads = excluded.threads, relay_id = excluded.relay_id, last_seen = excluded.last_seen, state = 'alive', bundle_sha = excluded.bundle_sha`,
      [n.id, n.role, n.host, n.threads, n.url ?? null, n.relay_id, n.joined_at, n.last_seen, n.bundle_sha],
    );
  }
  async touchNode(id: string, now: number, fields: { url?: string; stats?: string; state?: string } = {}): Promise<void> {
    await this.d.run(
      "UPDATE nodes SET last_seen = ?, url = COALESCE(?, url), stats = COALESCE(?, stats), state = COALESCE(?, state) WHERE id = ?",
      [now, fields.url ?? null, fields.stats ?? null, fields.state ?? "alive", id],
    );
  }
  node(id: string): Promise<NodeRow | undefined> {
    return this.get("SELECT * FROM nodes WHERE id = ?", [id]);
  }

  /** Live relays (heartbeat within `since`), with the number of live workers under each. */
  relayLoads(since: number, workerSince: number): Promise<Array<{ id: string; url: string | null; workers: number }>> {
    return this.d.all(
      `SELECT r.id, r.url, (SELECT COUNT(*) FROM nodes w WHERE w.role = 'worker' AND w.relay_id = r.id AND w.state = 'alive' AND w.last_seen >= ?) AS workers
       FROM nodes r WHERE r.role = 'relay' AND r.state = 'alive' AND r.last_seen >= ? ORDER BY r.joined_at, r.id`,
      [workerSince, since],
    );
  }
  async liveNodeCount(role: "worker" | "relay", since: number): Promise<number> {
    return (await this.get<{ n: number }>("SELECT COUNT(*) AS n FROM nodes WHERE role = ? AND state = 'alive' AND last_seen >= ?", [role, since]))!.n;
  }
  /** Live workers that have returned a result the controller stored (what the relay policy counts). */
  async liveProvenWorkerCount(since: number): Promise<number> {
    return (await this.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM nodes WHERE role = 'worker' AND state = 'alive' AND last_seen >= ? AND proven_at IS NOT NULL", [since],
    ))!.n;
  }
  /**
   * Marks these workers proven at `at`, those that hang under `relayId` only: a relay's batch
   * proves its own workers, never another relay's. Returns the ids it marked now.
   */
  async markProven(workerIds: readonly string[], relayId: string, at: number): Promise<string[]> {
    const marked: string[] = [];
    for (let i = 0; i < workerIds.length; i += 512) {
      const chunk = workerIds.slice(i, i + 512);
      const size = paddedCount(chunk.length);
      const params = [...chunk, ...new Array<null>(size - chunk.length).fill(null)];
      const rows = await this.d.all<{ id: string }>(
        `UPDATE nodes SET proven_at = ? WHERE role = 'worker' AND relay_id = ? AND proven_at IS NULL AND id IN (${params.map(() => "CAST(? AS TEXT)").join(", ")}) RETURNING id`,
        [at, relayId, ...params],
      );
      marked.push(...rows.map((r) => r.id));
    }
    return marked;
  }

  // commands
  async insertCommand(c: Omit<CommandRow, "seq">): Promise<number> {
    const row = await this.get<{ seq: number }>(
      "INSERT INTO commands (kind, sweep_id, trial_id, bundle_sha, at) VALUES (?, ?, ?, ?, ?) RETURNING seq",
      [c.kind, c.sweep_id, c.trial_id, c.bundle_sha, c.at],
    );
    return row!.seq;
  }
  async lastCommandSeq(): Promise<number> {
    return (await this.get<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM commands"))?.seq ?? 0;
  }
  commandsAfter(seq: number): Promise<CommandRow[]> {
    return this.d.all("SELECT * FROM commands WHERE seq > ? ORDER BY seq", [seq]);
  }

  // trial states: stored deflated (level 1); read back raw
  /**
   * Stores a trial's state, replacing its earlier one of the kind (a trial keeps its latest
   * checkpoint only). `deflated`: the same bytes deflated, when the caller has them (a
   * checkpoint arrives so), to spare deflating them again.
   */
  async putTrialState(s: TrialStateRow & { deflated?: Uint8Array }): Promise<void> {
    const data = s.deflated ?? deflate(s.bytes, { level: 1 });
    this.holdsTrialStates = true;
    if (s.kind === "checkpoint") this.holdsCheckpoints = true;
    await this.d.run(
      `INSERT INTO trial_states (trial_id, kind, attempt, step, sha256, raw_bytes, stored_bytes, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trial_id, kind) DO UPDATE SET attempt = excluded.attempt, step = excluded.step, sha256 = excluded.sha256,
         raw_bytes = excluded.raw_bytes, stored_bytes = excluded.stored_bytes, data = excluded.data, created_at = excluded.created_at`,
      [s.trialId, s.kind, s.attempt, s.step, s.sha256, s.bytes.byteLength, data.byteLength, Buffer.from(data.buffer, data.byteOffset, data.byteLength), s.createdAt],
    );
  }
  /** A trial's stored state of a kind, its bytes raw; undefined when none is stored. */
  async trialState(trialId: number, kind: TrialStateRow["kind"]): Promise<TrialStateRow | undefined> {
    const r = await this.get<{ attempt: number; step: number; sha256: string; data: Uint8Array; created_at: number }>(
      "SELECT attempt, step, sha256, data, created_at FROM trial_states WHERE trial_id = ? AND kind = ?", [trialId, kind],
    );
    return r && { trialId, attempt: r.attempt, kind, step: r.step, sha256: r.sha256, bytes: inflate(r.data), createdAt: r.created_at };
  }
  /**
   * The stored states' references (no bytes) of these trials, those that have one of the kind:
   * what leases resume from, what `keep` compares, what the API names.
   */
  async trialStateRefs(trialIds: readonly number[], kind: TrialStateRow["kind"]): Promise<StateRefRow[]> {
    if (kind !== "final" && kind !== "checkpoint") throw new RangeError(`trialStateRefs: unknown kind ${String(kind)}`);
    if (!(await (kind === "checkpoint" ? this.mayHoldCheckpoints() : this.mayHoldTrialStates()))) return [];
    return this.whereIn(`SELECT * FROM (SELECT trial_id, attempt, step, sha256, raw_bytes FROM trial_states WHERE kind = '${kind}') x`, "trial_id", trialIds);
  }
  /** A trial's stored state's reference (no bytes): what a lease and the API name. */
  trialStateRef(trialId: number, kind: TrialStateRow["kind"]): Promise<{ attempt: number; step: number; sha256: string; raw_bytes: number } | undefined> {
    return this.get("SELECT attempt, step, sha256, raw_bytes FROM trial_states WHERE trial_id = ? AND kind = ?", [trialId, kind]);
  }
  /**
   * Whether any trial state may be stored: false until one is (or one is found at the first
   * ask), so that sweeps without checkpoints or kept states (tiny trials, thousands a second)
   * spend no statement per lease batch and result batch on them. A store has one writer, the
   * controller, so what it stored itself is all there is.
   */
  private holdsTrialStates: boolean | undefined;
  private async mayHoldTrialStates(): Promise<boolean> {
    this.holdsTrialStates ??= (await this.get<{ n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM trial_states LIMIT 1) s"))!.n > 0;
    return this.holdsTrialStates;
  }
  /** The same for checkpoints alone: kept final states (most sweeps' first ones) do not make every lease batch look for checkpoints. */
  private holdsCheckpoints: boolean | undefined;
  private async mayHoldCheckpoints(): Promise<boolean> {
    this.holdsCheckpoints ??= (await this.get<{ n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM trial_states WHERE kind = 'checkpoint' LIMIT 1) s"))!.n > 0;
    return this.holdsCheckpoints;
  }
  /** The stored checkpoints of these trials (step and SHA-256), by trial id: what their leases resume from. */
  async checkpointRefs(trialIds: readonly number[]): Promise<Map<number, { step: number; sha256: string }>> {
    return new Map((await this.trialStateRefs(trialIds, "checkpoint")).map((r) => [r.trial_id, { step: r.step, sha256: r.sha256 }]));
  }
  /** The kept final states' SHA-256 of these trials, by trial id. */
  async finalStateShas(trialIds: readonly number[]): Promise<Map<number, string>> {
    return new Map((await this.trialStateRefs(trialIds, "final")).map((r) => [r.trial_id, r.sha256]));
  }
  /** A stored state as stored (deflated), for serving it on as it is. */
  storedTrialState(trialId: number, kind: TrialStateRow["kind"]): Promise<{ attempt: number; step: number; sha256: string; data: Uint8Array } | undefined> {
    return this.get("SELECT attempt, step, sha256, data FROM trial_states WHERE trial_id = ? AND kind = ?", [trialId, kind]);
  }
  /** Drops these trials' checkpoints (they ended), a statement per 512. */
  async dropCheckpoints(trialIds: readonly number[]): Promise<void> {
    if (!(await this.mayHoldCheckpoints())) return;
    for (const { list, params } of idLists(trialIds)) await this.d.run(`DELETE FROM trial_states WHERE kind = 'checkpoint' AND trial_id IN (${list})`, params);
  }
  async dropTrialState(trialId: number, kind: TrialStateRow["kind"]): Promise<void> {
    await this.d.run("DELETE FROM trial_states WHERE trial_id = ? AND kind = ?", [trialId, kind]);
  }
  /** Bytes the stored states take (as stored: deflated). */
  async trialStatesSize(): Promise<number> {
    return (await this.get<{ n: number }>("SELECT CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) AS n FROM trial_states"))!.n;
  }
  /**
   * A sweep's trials holding a final state, each with its state and objective (what `keep` ranks).
   * Asked after every result batch once a state is stored: it starts from the stored states (a
   * few per sweep, as `keep` has them), and `+t.sweep_id` keeps SQLite from starting from the
   * sweep's trials by their index instead, a walk of every trial of the sweep on each batch.
   * The trade: it reads every sweep's stored states, so a store holding sweeps with `keep:
   * { all: true }` (a state per trial) makes this as long as all of those.
   */
  async finalStatesOfSweep(sweepId: number): Promise<FinalStateEntry[]> {
    if (!(await this.mayHoldTrialStates())) return [];
    return this.d.all(
      `SELECT s.trial_id AS "trialId", t.state, r.objective FROM trial_states s JOIN trials t ON t.id = s.trial_id LEFT JOIN results r ON r.trial_id = s.trial_id
       WHERE +t.sweep_id = ? AND s.kind = 'final' ORDER BY s.trial_id`,
      [sweepId],
    );
  }

  // blobs: the index in the store; the bytes under DIR/blobs/<sha> (SQLite) or in the store itself (PostgreSQL)
  /** Stores a blob's bytes and its index row; returns its SHA-256. */
  async putBlob(bytes: Uint8Array, b: Omit<BlobRow, "sha" | "bytes">): Promise<string> {
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (this.dir !== null) {
      const path = join(this.dir, "blobs", sha);
      if (!existsSync(path)) {
        // An experiment's code or a dataset may carry what only the operator should read.
        ensurePrivateDir(join(this.dir, "blobs"));
        // Write then rename, so a crash never leaves a truncated blob under its hash.
        writePrivateFile(`${path}.tmp`, bytes);
        renameSync(`${path}.tmp`, path);
      }
    } else {
      await this.d.run("INSERT INTO blob_data (sha, data) VALUES (?, ?) ON CONFLICT (sha) DO NOTHING", [sha, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
    }
    await this.d.run(
      "INSERT INTO blobs (sha, kind, name, bytes, label, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha) DO NOTHING",
      [sha, b.kind, b.name, bytes.byteLength, b.label, b.created_at],
    );
    return sha;
  }
  /** A blob's bytes, checked against its hash; undefined when the store has none. */
  async blobBytes(sha: string): Promise<Uint8Array | undefined> {
    if (!(await this.blob(sha))) return undefined;
    let bytes: Uint8Array | undefined;
    if (this.dir !== null) {
      const path = join(this.dir, "blobs", sha);
      bytes = existsSync(path) ? readFileSync(path) : undefined;
    } else {
      bytes = (await this.get<{ data: Buffer }>("SELECT data FROM blob_data WHERE sha = ?", [sha]))?.data;
    }
    if (bytes && createHash("sha256").update(bytes).digest("hex") !== sha) throw new Error(`blob ${sha} in the store is corrupt`);
    return bytes;
  }
  blob(sha: string): Promise<BlobRow | undefined> {
    return this.get("SELECT * FROM blobs WHERE sha = ?", [sha]);
  }
}

/**
 * Ids for `IN (…)`, 512 at a time, each list padded with NULLs to a power of two so a few
 * prepared statements serve every size.
 */
function idLists(ids: readonly number[]): Array<{ list: string; params: Array<number | null> }> {
  const lists = [];
  for (let i = 0; i < ids.length; i += 512) {
    const chunk = ids.slice(i, i + 512);
    const size = paddedCount(chunk.length);
    const params = [...chunk, ...new Array<null>(size - chunk.length).fill(null)];
    lists.push({ list: params.map(() => "CAST(? AS BIGINT)").join(", "), params });
  }
  return lists;
}

/** The power of two at or above `n` (at least 1): the sizes padded lists come in. */
function paddedCount(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
