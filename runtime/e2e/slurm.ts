// Test harness: a real single-node Slurm (Debian's slurm-wlm and munge) started as root in a
// fresh temp folder: munged on its own socket, then slurmctld and slurmd in the foreground with
// proctrack/linuxproc and task/none (no cgroups), on free loopback ports. Each finished job is
// written by jobcomp/filetxt to a file here, with its state and exit code (no accounting
// database needed). stop() cancels the jobs, ends the daemons (SIGTERM, then SIGKILL) and any
// process still carrying this Slurm's SLURM_CONF, and removes the folder.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { randomBytes } from "node:crypto";
import { freePort, waitFor } from "./cluster.ts";

const TOOLS = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue", "scontrol", "scancel"] as const;
type Tool = (typeof TOOLS)[number];

function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why a real Slurm cannot be started here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== "linux") return `a real Slurm needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "starting munged, slurmctld and slurmd needs root (SlurmUser=root)";
  const missing = TOOLS.filter((t) => !findTool(t));
  if (missing.length) return `not installed: ${missing.join(", ")} (apt-get install slurm-wlm munge)`;
  return undefined;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  out: string;
  exited: Promise<void>;
}

export interface JobRecord {
  [field: string]: string;
}

export class SingleNodeSlurm {
  readonly dir: string;
  readonly conf: string;
  readonly node = hostname().split(".")[0]!;
  readonly cpus = Math.max(2, availableParallelism());
  private readonly tools: Record<Tool, string>;
  private readonly daemons: Daemon[] = [];
  private readonly jobs = new Set<string>();

  private constructor() {
    this.tools = Object.fromEntries(TOOLS.map((t) => [t, findTool(t)!])) as Record<Tool, string>;
    this.dir = mkdtempSync(join(tmpdir(), "discalc-slurm-"));
    // munged refuses a socket below a folder that others cannot search.
    chmodSync(this.dir, 0o755);
    this.conf = join(this.dir, "slurm.conf");
  }

  /** Starts munged, slurmctld and slurmd; resolves once the node is idle. Stops all on failure. */
  static async start(): Promise<SingleNodeSlurm> {
    const s = new SingleNodeSlurm();
    try {
      await s.boot();
      return s;
    } catch (err) {
      const logs = s.dump();
      await s.stop();
      throw new Error(`${(err as Error).message}\n${logs}`);
    }
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    for (const sub of ["munge", "state", "spool"]) mkdirSync(join(d, sub), { mode: 0o755 });
    const key = join(d, "munge", "munge.key");
    writeFileSync(key, randomBytes(1024), { mode: 0o600 });
    const socket = join(d, "munge", "munge.socket");
    this.daemon("munged", [
      "--foreground", "--force", `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(d, "munge", "munged.pid")}`,
      `--log-file=${join(d, "munge", "munged.log")}`, `--seed-file=${join(d, "munge", "munged.seed")}`,
    ]);
    await waitFor(async () => existsSync(socket), 15_000, "munged's socket");

    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    writeFileSync(this.conf, [
      "ClusterName=discalc-test",
      `SlurmctldHost=${this.node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      // No cgroups: processes tracked through /proc, tasks not confined.
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "MpiDefault=none",
      "ReturnToService=2",
      // The node's CPUs as configured here, whatever the hardware says (2 at least, for 2 tasks).
      "SlurmdParameters=config_overrides",
      "JobCompType=jobcomp/filetxt",
      `JobCompLoc=${join(d, "jobcomp.txt")}`,
      `StateSaveLocation=${join(d, "state")}`,
      `SlurmdSpoolDir=${join(d, "spool")}`,
      `SlurmctldPidFile=${join(d, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(d, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(d, "slurmctld.log")}`,
      `SlurmdLogFile=${join(d, "slurmd.log")}`,
      "SlurmctldDebug=info",
      "SlurmdDebug=info",
      "MailProg=/bin/true",
      `NodeName=${this.node} NodeAddr=127.0.0.1 CPUs=${this.cpus} State=UNKNOWN`,
      "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"));

    this.daemon("slurmctld", ["-D", "-i"]);
    this.daemon("slurmd", ["-D", "-N", this.node]);
    await waitFor(async () => {
      for (const dmn of this.daemons) if (dmn.child.exitCode !== null || dmn.child.signalCode !== null) throw new Error(`${dmn.name} exited`);
      return (await this.run("sinfo", ["-h", "-n", this.node, "-o", "%t"])).stdout.trim() === "idle";
    }, 45_000, `node ${this.node} to be idle in sinfo`);
  }

  /** Every Slurm command runs with this environment: SLURM_CONF set, no outer job's variables. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (/^(SLURM_|SBATCH_|SQUEUE_|SINFO_|SCANCEL_)/.test(k) || k === "NODE_TEST_CONTEXT" || k === "NODE_OPTIONS") continue;
      env[k] = v;
    }
    return { ...env, SLURM_CONF: this.conf, ...extra };
  }

  private daemon(name: Tool, args: string[]): void {
    const out = join(this.dir, `${name}.out`);
    const fd = openSync(out, "a");
    // Its own process group, so the signals at the end reach what it forked.
    const child = spawn(this.tools[name], args, { stdio: ["ignore", fd, fd], env: this.env(), detached: true, cwd: this.dir });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.once("error", () => {});
    this.daemons.push({ name, child, out, exited });
  }

  run(tool: Tool, args: string[], env: NodeJS.ProcessEnv = this.env()): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(this.tools[tool], args, { env, cwd: this.dir, timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  /** sbatch --parsable with `args`; returns the job id. */
  async sbatch(args: string[], env: Record<string, string>): Promise<string> {
    const r = await this.run("sbatch", ["--parsable", ...args], this.env(env));
    if (r.code !== 0) throw new Error(`sbatch ${args.join(" ")}: exit ${r.code}: ${r.stderr}\n${this.dump()}`);
    const id = r.stdout.trim().split(";")[0]!;
    this.jobs.add(id);
    return id;
  }

  /** The jobcomp/filetxt records, one per finished job (each array task is one). */
  completions(): JobRecord[] {
    const file = join(this.dir, "jobcomp.txt");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((line) => {
      const rec: JobRecord = {};
      for (const m of line.matchAll(/(\w+)=(\S*)/g)) rec[m[1]!] = m[2]!;
      return rec;
    });
  }

  /** The job ids squeue still lists (pending, running, completing). */
  async queued(): Promise<string[]> {
    const r = await this.run("squeue", ["-h", "-o", "%i %T"]);
    if (r.code !== 0) throw new Error(`squeue: ${r.stderr}`);
    return r.stdout.split("\n").filter((l) => l.trim());
  }

  /** The tails of the daemons' logs, for failure messages. */
  dump(): string {
    const files = [...this.daemons.map((d) => d.out), join(this.dir, "slurmctld.log"), join(this.dir, "slurmd.log")];
    return files.filter((f) => existsSync(f)).map((f) => {
      const lines = readFileSync(f, "utf8").split("\n");
      return `--- ${f}\n${lines.slice(-25).join("\n")}`;
    }).join("\n");
  }

  /** Cancels the jobs, ends the daemons and every process of this Slurm, removes the folder. */
  async stop(): Promise<void> {
    if (this.jobs.size && this.daemons.some((d) => d.name === "slurmctld" && d.child.exitCode === null)) {
      await this.run("scancel", [...this.jobs]);
      await waitFor(async () => (await this.queued()).length === 0, 10_000, "the jobs to end").catch(() => {});
    }
    // slurmd and slurmctld before munged, which they need to say goodbye.
    for (const name of ["slurmd", "slurmctld", "munged"]) {
      const d = this.daemons.find((x) => x.name === name);
      if (!d || d.child.exitCode !== null || d.child.signalCode !== null) continue;
      signalGroup(d.child.pid!, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([d.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!ended) signalGroup(d.child.pid!, "SIGKILL");
    }
    // Then whatever is left in their groups, and whatever left them (slurmstepd, the jobs).
    for (const d of this.daemons) signalGroup(d.child.pid!, "SIGKILL");
    await Promise.all(this.daemons.map((d) => d.exited));
    for (const pid of processesWithEnv(`SLURM_CONF=${this.conf}`)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** The processes (not this one) whose environment holds `entry` exactly. */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
