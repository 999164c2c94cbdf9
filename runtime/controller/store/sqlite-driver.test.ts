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

/**
 * Runs `body` with a driver on a fresh folder holding table t (x INTEGER), and `sync` in place
 * of FileHandle.prototype.sync (how the driver fsyncs the WAL) if given; closes and removes it after.
 */
async function withDriver(body: (d: SqliteDriver) => Promise<void>, sync?: (real: () => Promise<void>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "discalc-sqlite-driver-"));
  const d = new SqliteDriver(dir);
  const restore = sync ? await replaceSync(dir, sync) : () => {};
  try {
    d.exec("CREATE TABLE t (x INTEGER)");
    await body(d);
  } finally {
    restore();
    if (d.db.open) await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces FileHandle.prototype.sync for one test; returns the restore. */
async function replaceSync(dir: string, sync: (real: () => Promise<void>) => Promise<void>): Promise<() => void> {
  const handle = await open(join(dir, "probe"), "w");
  const proto = Object.getPrototypeOf(handle) as { sync(): Promise<void> };
  await handle.close();
  const realSync = proto.sync;
  proto.sync = function (this: unknown) {
    return sync(() => realSync.call(this));
  };
  return () => void (proto.sync = realSync);
}

test("a long transaction lets other requests' callbacks run; their store calls wait for its commit", async () => {
  await withDriver(async (d) => {
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
  });
});

test("a transaction that throws is rolled back, and the next one starts clean", async () => {
  await withDriver(async (d) => {
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
  });
});

test("a write is answered only after an fsync of the WAL that began after its commit; reads sync nothing", async () => {
  const events: string[] = [];
  // Every fsync through a file handle, as it happens (the driver syncs the WAL off the thread).
  await withDriver(async (d) => {
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
  }, async (real) => {
    events.push("sync begins");
    await real();
    events.push("sync ends");
  });
});

test("a callback a finished transaction scheduled never joins the next one: it waits for its commit", async () => {
  await withDriver(async (d) => {
    let seen: number | undefined;
    // Scheduled inside a transaction (it inherits that context), run while the next one yields.
    const read = new Promise<void>((resolve) => {
      void d.tx(async () => {
        await d.all("SELECT 1");
        setImmediate(() => void d.all<{ n: number }>("SELECT count(*) AS n FROM t").then((rows) => ((seen = rows[0]!.n), resolve())));
      });
    });
    await Promise.resolve();
    await assert.rejects(d.tx(async () => {
      for (let i = 0; i < 30; i++) {
        await d.run("INSERT INTO t VALUES (?)", [i]);
        busy(0.1);
      }
      throw new Error("rolled back");
    }), /rolled back/);
    await read;
    assert.equal(seen, 0, "it read after the rollback, never the open transaction's rows");
    // What a transaction sets off through afterCommit runs once it has committed.
    const order: string[] = [];
    await d.tx(async () => {
      await d.run("INSERT INTO t VALUES (1)");
      d.afterCommit(() => order.push("after commit"));
      order.push("in transaction");
    });
    order.push("answered");
    assert.deepEqual(order, ["in transaction", "after commit", "answered"]);
  });
});

test("an answer that reads a commit not yet synced waits for the sync; a failed sync stops the store", async () => {
  const events: string[] = [];
  let fail = false;
  await withDriver(async (d) => {
    const write = d.tx(async () => void (await d.run("INSERT INTO t VALUES (1)")));
    while (!events.includes("sync begins")) await new Promise((r) => setTimeout(r, 1));
    // A relay's retry of the same batch: nothing to write, every result found stored.
    const rows = await d.tx(async () => d.all<{ n: number }>("SELECT count(*) AS n FROM t"));
    events.push("duplicate answered");
    await write;
    assert.deepEqual(rows, [{ n: 1 }]);
    assert.ok(events.indexOf("sync ends") < events.indexOf("duplicate answered"), events.join(", "));
    fail = true;
    const doomed = d.tx(async () => void (await d.run("INSERT INTO t VALUES (2)")));
    await assert.rejects(doomed, (err: Error & { code?: string }) => err.code === "SQLITE_IOERR_FSYNC" && d.disablingFailure(err, false) === "SQLITE_IOERR_FSYNC");
    fail = false;
    await assert.rejects(d.all("SELECT 1"), /fsync .* failed/, "nothing more after a failed sync");
    await assert.rejects(d.tx(async () => {}), /fsync .* failed/);
  }, async (real) => {
    events.push("sync begins");
    await new Promise((r) => setTimeout(r, 50)); // a slow disk
    if (fail) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
    await real();
    events.push("sync ends");
  });
});

test("close waits for a commit's sync under way; the commit's caller is answered", async () => {
  let began = false;
  await withDriver(async (d) => {
    const write = d.tx(async () => void (await d.run("INSERT INTO t VALUES (1)")));
    while (!began) await new Promise((r) => setTimeout(r, 1));
    const closing = d.close();
    await write;
    await closing;
  }, async (real) => {
    began = true;
    await new Promise((r) => setTimeout(r, 50));
    await real();
  });
});

test("the driver names the failures after which the store takes no writes: SQLite's own codes, and any failed background write", async () => {
  await withDriver(async (d) => {
    const failed = await d.run("INSERT INTO t VALUES (1, 2)").catch((err: unknown) => err);
    assert.match(String(d.disablingFailure(failed, false)), /^SQLITE_/, "what SQLite threw, by its own code");
    assert.equal(d.disablingFailure(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }), false), "SQLITE_FULL");
    assert.equal(d.disablingFailure(new Error("a bug"), false), undefined);
    assert.equal(d.disablingFailure(new Error("a bug"), true), "write error");
    assert.equal(d.disablingFailure(Object.assign(new Error("busy"), { code: "EBUSY" }), true), "EBUSY");
  });
});
