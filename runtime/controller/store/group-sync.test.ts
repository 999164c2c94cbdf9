import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupSync } from "./group-sync.ts";

/** A sync the test ends by hand. */
function manualSyncs() {
  const started: Array<{ end(err?: Error): void }> = [];
  const sync = () => new Promise<void>((resolve, reject) => started.push({ end: (err) => (err ? reject(err) : resolve()) }));
  return { started, sync };
}
const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
};

test("a caller waits for a sync that began after it asked; callers meanwhile share the next one", async () => {
  const { started, sync } = manualSyncs();
  const g = new GroupSync(sync);
  const a = g.after();
  assert.equal(started.length, 1, "nothing running: a sync starts at once");
  const b = g.after();
  const c = g.after();
  assert.equal(started.length, 1, "b and c committed while it ran: they wait for the next");
  started[0]!.end();
  assert.equal(await settled(a), true);
  assert.equal(await settled(b), false, "the first sync may have begun before b's commit");
  assert.equal(started.length, 2, "one sync for b and c together");
  const d = g.after();
  started[1]!.end();
  assert.equal(await settled(b), true);
  assert.equal(await settled(c), true);
  assert.equal(await settled(d), false, "d asked while the second ran");
  assert.equal(started.length, 3);
  started[2]!.end();
  assert.equal(await settled(d), true);
  await Promise.all([a, b, c, d]);
  void g.after();
  assert.equal(started.length, 4, "idle again: the next caller starts one at once");
  started[3]!.end();
});

test("a failed sync fails its callers; the next callers get a sync of their own", async () => {
  const { started, sync } = manualSyncs();
  const g = new GroupSync(sync);
  const a = g.after();
  const b = g.after();
  started[0]!.end(new Error("EIO"));
  await assert.rejects(a, /EIO/);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(started.length, 2, "b's sync still runs");
  started[1]!.end();
  await b;
});
