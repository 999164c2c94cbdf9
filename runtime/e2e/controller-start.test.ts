// End to end: what a controller leaves on disk and prints at start. Its data folder and the
// files holding its key and tokens are its owner's alone; the join lines it prints name a URL
// (--advertise) and carry no token unless --print-token, and then only in the environment of
// the node they start, never in its argv; and those exact lines join a machine.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster, waitFor, freePort, type Proc } from "./cluster.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

const SWEEP = {
  name: "start-xor",
  dataset: { name: "xor", train: 200, test: 50 },
  model: { hidden: [4], activation: "tanh" },
  train: { epochs: 2, batch: 16, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.03, 0.3] } },
};

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/**
 * The one-line join the controller printed (the line after "join a machine …:", past a hint).
 * Printed just after "listening", which is all startController waits for: waited for too.
 */
async function printedOneLiner(ctl: Proc): Promise<string> {
  // The relays' line comes last: by then every join line is in.
  await waitFor(async () => ctl.log.some((l) => l.includes("relays: discalc relay")), 10_000, "the join lines", () => ctl.log.join("\n"));
  const line = ctl.log.find((l) => /^ {2}(DISCALC_TOKEN=\S+ )?node -e /.test(l));
  assert.ok(line, `no one-line join printed:\n${ctl.log.join("\n")}`);
  return line.trim();
}

/** Runs the printed line as a user would, from a script (so no shell's argv holds it); waits for a worker to join. */
async function joinWith(c: Cluster, name: string, line: string, env: Record<string, string> = {}): Promise<Proc> {
  const script = join(c.dir, `${name}.sh`);
  writeFileSync(script, `${line}\n`);
  const p = c.spawn(name, ["sh", script], { node: false, env });
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "worker" && n.state === "alive"), 30_000, "the worker to join", () => c.dump());
  return p;
}

test("the data folder is 0700 (an existing one made so), the store, its WAL and shared memory, the admin token and blobs 0600; no token is printed", { timeout: 90_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  mkdirSync(data, { mode: 0o755 });
  // What a controller would get under the most common umask without its own modes.
  const umask = process.umask(0o022);
  let ctl: Proc;
  try {
    ctl = await c.startController(c.writeConfig("start", SWEEP), { data, generateAdminToken: true });
  } finally {
    process.umask(umask);
  }
  assert.equal(mode(data), "700");
  for (const f of ["discalc.sqlite", "discalc.sqlite-wal", "discalc.sqlite-shm", "admin-token"]) assert.equal(mode(join(data, f)), "600", f);
  assert.equal(mode(join(data, "blobs")), "700");
  const blobs = readdirSync(join(data, "blobs"));
  assert.ok(blobs.length >= 2, `the dataset and bundle blobs: ${blobs.join(", ")}`);
  for (const b of blobs) assert.equal(mode(join(data, "blobs", b)), "600", b);

  // The printed line reads the token from DISCALC_TOKEN, says so, and joins with it set.
  const line = await printedOneLiner(ctl);
  assert.match(line, /^node -e "const t=process\.env\.DISCALC_TOKEN;/);
  assert.ok(ctl.log.some((l) => l.includes("first set DISCALC_TOKEN to the cluster token")), ctl.log.join("\n"));
  assert.match(ctl.log.join("\n"), /discalc join --controller http:\/\/127\.0\.0\.1:\d+ --token-file FILE \(or DISCALC_TOKEN/);
  // Without the variable the line stops before it fetches anything, saying what to set.
  const bare = c.spawn("no-token", ["sh", "-c", line], { node: false, env: { DISCALC_TOKEN: "" } });
  assert.notEqual(await bare.exited, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.match(bare.log.join("\n"), /set DISCALC_TOKEN to the cluster token first/);
  const agent = await joinWith(c, "printed-join", line, { DISCALC_TOKEN: c.token });

  // No process printed any token: not the controller (join lines, events), not the agent.
  const adminToken = readFileSync(join(data, "admin-token"), "utf8").trim();
  for (const p of [ctl, agent]) {
    for (const secret of [c.token, c.relayToken, adminToken]) assert.ok(!p.log.some((l) => l.includes(secret)), `${p.name} printed a token:\n${p.log.join("\n")}`);
  }
});

test("--print-token puts the token in the line's environment, never in node's argv; --advertise names the URL", { timeout: 90_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const port = await freePort();
  const ctl = await c.startController(c.writeConfig("start", SWEEP), { port, extra: ["--print-token", "--advertise", `http://localhost:${port}/`] });
  const line = await printedOneLiner(ctl);
  assert.ok(line.startsWith(`DISCALC_TOKEN='${c.token}' node -e "`), line);
  assert.ok(line.includes(`fetch('http://localhost:${port}/v1/`) && line.includes(`controller:'http://localhost:${port}'`), line);
  assert.ok(ctl.log.some((l) => l.includes(`discalc relay --controller http://localhost:${port} --token-file FILE`)), ctl.log.join("\n"));

  const sh = await joinWith(c, "printed-join", line);
  // The shell ran node as its child: the token is in node's environment, not its command line.
  const children = readFileSync(`/proc/${sh.child.pid}/task/${sh.child.pid}/children`, "utf8").trim().split(/\s+/);
  assert.equal(children.length, 1, `one node under the shell: ${children.join(" ")}`);
  const argv = readFileSync(`/proc/${children[0]}/cmdline`, "utf8");
  assert.match(argv, /process\.env\.DISCALC_TOKEN/);
  assert.ok(!argv.includes(c.token), argv);
  assert.ok(readFileSync(`/proc/${children[0]}/environ`, "utf8").split("\0").includes(`DISCALC_TOKEN=${c.token}`));
});

test("a --advertise that is not an http(s) URL stops the controller before it starts, naming the flag", { timeout: 30_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const p = c.spawn("bad-advertise", ["controller", "--config", c.writeConfig("start", SWEEP), "--port", "0", "--host", "127.0.0.1",
    "--data", join(c.dir, "data"), "--token", c.token, "--advertise", "10.0.0.5:7070"]);
  assert.equal(await p.exited, 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.match(p.log.join("\n"), /--advertise must be an http:\/\/ or https:\/\/ URL \(e\.g\. http:\/\/10\.0\.0\.5:7070\), got "10\.0\.0\.5:7070"/);
});
