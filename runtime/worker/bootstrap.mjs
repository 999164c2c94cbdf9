// discalc bootstrap — the downloader. Dependency-free (Node.js 20 only): joins the
// controller, learns its role and relay, downloads the node bundle, refuses it unless its
// SHA-256 is the one the controller named, and runs it from memory. When the bundle asks
// (update, lost relay), it joins again and loads the bundle the controller names then.
// The controller serves this file at /v1/bootstrap.mjs with its route table filled in.
import { createHash } from "node:crypto";
import { hostname, availableParallelism, cpus } from "node:os";
import { readFileSync } from "node:fs";

const ROUTES = /*DISCALC_ROUTES*/ null;

const log = (msg) => console.error(`[discalc ${new Date().toISOString()}] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * opts: { controller, token, threads?, role?, host?, relayPort?, advertise?, listen?, exitWhenIdle?, termGrace?, routes? }
 * Resolves with the exit code when the node is told to stop.
 */
export async function main(opts) {
  const routes = opts.routes ?? ROUTES;
  if (!routes) throw new Error("bootstrap has no route table: fetch it from the controller's /v1/bootstrap.mjs");
  const threads = opts.threads ?? grantedThreads().threads;
  const host = (opts.host ?? hostname()).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 253) || "host";
  let nodeId;
  let cookie = "";
  let failures = 0;
  let relayPort = opts.relayPort;
  /** Joining again for an update: keep this node's role and relay (as an identity renewal does); a lost relay is the other reason. */
  let keep = false;
  /** A relay reloading holds its port (answering, idle) until the new bundle is ready: this lets go. */
  let release;
  for (;;) {
    let joined;
    try {
      joined = await join(opts, routes, { threads, host, nodeId, cookie, keep });
      failures = 0;
      keep = false;
    } catch (err) {
      if (err.fatal) throw err;
      failures++;
      log(`cannot join ${opts.controller} (${err.message}); retrying`);
      await sleep(Math.min(500 * failures, 5000));
      continue;
    }
    const { info } = joined;
    cookie = joined.cookie;
    nodeId = info.nodeId;
    const source = await fetchBundle(routes, info, cookie);
    if (!source) {
      await sleep(2000);
      continue;
    }
    const mod = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
    if (release) await release().catch(() => {});
    release = undefined;
    const outcome = await mod.runNode({
      join: info, cookie, controller: opts.controller, token: opts.token, threads, host,
      bundleSource: source, relayPort, advertise: opts.advertise, listen: opts.listen, log,
      exitWhenIdleMs: opts.exitWhenIdle === undefined ? undefined : opts.exitWhenIdle * 1000,
      termGraceMs: opts.termGrace === undefined ? undefined : opts.termGrace * 1000,
    });
    if (outcome.next === "exit") return outcome.code;
    // A relay reloading serves again where its workers know it.
    if (outcome.relayPort !== undefined) relayPort = outcome.relayPort;
    keep = outcome.next === "update";
    release = outcome.release;
    log(outcome.next === "update" ? "loading the new bundle" : "joining again");
  }
}

async function join(opts, routes, { threads, host, nodeId, cookie, keep }) {
  const url = new URL(routes.join, opts.controller);
  url.searchParams.set("threads", String(threads));
  url.searchParams.set("host", host);
  if (opts.role) url.searchParams.set("role", opts.role);
  if (nodeId) url.searchParams.set("node", nodeId);
  if (nodeId && keep) url.searchParams.set("renew", "1");
  // Our current identity, if any: the controller keeps our id only for the node that proves it.
  const headers = { authorization: `Bearer ${opts.token}`, ...(cookie ? { cookie } : {}) };
  const res = await fetch(url, { method: "POST", headers });
  if (!res.ok) {
    const text = await res.text();
    const err = new Error(`join refused: ${res.status} ${text}`);
    err.fatal = res.status === 401 || res.status === 403 || res.status === 400;
    throw err;
  }
  const info = await res.json();
  const identity = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  log(`joined as ${info.role} ${info.nodeId}${info.role === "worker" ? `, relay ${info.relayUrl}` : ""}`);
  return { info, cookie: identity };
}

/** The bundle from the relay (workers) or the controller (relays), checked against its hash. */
async function fetchBundle(routes, info, cookie) {
  const sources = info.role === "worker" ? [info.relayUrl, info.controllerUrl] : [info.controllerUrl];
  for (const base of sources) {
    try {
      const res = await fetch(new URL(routes.blob.replace(":sha", info.bundleSha), base), { headers: { cookie } });
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const sha = createHash("sha256").update(bytes).digest("hex");
      if (sha === info.bundleSha) return new TextDecoder().decode(bytes);
      log(`REFUSED bundle from ${base}: SHA-256 ${sha}, the controller named ${info.bundleSha}`);
    } catch (err) {
      log(`cannot download the bundle from ${base}: ${err.message}`);
    }
  }
  return undefined;
}

/**
 * The threads this process was granted, in this order: Slurm's SLURM_CPUS_PER_TASK, the cgroup
 * CPU quota (v2 cpu.max, or v1 cfs_quota/cfs_period), the CPU affinity mask (what Node's
 * availableParallelism reports on Linux), the core count. `env` and `read` are injectable for tests.
 */
export function grantedThreads(env = process.env, read = (path) => readFileSync(path, "utf8")) {
  const slurm = Number(env.SLURM_CPUS_PER_TASK);
  if (Number.isInteger(slurm) && slurm > 0) return { threads: slurm, source: "SLURM_CPUS_PER_TASK" };
  const quota = cgroupQuota(read);
  const affinity = availableParallelism();
  if (quota !== null) return { threads: Math.max(1, Math.min(Math.ceil(quota), affinity)), source: "cgroup CPU quota" };
  if (affinity < cpus().length) return { threads: affinity, source: "CPU affinity" };
  return { threads: affinity, source: "cores" };
}

/** CPUs the cgroup allows (quota / period), or null without a limit. */
function cgroupQuota(read) {
  const attempt = (fn) => { try { return fn(); } catch { return undefined; } };
  const v2 = attempt(() => read("/sys/fs/cgroup/cpu.max").trim().split(/\s+/));
  if (v2 && v2[0] !== "max" && Number(v2[0]) > 0 && Number(v2[1]) > 0) return Number(v2[0]) / Number(v2[1]);
  if (v2 && v2[0] === "max") return null;
  const q = attempt(() => Number(read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").trim()));
  const p = attempt(() => Number(read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").trim()));
  return q !== undefined && p !== undefined && q > 0 && p > 0 ? q / p : null;
}
