// The controller's SQLite store (better-sqlite3, WAL). Plain SQL behind named methods;
// the scheduling rules that use them live in scheduler.ts.
import Database from "better-sqlite3";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrateStore } from "./migrate-store.ts";

export type TrialState = "queued" | "leased" | "done" | "failed" | "cancelled" | "pruned";
/** Every trial state, in the order views list them. */
export const TRIAL_STATES: readonly TrialState[] = ["queued", "leased", "done", "pruned", "failed", "cancelled"];
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
}
export interface CommandRow {
  seq: number; kind: string; sweep_id: number | null; trial_id: number | null; bundle_sha: string | null; at: number;
}
export interface BlobRow { sha: string; kind: string; name: string; bytes: number; label: string | null; created_at: number }

const SCHEMA = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");

export class Store {
  readonly db: Database.Database;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, "discalc.sqlite"));
    this.db.pragma("journal_mode = WAL");
    // FULL: a commit is on disk (the WAL fsynced) before it returns, so what the controller has
    // acknowledged survives power loss. Commits are batched (a result batch, a lease batch, a
    // heartbeat), so this costs little (runtime benchmark in the README).
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    migrateStore(this.db, SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  private statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per SQL text. */
  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }


  /** Leases get one more lease period from `now` (after a controller restart, running trials are not failures). */
  graceLeases(now: number): number {
    return this.sql(
      "UPDATE trials SET lease_deadline = MAX(lease_deadline, ? + (SELECT lease_ms FROM sweeps s WHERE s.id = trials.sweep_id)) WHERE state = 'leased'",
    ).run(now).changes;
  }

  getMeta(key: string): string | undefined {
    return (this.sql("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  // sweeps
  sweepsByName(name: string): SweepRow[] {
    return this.sql("SELECT * FROM sweeps WHERE name = ? ORDER BY id").all(name) as SweepRow[];
  }
  sweep(id: number): SweepRow | undefined {
    return this.sql("SELECT * FROM sweeps WHERE id = ?").get(id) as SweepRow | undefined;
  }
  sweeps(): SweepRow[] {
    return this.sql("SELECT * FROM sweeps ORDER BY id").all() as SweepRow[];
  }
  setSweepExtension(id: number, extension: string): void {
    this.sql("UPDATE sweeps SET extension = ? WHERE id = ?").run(extension, id);
  }
  insertSweep(s: Omit<SweepRow, "id" | "state" | "finished_at" | "extension">): number {
    return Number(this.sql(
      "INSERT INTO sweeps (name, config_hash, config, lease_ms, max_attempts, fanout, created_at) VALUES (@name, @config_hash, @config, @lease_ms, @max_attempts, @fanout, @created_at)",
    ).run(s).lastInsertRowid);
  }
  setSweepState(id: number, state: SweepState, finishedAt: number | null = null): void {
    this.sql("UPDATE sweeps SET state = ?, finished_at = ? WHERE id = ?").run(state, finishedAt, id);
  }

  // trials
  insertTrial(t: Pick<TrialRow, "sweep_id" | "idx" | "point" | "repeat" | "params" | "seed" | "config">): number {
    return Number(this.sql(
      "INSERT INTO trials (sweep_id, idx, point, repeat, params, seed, config) VALUES (@sweep_id, @idx, @point, @repeat, @params, @seed, @config)",
    ).run(t).lastInsertRowid);
  }
  trial(id: number): TrialRow | undefined {
    return this.sql("SELECT * FROM trials WHERE id = ?").get(id) as TrialRow | undefined;
  }
  trialsOfSweep(sweepId: number): TrialRow[] {
    return this.sql("SELECT * FROM trials WHERE sweep_id = ? ORDER BY id").all(sweepId) as TrialRow[];
  }
  /** A page of trials in id order, after `afterId`, optionally of one sweep and one state. */
  trialsPage(q: { sweepId?: number; state?: TrialState; afterId: number; limit: number }): TrialRow[] {
    return this.sql(
      "SELECT * FROM trials WHERE id > ? AND (? IS NULL OR sweep_id = ?) AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?",
    ).all(q.afterId, q.sweepId ?? null, q.sweepId ?? null, q.state ?? null, q.state ?? null, q.limit) as TrialRow[];
  }
  /** Done trials of a sweep by their objective, best first (then by id), from `offset`. */
  trialsByObjective(sweepId: number, goal: "maximize" | "minimize", offset: number, limit: number): TrialRow[] {
    return this.sql(
      `SELECT t.* FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.sweep_id = ? AND t.state = 'done' AND r.objective IS NOT NULL
       ORDER BY r.objective ${goal === "maximize" ? "DESC" : "ASC"}, t.id LIMIT ? OFFSET ?`,
    ).all(sweepId, limit, offset) as TrialRow[];
  }
  sweepsPage(afterId: number, limit: number): SweepRow[] {
    return this.sql("SELECT * FROM sweeps WHERE id > ? ORDER BY id LIMIT ?").all(afterId, limit) as SweepRow[];
  }
  nodesPage(offset: number, limit: number): NodeRow[] {
    return this.sql("SELECT * FROM nodes ORDER BY joined_at, id LIMIT ? OFFSET ?").all(limit, offset) as NodeRow[];
  }
  commandsPage(afterSeq: number, limit: number): CommandRow[] {
    return this.sql("SELECT * FROM commands WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit) as CommandRow[];
  }
  allTrials(): TrialRow[] {
    return this.sql("SELECT * FROM trials ORDER BY id").all() as TrialRow[];
  }
  /** Queued trials of running sweeps, oldest first. */
  queuedTrials(limit: number): TrialRow[] {
    return this.sql(
      "SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.state = 'queued' AND s.state = 'running' ORDER BY t.id LIMIT ?",
    ).all(limit) as TrialRow[];
  }
  leaseTrial(id: number, relayId: string, deadline: number, now: number): number {
    this.sql("UPDATE trials SET state = 'leased', attempts = attempts + 1, lease_relay = ?, lease_deadline = ? WHERE id = ?").run(relayId, deadline, id);
    const attempt = (this.sql("SELECT attempts FROM trials WHERE id = ?").get(id) as { attempts: number }).attempts;
    this.sql("INSERT INTO attempts (trial_id, attempt, relay_id, leased_at) VALUES (?, ?, ?, ?)").run(id, attempt, relayId, now);
    return attempt;
  }
  extendLease(id: number, attempt: number, relayId: string, deadline: number): boolean {
    return this.sql(
      "UPDATE trials SET lease_deadline = ? WHERE id = ? AND attempts = ? AND lease_relay = ? AND state = 'leased'",
    ).run(deadline, id, attempt, relayId).changes > 0;
  }
  expiredLeases(now: number): TrialRow[] {
    return this.sql("SELECT * FROM trials WHERE state = 'leased' AND lease_deadline < ?").all(now) as TrialRow[];
  }
  setTrialState(id: number, state: TrialState, fields: { error?: string | null; finishedAt?: number | null } = {}): void {
    this.sql(
      "UPDATE trials SET state = ?, lease_relay = NULL, lease_deadline = NULL, last_error = COALESCE(?, last_error), finished_at = ? WHERE id = ?",
    ).run(state, fields.error ?? null, fields.finishedAt ?? null, id);
  }
  cancelQueuedOrLeased(sweepId: number | null, trialId: number | null, now: number): number[] {
    const rows = this.sql(
      "SELECT id FROM trials WHERE state IN ('queued', 'leased') AND (? IS NULL OR sweep_id = ?) AND (? IS NULL OR id = ?)",
    ).all(sweepId, sweepId, trialId, trialId) as Array<{ id: number }>;
    for (const r of rows) this.setTrialState(r.id, "cancelled", { finishedAt: now });
    return rows.map((r) => r.id);
  }
  /** True while some trial of the sweep is queued or leased. */
  sweepHasOpenTrials(sweepId: number): boolean {
    return this.sql("SELECT 1 FROM trials WHERE sweep_id = ? AND state IN ('queued', 'leased') LIMIT 1").get(sweepId) !== undefined;
  }

  countsBySweep(sweepId: number): Record<TrialState, number> {
    const counts = Object.fromEntries(TRIAL_STATES.map((state) => [state, 0])) as Record<TrialState, number>;
    for (const r of this.sql("SELECT state, COUNT(*) n FROM trials WHERE sweep_id = ? GROUP BY state").all(sweepId) as Array<{ state: TrialState; n: number }>) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  // attempts
  attempt(trialId: number, attempt: number): AttemptRow | undefined {
    return this.sql("SELECT * FROM attempts WHERE trial_id = ? AND attempt = ?").get(trialId, attempt) as AttemptRow | undefined;
  }
  attemptsOf(trialId: number): AttemptRow[] {
    return this.sql("SELECT * FROM attempts WHERE trial_id = ? ORDER BY attempt").all(trialId) as AttemptRow[];
  }
  /** Closes an attempt once; `overwrite` replaces an earlier outcome (a late result after expiry). */
  endAttempt(trialId: number, attempt: number, outcome: string, fields: { workerId?: string | null; error?: string | null; at: number; overwrite?: boolean }): void {
    this.sql(
      `UPDATE attempts SET outcome = ?, worker_id = COALESCE(?, worker_id), error = ?, ended_at = ? WHERE trial_id = ? AND attempt = ?${fields.overwrite ? "" : " AND outcome IS NULL"}`,
    ).run(outcome, fields.workerId ?? null, fields.error ?? null, fields.at, trialId, attempt);
  }

  // results and metrics
  result(trialId: number): ResultRow | undefined {
    return this.sql("SELECT * FROM results WHERE trial_id = ?").get(trialId) as ResultRow | undefined;
  }
  resultsOfSweep(sweepId: number): ResultRow[] {
    return this.sql("SELECT r.* FROM results r JOIN trials t ON t.id = r.trial_id WHERE t.sweep_id = ? ORDER BY r.trial_id").all(sweepId) as ResultRow[];
  }
  insertResult(r: ResultRow): boolean {
    return this.sql(
      "INSERT OR IGNORE INTO results (trial_id, attempt, relay_id, worker_id, result_sha, metrics, objective, outcome, stored_at) VALUES (@trial_id, @attempt, @relay_id, @worker_id, @result_sha, @metrics, @objective, @outcome, @stored_at)",
    ).run(r).changes > 0;
  }
  /** Done trials of a sweep with their objective, for the leaderboard. */
  rankedTrials(sweepId: number): Array<{ id: number; point: number; objective: number | null }> {
    return this.sql(
      "SELECT t.id, t.point, r.objective FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.sweep_id = ? AND t.state = 'done' ORDER BY t.id",
    ).all(sweepId) as Array<{ id: number; point: number; objective: number | null }>;
  }
  upsertReport(r: ReportRow): void {
    this.sql("INSERT OR REPLACE INTO reports (trial_id, attempt, step, metrics) VALUES (@trial_id, @attempt, @step, @metrics)").run(r);
  }
  reportsOfAttempt(trialId: number, attempt: number): ReportRow[] {
    return this.sql("SELECT * FROM reports WHERE trial_id = ? AND attempt = ? ORDER BY step").all(trialId, attempt) as ReportRow[];
  }
  /**
   * The trials before index `idx` in a sweep, each with its state and its report at `step`
   * (of its first attempt that made one), for a stopping rule's cohort.
   */
  rungCohort(sweepId: number, idx: number, step: number): Array<{ id: number; state: TrialState; metrics: string | null }> {
    return this.sql(
      `SELECT t.id, t.state, (SELECT r.metrics FROM reports r WHERE r.trial_id = t.id AND r.step = ? ORDER BY r.attempt LIMIT 1) AS metrics
       FROM trials t WHERE t.sweep_id = ? AND t.idx < ? ORDER BY t.idx`,
    ).all(step, sweepId, idx) as Array<{ id: number; state: TrialState; metrics: string | null }>;
  }
  reportsOf(trialId: number): ReportRow[] {
    return this.sql("SELECT * FROM reports WHERE trial_id = ? ORDER BY attempt, step").all(trialId) as ReportRow[];
  }

  // nodes
  upsertNode(n: Omit<NodeRow, "stats" | "url" | "state"> & { url?: string | null }): void {
    this.sql(
      `INSERT INTO nodes (id, role, host, threads, url, relay_id, joined_at, last_seen, state, bundle_sha) VALUES (@id, @role, @host, @threads, @url, @relay_id, @joined_at, @last_seen, 'alive', @bundle_sha)
       ON CONFLICT(id) DO UPDATE SET role = excluded.role, host = excluded.host, threads = excluded.threads, relay_id = excluded.relay_id, last_seen = excluded.last_seen, state = 'alive', bundle_sha = excluded.bundle_sha`,
    ).run({ url: null, ...n });
  }
  touchNode(id: string, now: number, fields: { url?: string; stats?: string; state?: string } = {}): void {
    this.sql(
      "UPDATE nodes SET last_seen = ?, url = COALESCE(?, url), stats = COALESCE(?, stats), state = COALESCE(?, state) WHERE id = ?",
    ).run(now, fields.url ?? null, fields.stats ?? null, fields.state ?? "alive", id);
  }
  node(id: string): NodeRow | undefined {
    return this.sql("SELECT * FROM nodes WHERE id = ?").get(id) as NodeRow | undefined;
  }
  nodes(): NodeRow[] {
    return this.sql("SELECT * FROM nodes ORDER BY joined_at, id").all() as NodeRow[];
  }
  /** Live relays (heartbeat within `since`), with the number of live workers under each. */
  relayLoads(since: number, workerSince: number): Array<{ id: string; url: string | null; workers: number }> {
    return this.sql(
      `SELECT r.id, r.url, (SELECT COUNT(*) FROM nodes w WHERE w.role = 'worker' AND w.relay_id = r.id AND w.state = 'alive' AND w.last_seen >= ?) AS workers
       FROM nodes r WHERE r.role = 'relay' AND r.state = 'alive' AND r.last_seen >= ? ORDER BY r.joined_at, r.id`,
    ).all(workerSince, since) as Array<{ id: string; url: string | null; workers: number }>;
  }

  liveWorkerCount(since: number): number {
    return (this.sql("SELECT COUNT(*) n FROM nodes WHERE role = 'worker' AND state = 'alive' AND last_seen >= ?").get(since) as { n: number }).n;
  }

  setNodeRelay(id: string, relayId: string): void {
    this.sql("UPDATE nodes SET relay_id = ? WHERE id = ?").run(relayId, id);
  }

  setNodeState(id: string, state: string): void {
    this.sql("UPDATE nodes SET state = ? WHERE id = ?").run(state, id);
  }

  // commands
  insertCommand(c: Omit<CommandRow, "seq">): number {
    return Number(this.sql(
      "INSERT INTO commands (kind, sweep_id, trial_id, bundle_sha, at) VALUES (@kind, @sweep_id, @trial_id, @bundle_sha, @at)",
    ).run(c).lastInsertRowid);
  }
  commandsAfter(seq: number): CommandRow[] {
    return this.sql("SELECT * FROM commands WHERE seq > ? ORDER BY seq").all(seq) as CommandRow[];
  }

  // blobs index (the bytes live in DIR/blobs/<sha>)
  insertBlob(b: BlobRow): void {
    this.sql(
      "INSERT OR IGNORE INTO blobs (sha, kind, name, bytes, label, created_at) VALUES (@sha, @kind, @name, @bytes, @label, @created_at)",
    ).run(b);
  }
  blob(sha: string): BlobRow | undefined {
    return this.sql("SELECT * FROM blobs WHERE sha = ?").get(sha) as BlobRow | undefined;
  }
  blobs(): BlobRow[] {
    return this.sql("SELECT * FROM blobs ORDER BY created_at").all() as BlobRow[];
  }
}
