// The SQLite driver's transactions: the event loop runs during a long one, and nothing else
// reaches the database until it commits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
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

test("a write is answered only after an fsync of the WAL that began after its commit; reads sync nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-sqlite-driver-"));
  const d = new SqliteDriver(dir);
  // Every fsync through a file handle, as it happens (the driver syncs the WAL off the thread).
  const handle = await open(join(dir, "discalc.sqlite"), "r");
  const proto = Object.getPrototypeOf(handle) as { sync(): Promise<void> };
  await handle.close();
  const realSync = proto.sync;
  const events: string[] = [];
  proto.sync = async function (this: unknown) {
    events.push("sync begins");
    await realSync.call(this);
    events.push("sync ends");
  };
  try {
    d.exec("CREATE TABLE t (x INTEGER)");
    await d.tx(async () => {
      await d.run("INSERT INTO t VALUES (1)");
      events.push("committing");
    });
    events.push("answered");
    assert.deepEqual(events, ["committing", "sync begins", "sync ends", "answered"]);
    events.length = 0;
    await d.run("INSERT INTO t VALUES (2)");
    events.push("answered");
    assert.deepEqual(events, ["sync begins", "sync ends", "answered"], "a write outside a transaction too");
    events.length = 0;
    assert.deepEqual(await d.all("SELECT count(*) AS n FROM t"), [{ n: 2 }]);
    await d.tx(async () => void (await d.all("SELECT * FROM t")));
    assert.deepEqual(events, [], "reads need no sync");
    // Transactions committed while a sync runs share the next one.
    await Promise.all([1, 2, 3, 4].map((i) => d.tx(async () => void (await d.run("INSERT INTO t VALUES (?)", [i])))));
    const syncs = events.filter((e) => e === "sync begins").length;
    assert.ok(syncs >= 1 && syncs <= 3, `${syncs} syncs for 4 commits`);
  } finally {
    proto.sync = realSync;
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
