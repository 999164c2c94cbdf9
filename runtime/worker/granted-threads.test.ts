// Threads default to what the machine grants this process: Slurm's allocation, the cgroup
// quota (Kubernetes, Docker), the affinity mask, the cores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism, cpus } from "node:os";
// @ts-expect-error: plain JavaScript, dependency-free by design (served to bare machines)
import { grantedThreads } from "./bootstrap.mjs";

type Grant = { threads: number; source: string };
const files = (map: Record<string, string>) => (path: string) => {
  if (path in map) return map[path]!;
  throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
};

test("Slurm's SLURM_CPUS_PER_TASK comes first", () => {
  assert.deepEqual(grantedThreads({ SLURM_CPUS_PER_TASK: "3" }, files({ "/sys/fs/cgroup/cpu.max": "100000 100000" })) as Grant, { threads: 3, source: "SLURM_CPUS_PER_TASK" });
});

test("then the cgroup quota, v2 and v1, rounded up and never past the affinity mask", () => {
  const v2 = grantedThreads({}, files({ "/sys/fs/cgroup/cpu.max": "150000 100000\n" })) as Grant;
  assert.deepEqual(v2, { threads: Math.min(2, availableParallelism()), source: "cgroup CPU quota" });
  const v1 = grantedThreads({}, files({ "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000" })) as Grant;
  assert.deepEqual(v1, { threads: 1, source: "cgroup CPU quota" });
});

test("no quota ('max', or no files): the affinity mask or the cores", () => {
  const g = grantedThreads({}, files({ "/sys/fs/cgroup/cpu.max": "max 100000" })) as Grant;
  assert.equal(g.threads, availableParallelism());
  assert.equal(g.source, availableParallelism() < cpus().length ? "CPU affinity" : "cores");
  assert.equal((grantedThreads({ SLURM_CPUS_PER_TASK: "zero" }, files({})) as Grant).threads, availableParallelism(), "a bad Slurm value is ignored");
});
