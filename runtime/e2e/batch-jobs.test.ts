// End to end, as a batch job runs an agent: `discalc join --exit-when-idle 2` works the sweep,
// then exits 0 by itself once nothing runs and the controller has had nothing to lease for 2 s;
// so does examples/slurm/discalc-agent.sbatch, run by bash with Slurm's environment (a real
// Slurm is not started here yet).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Cluster } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";

const c = new Cluster();
after(() => c.stopAll());

test("an agent with --exit-when-idle ends by itself, exit 0, once the sweep is done", { timeout: 120_000 }, async () => {
  await c.startController(c.writeConfig("idle", {
    name: "idle", dataset: { name: "xor", train: 60, test: 20 }, model: { hidden: [4] }, train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 6 },
  }));
  const agent = c.spawn("agent", ["join", "--controller", c.url, "--token", c.token, "--threads", "1", "--listen", "127.0.0.1", "--exit-when-idle", "2"]);
  const sweep = await waitForSweepEnd(c, 60_000);
  assert.equal(sweep.counts.done, 6);
  const doneAt = Date.now();
  const code = await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r("still running"), 30_000))]);
  assert.equal(code, 0, agent.log.join("\n"));
  const waited = Date.now() - doneAt;
  assert.ok(waited >= 1000, `it waited out the idle period (${waited} ms)`);
  assert.match(agent.log.join("\n"), /idle for 2 s with nothing to lease: exiting/);
});

test("the Slurm batch script (run by bash, as slurmd would) joins through the bootstrap and ends with the sweep", { timeout: 120_000 }, async () => {
  const d = new Cluster();
  try {
    await d.startController(d.writeConfig("sbatch", {
      name: "sbatch", dataset: { name: "xor", train: 60, test: 20 }, model: { hidden: [4] }, train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 4 },
    }));
    const script = fileURLToPath(new URL("../../examples/slurm/discalc-agent.sbatch", import.meta.url));
    const previous = { ...process.env };
    Object.assign(process.env, { DISCALC_CONTROLLER: d.url, DISCALC_TOKEN: d.token, DISCALC_IDLE_SECONDS: "2", SLURM_CPUS_PER_TASK: "1" });
    let job;
    try {
      job = d.spawn("sbatch-task", ["bash", script], { node: false });
    } finally {
      for (const k of ["DISCALC_CONTROLLER", "DISCALC_TOKEN", "DISCALC_IDLE_SECONDS", "SLURM_CPUS_PER_TASK"]) {
        if (previous[k] === undefined) delete process.env[k];
        else process.env[k] = previous[k];
      }
    }
    const sweep = await waitForSweepEnd(d, 60_000);
    assert.equal(sweep.counts.done, 4);
    const code = await Promise.race([job.exited, new Promise((r) => setTimeout(() => r("still running"), 30_000))]);
    assert.equal(code, 0, job.log.join("\n"));
    const workers = (await d.client.getAll("nodes")).filter((n) => n.role === "worker");
    assert.deepEqual(workers.map((w) => w.threads), [1], "threads from SLURM_CPUS_PER_TASK");
  } finally {
    await d.stopAll();
  }
});
