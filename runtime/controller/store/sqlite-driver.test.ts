// The SQLite driver's transactions: the event loop runs during a long one, and nothing else
// reaches the database until it commits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDriver } from "./sqlite-driver.ts";

/** Work on the thread, as a statement over many rows would be. */
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test("a long transaction lets other requests' callbacks run; their store calls wait for its commit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-sqlite-driver-"));
  const d = new SqliteDriver(dir);
  try {
    d.exec("CREATE TABLE t (x INTEGER)");
    const events: string[] = [];
    // Queued before the transaction starts: a request's callback that needs no store at first.
    const outside = new Promise<number>((resolve, reject) => setImmediate(() => {
      events.push("callback ran");
      d.all<{ n: number }>("SELECT count(*) AS n FROM t").then((rows) => {
        events.push("outside read");
        resolve(rows[0]!.n);
      }, reject);
    }));
    await d.tx(async () => {
      for (let i = 0; i < 40; i++) {
        await d.run("INSERT INTO t VALUES (?)", [i]);
        busy(0.1);
      }
      events.push("committing");
    });
    assert.equal(await outside, 40, "the read outside waited for the commit: all rows, never part of them");
    assert.deepEqual(events, ["callback ran", "committing", "outside read"], "the callback ran while the transaction was open");
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a transaction that throws is rolled back, and the next one starts clean", async () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-sqlite-driver-"));
  const d = new SqliteDriver(dir);
  try {
    d.exec("CREATE TABLE t (x INTEGER)");
    await assert.rejects(d.tx(async () => {
      for (let i = 0; i < 20; i++) {
        await d.run("INSERT INTO t VALUES (?)", [i]);
        busy(0.1); // across a yield
      }
      throw new Error("boom");
    }), /boom/);
    assert.deepEqual(await d.all("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    await d.tx(async () => void (await d.run("INSERT INTO t VALUES (1)")));
    assert.deepEqual(await d.all("SELECT count(*) AS n FROM t"), [{ n: 1 }]);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
