// Counts people read tell running (on a thread) from reserved (prefetched by a relay or an
// agent): an agent of 1 thread runs 1 trial, whatever its relay and its reserve hold.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor } from "./cluster.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));
const c = new Cluster();
after(() => c.stopAll());

test("an agent of 1 thread: 1 running, the rest of what is leased reserved, in the API, status and its relay's stats", { timeout: 120_000 }, async () => {
  // Trials of about a second each, so the counts hold still long enough to be read.
  await c.startController(c.writeConfig("counts", {
    name: "counts", dataset: { name: "moons", train: 2000, test: 200 }, model: { hidden: [64] },
    train: { epochs: 150, batch: 16, lr: 0.05 }, search: { repeats: 12 }, leaseSeconds: 30,
  }));
  c.startAgent(1);
  const counts = await waitFor(async () => {
    const s = await c.client.get("sweep", {}, { id: 1 });
    // Once the agent has a reserve and the root relay has reported what runs.
    return s.counts.leased! >= 2 && s.counts.running === 1 ? s.counts : undefined;
  }, 60_000, "one trial running and more leased", () => c.dump());
  assert.equal(counts.running, 1, "one thread, one trial on it");
  assert.equal(counts.reserved, counts.leased! - 1, "the rest of what is leased is reserved");
  assert.ok(counts.reserved! >= 1, JSON.stringify(counts));
  const status = spawnSync(process.execPath, [CLI, "status", "--controller", c.url], { encoding: "utf8", timeout: 30_000 });
  assert.match(status.stdout, / 1 running, \d+ reserved, \d+ queued of 12/, status.stdout);
  const worker = (await c.client.getAll("nodes")).find((n) => n.role === "worker")!;
  assert.equal((worker.stats as { busy?: number }).busy, 1, `the worker is busy on 1 of its 1 thread: ${JSON.stringify(worker.stats)} ${JSON.stringify(await c.client.get("sweep", {}, { id: 1 }))}`);
});
