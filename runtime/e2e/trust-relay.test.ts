// Adversarial, with real daemons on 127.0.0.1: a relay that lies to its workers. A real relay
// daemon advertises the address of a proxy in this test, which alters every lease on its way
// to the worker (an experiment blob of its own that writes a file when imported, a dataset of
// its own, a changed config), serves those blobs, and slips in a shutdown the controller never
// issued. The worker must run none of it, leave that relay, and the sweep must still end with
// every trial run as the controller leased it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Cluster, waitFor, freePort, type Proc } from "./cluster.ts";
import { encodeExperimentBlob } from "../experiments/experiment-blob.ts";

const c = new Cluster();
let proxy: http.Server | undefined;
after(async () => {
  proxy?.close();
  proxy?.closeAllConnections();
  await c.stopAll();
});

const MARKER = join(c.dir, "relay-code-ran");
// Would write the marker the moment a worker thread imports it, with a worker's full Node access.
const EVIL = encodeExperimentBlob({
  name: "evil",
  code: `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(MARKER)}, "ran");
export default { run() { writeFileSync(${JSON.stringify(MARKER)}, "ran"); return { metrics: { x: 1 }, state: new Uint8Array(1) }; } };`,
  wasm: null,
});
const EVIL_DATA = new TextEncoder().encode("not the controller's data");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const EVIL_SHA = sha(EVIL);
const EVIL_DATA_SHA = sha(EVIL_DATA);

/** Forwards to the relay at `target`, altering work answers and serving its own blobs; counts what it did. */
function lyingRelay(target: number) {
  const done = { altered: 0, forgedCommands: 0, blobsServed: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === `/v1/blobs/${EVIL_SHA}` || req.url === `/v1/blobs/${EVIL_DATA_SHA}`) {
      done.blobsServed++;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return void res.end(Buffer.from(req.url.endsWith(EVIL_SHA) ? EVIL : EVIL_DATA));
    }
    const body: Buffer[] = [];
    req.on("data", (b: Buffer) => body.push(b));
    req.on("end", () => {
      const up = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on("data", (b: Buffer) => chunks.push(b));
        upRes.on("end", () => {
          let out = Buffer.concat(chunks);
          const headers = { ...upRes.headers };
          if (req.url?.startsWith("/v1/work") && upRes.statusCode === 200 && !headers["content-encoding"]) {
            const answer = JSON.parse(out.toString()) as { trials: Array<Record<string, unknown>>; commands: Array<Record<string, unknown>> };
            for (const l of answer.trials) {
              l.experiment = { name: "evil", sha: EVIL_SHA };
              l.datasets = Object.fromEntries(Object.keys(l.datasets as object).map((k) => [k, EVIL_DATA_SHA]));
              (l.config as { train: { lr: number } }).train.lr = 123;
              done.altered++;
            }
            if (answer.trials.length && !done.forgedCommands) {
              answer.commands.push({ seq: 1_000_000, kind: "shutdown", sweepId: null, trialId: null, bundleSha: null, at: Date.now() });
              done.forgedCommands++;
            }
            out = Buffer.from(JSON.stringify(answer));
            headers["content-length"] = String(out.length);
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(out);
        });
      });
      up.on("error", () => res.writeHead(502).end());
      up.end(Buffer.concat(body));
    });
  });
  return { server, done };
}

test("a relay that alters leases and commands gets nothing run; its worker leaves it and the sweep ends as leased", async () => {
  const config = c.writeConfig("lying-relay", {
    name: "lying-relay", dataset: { name: "xor", train: 40, test: 10 }, model: { hidden: [4] },
    train: { epochs: 2, batch: 8, lr: 0.1 }, search: { repeats: 6 }, leaseSeconds: 30,
  });
  await c.startController(config);
  const relayPort = await freePort();
  const proxyPort = await freePort();
  const liar = lyingRelay(relayPort);
  proxy = liar.server;
  await new Promise<void>((r) => liar.server.listen(proxyPort, "127.0.0.1", r));
  const relay = c.spawn("relay", [
    "relay", "--controller", c.url, "--token", c.relayToken, "--port", String(relayPort), "--listen", "127.0.0.1",
    "--advertise", `http://127.0.0.1:${proxyPort}`,
  ]);
  // Workers are sent to the proxy once the relay has told the controller where it serves.
  await waitFor(async () => (await c.client.getAll("nodes")).some((n) => n.role === "relay" && n.url === `http://127.0.0.1:${proxyPort}`), 20_000, "the relay's first heartbeat", () => c.dump());
  const agent: Proc = c.startAgent(1);

  await waitFor(async () => agent.log.some((l) => /rejoined: relay is now/.test(l)), 30_000, "the worker to leave the lying relay", () => c.dump());
  assert.ok(liar.done.altered > 0, "the proxy altered leases");
  assert.equal(liar.done.forgedCommands, 1, "and forged a shutdown");
  assert.ok(agent.log.some((l) => /REFUSED from relay http:\/\/127\.0\.0\.1:\d+: trial \d+ attempt \d+: its signature is not the controller's/.test(l)), c.dump());
  assert.ok(agent.log.some((l) => /REFUSED from relay .*: command 1000000 \(shutdown\): it is not signed/.test(l)), c.dump());
  // The relay holds the trials it prefetched (a relay may delay work): stopping it hands them back.
  c.signal(relay, "SIGTERM");
  const trials = await waitFor(async () => {
    const t = await c.client.getAll("trials", { sweep: 1 });
    return t.length === 6 && t.every((x) => x.state === "done") ? t : undefined;
  }, 60_000, "every trial done", () => c.dump());
  assert.equal(existsSync(MARKER), false, "the relay's code never ran");
  assert.equal(liar.done.blobsServed, 0, "nothing was even fetched from it");
  assert.equal(agent.child.exitCode, null, "the forged shutdown did not stop the worker");
  for (const t of trials) {
    assert.equal(t.params["train.lr"] ?? 0.1, 0.1);
    assert.ok(t.final?.testAccuracy !== undefined, `trial ${t.id} ran the built-in network`);
  }
  // Each repeat's hash is its own seed's: the same as an honest fleet's (sweep.test.ts reproduces them with discalc train).
  assert.equal(new Set(trials.map((t) => t.resultSha256)).size, 6);
});
