// The CLI as a new user meets it: --help and -h on every command print its usage and exit 0;
// a usage error shows that command's usage; a controller URL typed without a scheme works.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Cluster, waitFor } from "./cluster.ts";

const CLI = fileURLToPath(new URL("../../bin/discalc.mjs", import.meta.url));
const discalc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
const COMMANDS = ["run", "controller", "join", "relay", "sweep", "deploy", "export", "status", "best", "train", "artifact", "bench"];

test("--help and -h on every command print that command's usage and exit 0", () => {
  for (const command of COMMANDS) {
    for (const flag of ["--help", "-h"]) {
      const r = discalc(command, flag);
      assert.equal(r.status, 0, `discalc ${command} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: discalc ${command} `), `discalc ${command} ${flag}`);
      assert.doesNotMatch(r.stdout, /^commands:/m, "its own usage, not every command's");
    }
  }
  // Among other options too, and for a subcommand.
  assert.equal(discalc("run", "examples/xor.yaml", "--threads", "2", "--help").status, 0);
  assert.match(discalc("sweep", "extend", "-h").stdout, /^usage: discalc sweep extend --controller URL/);
  assert.match(discalc("help", "best").stdout, /^usage: discalc best --sweep ID/);
  assert.match(discalc("artifact", "get", "-h").stdout, /^usage: discalc artifact get --trial N --out FILE/);
  const all = discalc("--help");
  assert.equal(all.status, 0);
  for (const command of COMMANDS) assert.match(all.stdout, new RegExp(`^ {2}${command} `, "m"));
  assert.equal(discalc().status, 2, "no command at all is a usage error");
});

test("a usage error names the problem and shows that command's usage, exit 2", () => {
  const r = discalc("join", "--controller", "http://127.0.0.1:1", "--token", "x", "--threads", "0");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^discalc: --threads must be an integer 1\.\.1024, got "0"\n\nusage: discalc join /);
  const noOut = discalc("artifact", "get", "--trial", "3", "--data", "/nonexistent");
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /^discalc: --out is required\n\nusage: discalc artifact get /);
  const bad = discalc("status", "--controller", "ftp://lab-pc");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--controller must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/lab-pc"/);
});

const c = new Cluster();
after(() => c.stopAll());

test("a controller URL without a scheme is taken as http://: join and status work at once", async () => {
  await c.startController(c.writeConfig("scheme", {
    name: "scheme", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [2] }, train: { epochs: 1, batch: 8, lr: 0.1 }, search: { repeats: 2 },
  }));
  const bare = c.url.replace(/^http:\/\//, "");
  const agent = c.spawn("agent", ["join", "--controller", bare, "--token", c.token, "--threads", "1"]);
  await waitFor(async () => (await c.client.getAll("trials", { sweep: 1 })).every((t) => t.state === "done"), 60_000, "the sweep to end", () => c.dump());
  assert.ok(!agent.log.some((l) => /Invalid URL|cannot join/.test(l)), agent.log.join("\n"));
  const status = discalc("status", "--controller", bare);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /"scheme"/);
});
