// The store conformance suite on a real PostgreSQL server (a database per test), and what
// only a shared server can show: a second controller is refused while the first serves the store.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { storeConformance } from "./testing/store-conformance.ts";
import { Store } from "./store.ts";
import { StoreBusyError } from "./store-busy.ts";
import { postgresMissing, startPostgres, type PostgresServer } from "../../e2e/postgres-server.ts";

const missing = postgresMissing();
let server: PostgresServer | undefined;
let n = 0;
before(async () => {
  if (!missing) server = await startPostgres();
});
after(() => server?.stop());

if (missing) {
  test("postgres store", (t) => t.skip(missing));
} else {
  storeConformance("postgres", {
    fresh: async () => ({ url: await server!.createDatabase(`conformance_${process.pid}_${++n}`) }),
    drop: async (at) => {
      if ("url" in at) await server!.dropDatabase(new URL(at.url).pathname.slice(1));
    },
  });

  test("postgres: a second controller on a served store is refused, and takes it once the first is gone", async () => {
    const url = await server!.createDatabase("two_controllers");
    const first = await Store.open({ url });
    await assert.rejects(Store.open({ url }), (err: unknown) => {
      assert.ok(err instanceof StoreBusyError);
      assert.match((err as Error).message, /another controller serves the store postgres:\/\/postgres@127\.0\.0\.1:\d+\/two_controllers/);
      return true;
    });
    // Readers (export, best) do not take the lock.
    const reader = await Store.open({ url }, { serve: false });
    assert.deepEqual(await reader.sweeps(), []);
    await reader.close();
    await first.close();
    const second = await Store.open({ url });
    await second.close();
  });

  test("postgres: blobs live in the store itself", async () => {
    const url = await server!.createDatabase("blobs");
    const store = await Store.open({ url });
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const sha = await store.putBlob(bytes, { kind: "dataset", name: "tiny", label: null, created_at: 1 });
    assert.deepEqual(await store.blobBytes(sha), Buffer.from(bytes));
    assert.equal(await store.blobBytes("00".repeat(32)), undefined);
    await store.close();
  });
}
