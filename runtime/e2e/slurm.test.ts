// End to end on a real single-node Slurm (Debian's slurm-wlm and munge, started here as root;
// see slurm.ts): `sbatch --array=0-1 examples/slurm/discalc-agent.sbatch` runs two agents that
// join a controller on 127.0.0.1, share its sweep, and end by themselves, each task COMPLETED
// with exit code 0:0. Skipped, saying what is missing, where Slurm or root is not there
// (.ci/run installs the packages).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor } from "./cluster.ts";
import { waitForSweepEnd } from "./verify.ts";
import { SingleNodeSlurm, slurmUnavailable } from "./slurm.ts";

const SCRIPT = fileURLToPath(new URL("../../examples/slurm/discalc-agent.sbatch", import.meta.url));
const TRIALS = 12;

let slurm: SingleNodeSlurm | undefined;
const c = new Cluster();
after(async () => {
  await slurm?.stop();
  await c.stopAll();
});

test("an array of 2 agents under a real Slurm works a sweep, and both tasks end by themselves", { timeout: 110_000 }, async (t) => {
  const missing = slurmUnavailable();
  if (missing) return t.skip(missing);

  const started = Date.now();
  slurm = await SingleNodeSlurm.start();
  t.diagnostic(`slurm up in ${Date.now() - started} ms`);

  await c.startController(c.writeConfig("slurm", {
    name: "slurm",
    dataset: { name: "spirals", train: 2000, test: 300, classes: 3, noise: 0.05 },
    model: { hidden: [64, 64], activation: "tanh" },
    train: { epochs: 1, batch: 16, lr: 0.01 },
    search: { method: "grid", repeats: TRIALS / 3, parameters: { "train.lr": [0.003, 0.01, 0.03] } },
  }));
  // Held until both agents have joined, so that neither can run the whole sweep alone.
  await c.admin("/api/commands?kind=pause&sweep=1");

  const job = await slurm.sbatch([
    "--array=0-1", "--cpus-per-task=1", "--export=ALL", `--chdir=${slurm.dir}`, `--output=${join(slurm.dir, "agent-%A_%a.log")}`, SCRIPT,
  ], {
    DISCALC_CONTROLLER: c.url, DISCALC_TOKEN: c.token, DISCALC_IDLE_SECONDS: "3", DISCALC_DEBUG: "1",
    // The node this test runs on, first on the job's PATH.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
  });
  const logOf = (task: number) => join(slurm!.dir, `agent-${job}_${task}.log`);
  const logs = () => [0, 1].map((i) => `--- task ${i}\n${existsSync(logOf(i)) ? readFileSync(logOf(i), "utf8").slice(-3000) : "(no log yet)"}`).join("\n");
  const dump = () => `${c.dump()}\n${logs()}\n${slurm!.dump()}\njobcomp: ${JSON.stringify(slurm!.completions())}`;

  await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "worker").length === 2 || undefined,
    60_000, "both array tasks to join as workers", dump);
  await c.admin("/api/commands?kind=resume&sweep=1");

  const sweep = await waitForSweepEnd(c, 60_000);
  assert.equal(sweep.counts.done, TRIALS, dump());
  const trials = await c.client.getAll("trials", { sweep: 1 });
  assert.equal(trials.length, TRIALS);
  assert.ok(trials.every((tr) => tr.state === "done"), JSON.stringify(trials.map((tr) => [tr.id, tr.state])));
  const sweepDone = Date.now();

  // Each task ends by itself (no scancel): jobcomp/filetxt writes one record per array task.
  const records = await waitFor(async () => {
    const rs = slurm!.completions().filter((r) => r.ArrayJobId === job);
    return rs.length === 2 ? rs : undefined;
  }, 45_000, "both array tasks to finish by themselves", dump);
  t.diagnostic(`both tasks ended ${Date.now() - sweepDone} ms after the sweep`);
  for (const r of records.sort((a, b) => Number(a.ArrayTaskId) - Number(b.ArrayTaskId))) {
    assert.equal(r.JobState, "COMPLETED", `task ${r.ArrayTaskId}: ${JSON.stringify(r)}\n${dump()}`);
    assert.equal(r.ExitCode, "0:0", `task ${r.ArrayTaskId}: ${JSON.stringify(r)}\n${dump()}`);
  }
  assert.deepEqual(records.map((r) => r.ArrayTaskId), ["0", "1"]);
  assert.deepEqual(await slurm.queued(), [], "nothing left in squeue");

  // Both did work: each task's log names the worker it joined as, and each worker ran trials.
  const workerOf = [0, 1].map((i) => {
    const log = readFileSync(logOf(i), "utf8");
    assert.match(log, /idle for 3 s with nothing to lease: exiting/, `task ${i}:\n${log}`);
    const m = /joined as worker (\S+?),/.exec(log);
    assert.ok(m, `task ${i} names its worker:\n${log}`);
    return m[1]!;
  });
  assert.notEqual(workerOf[0], workerOf[1]);
  const ran = workerOf.map((w) => trials.filter((tr) => tr.workerId === w).length);
  const spans = trials.flatMap((tr) => tr.attemptLog.filter((a) => a.endedAt !== null).map((a) => a.endedAt! - a.leasedAt));
  t.diagnostic(`trials per task: ${ran.join(", ")}; lease to result ${Math.min(...spans)}–${Math.max(...spans)} ms`);
  assert.ok(ran.every((n) => n > 0), `both tasks ran trials: ${ran.join(", ")}`);
  assert.equal(ran[0]! + ran[1]!, TRIALS, "every trial was run by one of the two tasks");
});
