// A real PostgreSQL server for the tests: Debian's postgresql-15 binaries, initdb and pg_ctl
// into a temp folder, on a free loopback port. PostgreSQL refuses to run as root, so as root
// the server runs as the `postgres` user (runuser). Each caller gets its own databases.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./cluster.ts";

export interface PostgresServer {
  /** A URL for a database of this server. */
  url(db: string): string;
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): void;
}

/** The folder of initdb and pg_ctl (the newest Debian postgresql), or undefined when none is installed. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, "bin") : undefined;
}

/** Why these tests cannot start a server here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!postgresBin()) return "PostgreSQL is not installed (apt-get install postgresql-15; .ci/run does)";
  if (process.getuid?.() === 0 && spawnSync("id", ["postgres"]).status !== 0) return "running as root without a postgres user to run the server as";
  return undefined;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin()!;
  const dir = mkdtempSync(join(tmpdir(), "discalc-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  // As root: the same command as the postgres user.
  const run = (cmd: string, args: string[]) => (asRoot ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio: "pipe" })
    : execFileSync(join(bin, cmd), args, { stdio: "pipe" }));
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  // fsync off: a test server's durability is not under test (and it is much faster).
  run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, "start"]);
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: url("postgres") });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    url,
    async createDatabase(name) {
      await admin((c) => c.query(`CREATE DATABASE "${name}"`));
      return url(name);
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
