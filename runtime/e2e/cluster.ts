// Test harness: real discalc processes on 127.0.0.1 (controller, relays, agents), their
// logs kept for failure reports, and every process killed at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bootstrapOneLiner } from "../commands/join.ts";
import { BOOTSTRAP_SHA256 } from "../controller/fleet/node-routes.ts";
import { ApiClient } from "../../protocol/api-client.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string[];
  exited: Promise<number | null>;
}

export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), "discalc-e2e-"));
  readonly token = "cluster-token-e2e";
  readonly adminToken = "admin-token-e2e";
  readonly relayToken = "relay-token-e2e";
  readonly procs: Proc[] = [];
  url = "";

  spawn(name: string, args: string[], opts: { node?: boolean; env?: Record<string, string> } = {}): Proc {
    // DISCALC_PROFILE_DIR=dir writes a V8 CPU profile of every discalc process there.
    const profile = process.env.DISCALC_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.DISCALC_PROFILE_DIR}`] : [];
    const child = spawn(opts.node === false ? args[0]! : process.execPath, opts.node === false ? args.slice(1) : [...profile, CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DISCALC_DEBUG: "1", ...opts.env },
      // Its own process group, so a kill reaches whatever it started (a shell's node).
      detached: true,
    });
    const log: string[] = [];
    const keep = (chunk: Buffer) => {
      // Long enough for the one-line join the controller prints.
      for (const line of chunk.toString().split("\n")) if (line) log.push(line.slice(0, 2000));
      if (log.length > 400) log.splice(0, log.length - 400);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
    const proc = { name, child, log, exited };
    this.procs.push(proc);
    return proc;
  }

  writeConfig(name: string, config: unknown): string {
    const path = join(this.dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(config));
    return path;
  }

  /** Starts the controller and waits until it listens; returns its URL. */
  /** `generateAdminToken`: no --admin-token, so the controller writes one into its data folder. */
  async startController(configPath: string, opts: { port?: number; data?: string; extra?: string[]; generateAdminToken?: boolean; env?: Record<string, string> } = {}): Promise<Proc> {
    const proc = this.spawn("controller", [
      "controller", "--config", configPath, "--port", String(opts.port ?? 0), "--host", "127.0.0.1",
      "--data", opts.data ?? join(this.dir, "data"), "--token", this.token, "--relay-token", this.relayToken,
      ...(opts.generateAdminToken ? [] : ["--admin-token", this.adminToken]), ...(opts.extra ?? []),
    ], { env: opts.env });
    let exitCode: number | null | undefined;
    void proc.exited.then((code) => (exitCode = code));
    this.url = await waitFor(async () => {
      const line = proc.log.find((l) => l.includes("controller listening on "));
      // One that exits at once (a bad config) is reported now, not after the whole wait.
      if (!line && exitCode !== undefined) throw new ControllerExited(`the controller exited with code ${exitCode} before listening\n${this.dump()}`);
      return line ? /listening on (http:\/\/[^\s]+)/.exec(line)![1] : undefined;
    }, 30_000, "the controller to listen", () => this.dump(), ControllerExited);
    return proc;
  }

  startRelay(): Proc {
    return this.spawn("relay", ["relay", "--controller", this.url, "--token", this.relayToken, "--port", "0", "--listen", "127.0.0.1"]);
  }

  startAgent(threads = 1): Proc {
    return this.spawn("agent", ["join", "--controller", this.url, "--token", this.token, "--threads", String(threads), "--listen", "127.0.0.1"]);
  }

  /** A bare machine: the exact one-liner the controller prints, run by a shell with the token in DISCALC_TOKEN. */
  startBootstrapAgent(): Proc {
    return this.spawn("bootstrap-agent", ["sh", "-c", `exec ${bootstrapOneLiner(this.url, BOOTSTRAP_SHA256)}`], { node: false, env: { DISCALC_TOKEN: this.token } });
  }

  /** The typed REST client the CLI uses, for the read-only routes. */
  get client(): ApiClient {
    return new ApiClient(this.url);
  }

  async api<T = unknown>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(new URL(path, this.url), init);
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async admin<T = unknown>(path: string): Promise<T> {
    return this.api<T>(path, { method: "POST", headers: { authorization: `Bearer ${this.adminToken}` } });
  }

  dump(): string {
    const state = (p: Proc) => (p.child.signalCode ? `, killed by ${p.child.signalCode}` : p.child.exitCode !== null ? `, exited ${p.child.exitCode}` : "");
    return this.procs.map((p) => `--- ${p.name} (pid ${p.child.pid}${state(p)})\n${p.log.slice(-40).join("\n")}`).join("\n");
  }

  /** Sends a signal to a process and everything in its group. */
  signal(p: Proc, sig: NodeJS.Signals): void {
    try {
      process.kill(-p.child.pid!, sig);
    } catch {
      // already gone
    }
  }

  async stopAll(): Promise<void> {
    // SIGTERM first when profiling, so the profiles get written.
    if (process.env.DISCALC_PROFILE_DIR) {
      for (const p of this.procs) this.signal(p, "SIGTERM");
      await Promise.race([Promise.all(this.procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 8000))]);
    }
    for (const p of this.procs) this.signal(p, "SIGKILL");
    await Promise.all(this.procs.map((p) => p.exited));
    for (const p of this.procs) p.child.stdout?.destroy(), p.child.stderr?.destroy();
  }
}

class ControllerExited extends Error {}

/** Polls `fn` until it gives a value; errors it throws are retried, except those of the `fatal` class. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null>, timeoutMs: number, what: string, dump?: () => string,
  fatal?: new (...args: never[]) => Error,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      if (fatal && err instanceof fatal) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}${dump ? `\n${dump()}` : ""}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

// The API's shapes: the protocol's own schemas, not copies.
export type { TrialView as ApiTrial, SweepView as ApiSweep, NodeView as ApiNode } from "../../protocol/api.ts";
