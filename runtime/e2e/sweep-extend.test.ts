// End to end, `discalc sweep extend`: a finished random sweep gets more samples and repeats, a
// finished tpe sweep more samples; the trials there were stay untouched, the new ones are those
// a sweep configured that large from the start would have (same points, next seeds), and the
// agent that was idling picks them up.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { Cluster, type ApiTrial } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";
import { reproducer } from "./reproduce.ts";

const EXPERIMENT = fileURLToPath(new URL("./fixtures/curves", import.meta.url));
const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const base = { experiment: EXPERIMENT, metric: { name: "score", goal: "maximize" }, epochs: 2, workMs: 2, seed: 4 };
const untouched = (t: ApiTrial) => ({ id: t.id, index: t.index, params: t.params, seed: t.seed, sha: t.resultSha256, finishedAt: t.finishedAt, attempts: t.attempts });

async function extend(c: Cluster, args: string[]): Promise<{ code: number | null; out: string }> {
  const p = c.spawn("extend", ["sweep", "extend", "--controller", c.url, "--sweep", "1", ...args], {});
  const code = await p.exited;
  return { code, out: p.log.join("\n") };
}

test("sweep extend adds samples and repeats to a finished sweep, leaving its trials untouched", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const sweep = { name: "e2e-extend", ...base, search: { method: "random", samples: 4, seed: 9, parameters: { x: { uniform: [0, 1] } } } };
  await c.startController(c.writeConfig("sweep", sweep));
  c.startAgent(2);
  await waitForSweepEnd(c);
  const before = await c.client.getAll("trials", { sweep: 1 });
  assert.equal(before.length, 4);

  process.env.DISCALC_ADMIN_TOKEN = c.adminToken;
  const refused = await extend(c, ["--samples", "3"]);
  assert.equal(refused.code, 1);
  assert.match(refused.out, /409 samples: the sweep has 4 already; give a larger total/);

  const grown = await extend(c, ["--samples", "6", "--repeats", "2"]);
  assert.equal(grown.code, 0, grown.out);
  assert.match(grown.out, /sweep 1 extended \(samples 6, repeats 2\): 8 trial\(s\) added now, 12 in all/);
  const s = await waitForSweepEnd(c);
  assert.equal(s.counts.done, 12, c.dump());
  const after = await c.client.getAll("trials", { sweep: 1 });
  assert.deepEqual(after.slice(0, 4).map(untouched), before.map(untouched), "the first four trials are as they were");

  // The same points and seeds as a sweep of 6 samples × 2 repeats from the start, and the same results.
  const alone = await reproducer({ ...sweep, search: { ...sweep.search, samples: 6, repeats: 2 } }, tmpdir());
  const key = (t: { params: Record<string, unknown>; seed: number }) => `${JSON.stringify(t.params)}@${t.seed}`;
  assert.deepEqual(after.map(key).sort(), alone.trials.map(key).sort());
  for (const t of after) {
    const twin = alone.trials.find((a) => key(a) === key(t))!;
    assert.equal(t.resultSha256, (await alone.run(twin.index)).resultSha256, `trial ${t.id} reproduces`);
  }
  const noAdmin = await fetch(new URL("/api/sweeps/1/extend?samples=8", c.url), { method: "POST" });
  assert.equal(noAdmin.status, 401);
});

test("sweep extend gives a finished tpe sweep more proposals", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const sweep = { name: "e2e-extend-tpe", ...base, search: { method: "tpe", samples: 4, batch: 2, seed: 2, parameters: { x: { uniform: [0, 1] } } } };
  await c.startController(c.writeConfig("sweep", sweep));
  c.startAgent(1);
  await waitForSweepEnd(c);
  const res = await c.admin<{ added: number; total: number; extension: { samples: number } }>("/api/sweeps/1/extend?samples=7");
  assert.deepEqual(res.extension, { samples: 7 });
  assert.equal(res.added, 2, "the next batch is proposed at once");
  const s = await waitForSweepEnd(c);
  assert.equal(s.state, "done");
  const trials = await c.client.getAll("trials", { sweep: 1 });
  assert.deepEqual(trials.map((t) => t.point), [0, 1, 2, 3, 4, 5, 6]);
  const grid = await fetch(new URL("/api/sweeps/1/extend?repeats=0", c.url), { method: "POST", headers: { authorization: `Bearer ${c.adminToken}` } });
  assert.equal(grid.status, 400, "repeats must be at least 1");
});
