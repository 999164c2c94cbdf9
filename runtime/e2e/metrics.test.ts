// End to end: Prometheus metrics. A small sweep runs through one relay and one agent; then
// the controller's and the relay's GET /metrics show what happened, every series named
// discalc_…; under --private the controller's /metrics asks for a token.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Cluster, waitFor } from "./cluster.ts";

const SWEEP = {
  name: "e2e-metrics",
  dataset: { name: "xor", train: 100, test: 20 },
  model: { hidden: [4] },
  train: { epochs: 1, batch: 8, lr: 0.1 },
  search: { repeats: 12 },
  relays: { fanout: 8 },
};

const open = new Cluster();
const closed = new Cluster();
after(async () => {
  await open.stopAll();
  await closed.stopAll();
});

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(new URL("/metrics", url), { headers });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

function assertAllPrefixed(text: string, who: string): void {
  const types = text.split("\n").filter((l) => l.startsWith("# TYPE "));
  assert.ok(types.length > 10, `${who}: ${types.length} metric families`);
  for (const l of types) assert.ok(l.split(" ")[2]!.startsWith("discalc_"), `${who}: ${l}`);
}

test("controller and relay /metrics describe a finished sweep", { timeout: 120_000 }, async () => {
  const c = open;
  await c.startController(c.writeConfig("metrics", SWEEP));
  c.startRelay();
  const relay = await waitFor(async () => {
    const nodes = await c.client.getAll("nodes");
    return nodes.find((n) => n.role === "relay" && n.url && n.state === "alive");
  }, 30_000, "the relay to heartbeat", () => c.dump());
  c.startAgent(1);
  const sweep = await waitFor(async () => {
    const s = await c.client.get("sweep", {}, { id: 1 });
    return s.state === "done" ? s : undefined;
  }, 90_000, "the sweep to finish", () => c.dump());
  assert.equal(sweep.counts.done, 12);
  const workers = (await c.client.getAll("nodes")).filter((n) => n.role === "worker");
  assert.ok(workers.length === 1 && workers[0]!.relay === relay.id, "the agent works under the relay");

  const ctl = await scrape(c.url);
  assert.equal(ctl.status, 200, ctl.text);
  assert.match(ctl.type ?? "", /^text\/plain; version=0\.0\.4/);
  const t = ctl.text;
  assert.match(t, /^discalc_trials\{state="done"\} 12$/m);
  assert.equal(sample(t, 'discalc_trials{state="queued"}'), 0);
  assert.equal(sample(t, "discalc_leases_active"), 0);
  assert.equal(sample(t, 'discalc_sweeps{state="done"}'), 1);
  assert.match(t, /^discalc_relays_alive 1$/m);
  assert.equal(sample(t, "discalc_workers_alive"), 1);
  assert.ok(sample(t, 'discalc_results_total{status="stored"}')! >= 12, "stored results counted");
  assert.equal(sample(t, 'discalc_results_total{status="refused"}'), 0);
  assert.ok(sample(t, "discalc_result_batches_total")! >= 1);
  assert.ok(sample(t, "discalc_heartbeats_total")! > 0, "heartbeats counted");
  assert.ok(sample(t, "discalc_leases_granted_total")! >= 12, "leases counted");
  const wire = sample(t, 'discalc_result_batch_bytes_total{encoding="wire"}')!;
  const raw = sample(t, 'discalc_result_batch_bytes_total{encoding="raw"}')!;
  assert.ok(wire > 0 && raw > wire, `result bytes: raw ${raw}, wire ${wire} (deflated)`);
  assert.ok(sample(t, "discalc_polls_total") !== undefined, "root relay polls exposed");
  assert.match(t, /^discalc_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/leases"[^}]*\} \d+$/m);
  assert.match(t, /^discalc_http_request_duration_seconds_count\{method="POST",route="\/v1\/results",status="2xx"\} [1-9]\d*$/m);
  assert.match(t, /^discalc_process_resident_memory_bytes \d+/m, "default process metrics, prefixed");
  assertAllPrefixed(t, "controller");

  // A request no route matches is timed under route="unmatched".
  assert.equal((await fetch(new URL("/v1/nowhere", c.url))).status, 404);
  assert.match((await scrape(c.url)).text, /^discalc_http_request_duration_seconds_count\{method="GET",route="unmatched",status="4xx"\} [1-9]/m);

  const rel = await scrape(relay.url!);
  assert.equal(rel.status, 200, rel.text);
  assert.match(rel.type ?? "", /^text\/plain; version=0\.0\.4/);
  const r = rel.text;
  assert.ok(sample(r, "discalc_relay_polls_total")! > 0, "relay polls counted");
  assert.ok(sample(r, "discalc_relay_results_uploaded_total")! >= 12, "relay uploaded every result");
  assert.equal(sample(r, "discalc_relay_buffered_results"), 0);
  assert.equal(sample(r, 'discalc_relay_workers{state="alive"}'), 1);
  assert.ok(sample(r, "discalc_relay_queued_trials") !== undefined && sample(r, "discalc_relay_running_trials") !== undefined);
  assert.equal(sample(r, "discalc_relay_upload_failures_total"), 0);
  assert.ok(sample(r, 'discalc_relay_result_bytes_total{encoding="raw"}')! > sample(r, 'discalc_relay_result_bytes_total{encoding="wire"}')!);
  assert.match(r, /^discalc_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/work"[^}]*\} \d+$/m);
  assertAllPrefixed(r, "relay");
});

test("under --private the controller's /metrics needs the cluster or admin token", { timeout: 60_000 }, async () => {
  const c = closed;
  await c.startController(c.writeConfig("metrics-private", SWEEP), { extra: ["--private"] });
  assert.equal((await scrape(c.url)).status, 401);
  assert.equal((await scrape(c.url, { authorization: "Bearer not-the-token" })).status, 403);
  const ok = await scrape(c.url, { authorization: `Bearer ${c.token}` });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.text, /^discalc_trials\{state="queued"\} 12$/m);
  assert.equal((await scrape(c.url, { authorization: `Bearer ${c.adminToken}` })).status, 200);
});
