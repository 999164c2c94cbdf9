// The WAL is checkpointed from a thread of its own: the writer's WAL stays small although the
// writer itself would not checkpoint before 10,000 pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDriver, SQLITE_WAL_SIZE_LIMIT } from "./sqlite-driver.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the checkpoint thread copies committed pages into the database; the writer would wait for 40 MB", async () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-wal-"));
  const d = new SqliteDriver(dir);
  try {
    d.exec("CREATE TABLE t (x BLOB)");
    for (let i = 0; i < 120; i++) await d.tx(async () => void (await d.run("INSERT INTO t VALUES (randomblob(100000))")));
    // Only a checkpoint writes the database file itself: the commits are all in the WAL.
    const size = () => statSync(join(dir, "discalc.sqlite")).size;
    const until = Date.now() + 10_000;
    while (size() < 12_000_000 && Date.now() < until) await sleep(20);
    assert.ok(size() >= 12_000_000, `database file of ${size()} bytes after 12 MB committed`);
    assert.deepEqual(await d.all("SELECT count(*) AS n FROM t"), [{ n: 120 }]);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a checkpoint thread that cannot open its database says so", async () => {
  const failures: string[] = [];
  const c = new WalCheckpointer(join(tmpdir(), "no-such-dir-for-discalc", "x.sqlite"), (m) => failures.push(m));
  await c.close();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /directory does not exist|unable to open/i);
});

test("the WAL shrinks back after a burst: the writer truncates it to its size limit once the burst is checkpointed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-wal-"));
  const d = new SqliteDriver(dir);
  try {
    d.exec("CREATE TABLE t (x BLOB)");
    // A burst of 30 MB in one transaction, as kept trial states can be: the WAL must hold all of it.
    await d.tx(async () => {
      for (let i = 0; i < 60; i++) await d.run("INSERT INTO t VALUES (randomblob(500000))");
    });
    const wal = () => statSync(join(dir, "discalc.sqlite-wal")).size;
    const peak = wal();
    assert.ok(peak > SQLITE_WAL_SIZE_LIMIT, `the burst grew the WAL to ${peak} bytes, past the limit (else this tests nothing)`);
    const db = () => statSync(join(dir, "discalc.sqlite")).size;
    const until = Date.now() + 10_000;
    while (db() < 30_000_000 && Date.now() < until) await sleep(20);
    // The next commits start the WAL over, and cut the file to the limit.
    for (let i = 0; i < 3; i++) {
      await d.tx(async () => void (await d.run("INSERT INTO t VALUES (randomblob(1000))")));
      await sleep(150);
    }
    assert.ok(wal() <= SQLITE_WAL_SIZE_LIMIT, `WAL of ${wal()} bytes after a burst that grew it to ${peak} (limit ${SQLITE_WAL_SIZE_LIMIT})`);
    assert.deepEqual(await d.all("SELECT count(*) AS n FROM t"), [{ n: 63 }]);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
