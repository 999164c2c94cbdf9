// Seeded chaos on the default store (SQLite): see chaos.ts.
import { test, after } from "node:test";
import { Cluster } from "./cluster.ts";
import { runChaos, SEED, SECONDS } from "./chaos.ts";

const c = new Cluster();
after(() => c.stopAll());

test(`chaos (seed ${SEED}, ${SECONDS} s): agents and relays killed and restarted at random; the sweep ends exact`, { timeout: 300_000 }, async () => {
  await runChaos(c);
});
