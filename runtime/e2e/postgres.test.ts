// End to end on PostgreSQL: a controller keeps all its state at --store, so a controller
// started again on the same store with an empty --data resumes the sweep exactly; a second
// controller on a served store is refused; and the chaos scenario ends exact on it too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { Cluster, freePort, waitFor } from "./cluster.ts";
import { verifyExactlyOnce, waitForSweepEnd } from "./verify.ts";
import { runChaos, SEED, SECONDS } from "./chaos.ts";
import { postgresMissing, startPostgres, type PostgresServer } from "./postgres-server.ts";

const missing = postgresMissing();
let server: PostgresServer | undefined;
const clusters: Cluster[] = [];
before(async () => {
  if (!missing) server = await startPostgres();
});
after(async () => {
  await Promise.all(clusters.map((c) => c.stopAll()));
  server?.stop();
});

const SWEEP = {
  name: "pg-resume",
  dataset: { name: "moons", train: 600, test: 200, noise: 0.1 },
  model: { hidden: [16], activation: "tanh" },
  train: { epochs: 30, batch: 16, lr: 0.05 },
  leaseSeconds: 5,
  search: { method: "grid", repeats: 6, parameters: { "train.lr": [0.02, 0.05] } },
};

test("postgres: a controller killed mid-sweep is replaced by one with an empty --data on the same store; the sweep ends exact", { timeout: 240_000, skip: missing }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const store = await server!.createDatabase("resume");
  const config = c.writeConfig("sweep", SWEEP);
  const port = await freePort();
  const first = await c.startController(config, { port, data: join(c.dir, "data-a"), extra: ["--store", store] });
  assert.ok(first.log.some((l) => l.includes(`store postgres://postgres@127.0.0.1:`)), c.dump());
  c.startAgent(2);
  await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).counts.done >= 3, 90_000, "a few results", () => c.dump());

  // A second controller on the same store is refused while the first serves it.
  const rival = c.spawn("rival", ["controller", "--config", config, "--port", "0", "--host", "127.0.0.1", "--data", join(c.dir, "data-r"),
    "--store", store, "--token", c.token, "--admin-token", c.adminToken]);
  assert.notEqual(await rival.exited, 0);
  assert.match(rival.log.join("\n"), /another controller serves the store postgres:\/\/postgres@127\.0\.0\.1:\d+\/resume \(it holds PostgreSQL advisory lock \d+\)/);

  c.signal(first, "SIGKILL");
  await first.exited;
  // Nothing of the first --data folder: the store holds it all (sweep, trials, identity key, bundle).
  const second = await c.startController(config, { port, data: join(c.dir, "data-b"), extra: ["--store", store] });
  assert.ok(second.log.some((l) => /resumed from the store/.test(l)), c.dump());
  const s = await waitForSweepEnd(c, 180_000);
  assert.equal(s.state, "done");
  await verifyExactlyOnce(c, SWEEP);
});

test("postgres: a first start creates a missing --data folder; a controller from another folder takes the same generated admin token", { timeout: 120_000, skip: missing }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const store = await server!.createDatabase("admin_token");
  const config = c.writeConfig("sweep", { ...SWEEP, name: "pg-admin" });
  const data = join(c.dir, "not", "yet", "made");
  const first = await c.startController(config, { data, extra: ["--store", store], generateAdminToken: true });
  const token = readFileSync(join(data, "admin-token"), "utf8").trim();
  const command = (t: string) => fetch(`${c.url}/api/commands?kind=pause&sweep=1`, { method: "POST", headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
  assert.equal(await command(token), 200, "the generated admin token commands");
  c.signal(first, "SIGTERM");
  await first.exited;
  const second = await c.startController(config, { data: join(c.dir, "another"), extra: ["--store", store], generateAdminToken: true });
  assert.ok(second.log.some((l) => /admin token: the one this store keeps/.test(l)), c.dump());
  assert.equal(await command(token), 200, "and commands the second controller, started from another folder");
  assert.equal(await command("not-the-admin-token"), 403);
});

test(`postgres: chaos (seed ${SEED}, ${SECONDS} s) ends exact on a PostgreSQL store`, { timeout: 300_000, skip: missing }, async () => {
  const c = new Cluster();
  clusters.push(c);
  await runChaos(c, ["--store", await server!.createDatabase("chaos")]);
});
