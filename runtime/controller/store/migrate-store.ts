// Schema versions of the controller's SQLite store. Version 1 (the first release) kept the
// MLP's metrics in fixed columns; version 2 keeps any names; version 3 records how a sweep was
// extended after it started; version 4 when a worker first returned a result (nodes.proven_at,
// what the relay policy counts); version 5 trials' stored states (trial_states). A data directory of any of them is opened.
import type Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import type { PostgresDriver } from "./postgres-driver.ts";

export const SCHEMA_VERSION = 5;

const hasColumn = (db: Database.Database, table: string, column: string) =>
  (db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ?`).get(table, column) ?? null) !== null;

/** Brings an older store up to SCHEMA_VERSION, in one transaction; refuses a newer one. */
export function migrateStore(db: Database.Database, schema: string, o: { reader?: boolean } = {}): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`the store has schema version ${version}, newer than this discalc's ${SCHEMA_VERSION}: upgrade discalc`);
  }
  // A reader (`discalc best --data`, `export`) of a current store writes nothing, so it takes
  // no write lock beside a running controller, which it could not always get: its deferred
  // transaction read, the controller committed, and its first write failed at once with
  // "database is locked" (SQLite refuses to upgrade a read snapshot that is no longer the
  // latest). The controller applies the schema on every start (new tables and indexes).
  if (o.reader && version === SCHEMA_VERSION) return;
  // IMMEDIATE: the write lock first, waiting for it (busy_timeout) rather than failing on upgrade.
  db.transaction(() => {
    if (version < 2 && hasColumn(db, "results", "weights_sha")) {
      // Version 1: epochs in fixed columns; the final epoch's numbers become the final metrics.
      db.exec(`
        ALTER TABLE results RENAME COLUMN weights_sha TO result_sha;
        ALTER TABLE results ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE results ADD COLUMN objective REAL;
        CREATE TABLE reports (trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL, step INTEGER NOT NULL, metrics TEXT NOT NULL, PRIMARY KEY (trial_id, attempt, step));
        INSERT INTO reports (trial_id, attempt, step, metrics)
          SELECT trial_id, attempt, epoch, json_patch('{}', json_object('epoch', epoch, 'trainLoss', train_loss, 'testLoss', test_loss, 'testAccuracy', test_accuracy, 'lr', lr, 'wallMs', wall_ms)) FROM metrics;
        UPDATE results SET metrics = COALESCE((SELECT json_remove(r.metrics, '$.epoch', '$.wallMs') FROM reports r WHERE r.trial_id = results.trial_id AND r.attempt = results.attempt ORDER BY r.step DESC LIMIT 1), '{}');
        UPDATE results SET objective = json_extract(metrics, '$.testAccuracy');
        DROP TABLE metrics;
      `);
    }
    if (version < 3 && hasColumn(db, "sweeps", "id") && !hasColumn(db, "sweeps", "extension")) {
      db.exec("ALTER TABLE sweeps ADD COLUMN extension TEXT");
    }
    if (version < 4 && hasColumn(db, "nodes", "id") && !hasColumn(db, "nodes", "proven_at")) {
      // Workers of an older store count as unproven until they return a result again.
      db.exec("ALTER TABLE nodes ADD COLUMN proven_at INTEGER");
    }
    db.exec(schema);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

const POSTGRES_SCHEMA = readFileSync(new URL("./schema.postgres.sql", import.meta.url), "utf8");

/**
 * A PostgreSQL store starts at version 3 (the first with PostgreSQL); its version is the meta
 * row `schema_version`. Later versions add their steps here, in one transaction (version 4's
 * column is added by schema.postgres.sql itself, which runs on every open).
 */
export async function migratePostgres(d: PostgresDriver): Promise<void> {
  await d.tx(async () => {
    await d.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = (await d.all<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'"))[0];
    const version = row ? Number(row.value) : 0;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the store has schema version ${version}, newer than this discalc's ${SCHEMA_VERSION}: upgrade discalc`);
    }
    await d.exec(POSTGRES_SCHEMA);
    await d.run("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(SCHEMA_VERSION)]);
  });
}
