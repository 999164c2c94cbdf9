// Tests of the route table: URLs built by routeUrl, each route's query schema (good values
// pass and are converted, bad ones are refused naming the rule), and the trial-list format.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { z } from "zod";
import { routes, routeUrl, formatTrialList, parseTrialList, type RouteName } from "./routes.ts";

const SHA = "0123456789abcdef".repeat(4);

/** The issues of a query that must fail, as "path: message" lines. */
function problems(name: RouteName, query: Record<string, string>): string[] {
  const parsed = (routes[name].query as z.ZodType).safeParse(query);
  assert.equal(parsed.success, false, `${name} ${JSON.stringify(query)} should be refused`);
  return parsed.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}
function accepts(name: RouteName, query: Record<string, string>): unknown {
  const parsed = (routes[name].query as z.ZodType).safeParse(query);
  assert.ok(parsed.success, `${name} ${JSON.stringify(query)}: ${JSON.stringify(parsed.error?.issues)}`);
  return parsed.data;
}

test("routeUrl builds paths with query parameters, skipping undefined", () => {
  assert.equal(routeUrl("http://ctl:7070", "work", { free: 3, wait: 25_000, seq: undefined }), "http://ctl:7070/v1/work?free=3&wait=25000");
  assert.equal(routeUrl("http://ctl:7070/", "leases", { n: 8 }), "http://ctl:7070/v1/leases?n=8");
  assert.equal(routeUrl("http://ctl:7070", "bootstrap"), "http://ctl:7070/v1/bootstrap.mjs");
  assert.equal(routeUrl("http://10.0.0.2:8080", "join", { threads: 4, role: "relay" }), "http://10.0.0.2:8080/v1/join?threads=4&role=relay");
  // Query values are encoded.
  const running = formatTrialList([{ trialId: 1, attempt: 2 }, { trialId: 3, attempt: 1 }]);
  const url = new URL(routeUrl("http://ctl:7070", "work", { free: 0, running }));
  assert.equal(url.searchParams.get("running"), "1:2,3:1");
  assert.deepEqual(accepts("work", Object.fromEntries(url.searchParams)), { free: 0, running: "1:2,3:1" });
});

test("routeUrl fills path parameters, encoded", () => {
  assert.equal(routeUrl("http://relay:9000", "blob", {}, { sha: SHA }), `http://relay:9000/v1/blobs/${SHA}`);
  assert.equal(routeUrl("http://relay:9000", "blob", {}, { sha: "a/b?c" }), "http://relay:9000/v1/blobs/a%2Fb%3Fc");
  assert.equal(routeUrl("http://relay:9000", "blob"), "http://relay:9000/v1/blobs/", "a missing path parameter leaves the segment empty");
});

test("routeUrl keeps the path of a base URL (a relay behind a proxy prefix)", () => {
  assert.equal(routeUrl("http://proxy.lab/relay-1", "work", { free: 1 }), "http://proxy.lab/relay-1/v1/work?free=1");
});

test("work: accepts good queries and converts numbers", () => {
  assert.deepEqual(accepts("work", { free: "0" }), { free: 0 });
  assert.deepEqual(
    accepts("work", { free: "1024", wait: "60000", seq: "17", running: "4:1,5:2", threads: "8", gflops: "12.5", host: "lab-pc_07.local" }),
    { free: 1024, wait: 60_000, seq: 17, running: "4:1,5:2", threads: 8, gflops: 12.5, host: "lab-pc_07.local" },
  );
  assert.deepEqual(accepts("work", { free: "2", running: "" }), { free: 2, running: "" }, "an empty running list");
  assert.deepEqual(accepts("work", { free: "0", running: "4:1,5:2", reserve: "5:2" }), { free: 0, running: "4:1,5:2", reserve: "5:2" }, "the unstarted ones");
  assert.deepEqual(problems("work", { free: "0", reserve: "5" }), ["reserve: must be a comma list of trialId:attempt"]);
});

test("work: refuses bad values naming the rule", () => {
  assert.deepEqual(problems("work", { free: "abc" }), ["free: must be an integer"]);
  assert.deepEqual(problems("work", { free: "1.5" }), ["free: must be an integer"]);
  assert.deepEqual(problems("work", { free: "-1" }), ["free: must be at least 0"]);
  assert.deepEqual(problems("work", { free: "5000" }), ["free: must be at most 1024"]);
  assert.deepEqual(problems("work", { free: "1", wait: "60001" }), ["wait: must be at most 60000"]);
  assert.deepEqual(problems("work", { free: "1", running: "1:2,x" }), ["running: must be a comma list of trialId:attempt"]);
  assert.deepEqual(problems("work", { free: "1", running: "1:2," }), ["running: must be a comma list of trialId:attempt"]);
  assert.deepEqual(problems("work", { free: "1", gflops: "-3" }), ["gflops: must be a number 0..999999 with at most 6 decimals"]);
  assert.deepEqual(problems("work", { free: "1", gflops: "9".repeat(400) }), ["gflops: must be a number 0..999999 with at most 6 decimals"], "never Infinity");
  assert.deepEqual(problems("work", { free: "1", host: "bad host!" }), ["host: must be a host name"]);
  assert.equal(problems("work", {}).length, 1, "free is required");
  assert.match(problems("work", {})[0]!, /^free: /);

  const unknown = (routes.work.query as z.ZodType).safeParse({ free: "1", frees: "2" });
  assert.equal(unknown.success, false);
  const issue = unknown.error!.issues[0]!;
  assert.equal(issue.code, "unrecognized_keys");
  assert.deepEqual((issue as { keys: string[] }).keys, ["frees"]);
  assert.match(issue.message, /frees/);
});

test("join: accepts good queries and refuses bad ones naming the rule", () => {
  assert.deepEqual(accepts("join", { threads: "16" }), { threads: 16 });
  assert.deepEqual(accepts("join", { threads: "1", role: "relay", host: "pc-1", node: "w-0123456789ab" }), { threads: 1, role: "relay", host: "pc-1", node: "w-0123456789ab" });
  assert.deepEqual(accepts("join", { threads: "1024", role: "worker" }), { threads: 1024, role: "worker" });

  assert.deepEqual(problems("join", { threads: "0" }), ["threads: must be at least 1"]);
  assert.deepEqual(problems("join", { threads: "1025" }), ["threads: must be at most 1024"]);
  const role = problems("join", { threads: "2", role: "boss" });
  assert.equal(role.length, 1);
  assert.match(role[0]!, /^role: .*relay.*worker/, "names the allowed roles");
  assert.deepEqual(problems("join", { threads: "2", role: "controller" }).length, 1, "nobody joins as the controller");
  assert.deepEqual(problems("join", { threads: "2", node: "x" }), ["node: must be a node id"]);
  assert.deepEqual(problems("join", { threads: "2", node: "w-0123456789AB" }), ["node: must be a node id"]);
  assert.equal(problems("join", { threads: "2", token: "t" }).length, 1, "an unknown key is refused");
});

test("other routes' queries: leases, heartbeat, and routes that take none", () => {
  assert.deepEqual(accepts("leases", { n: "10000" }), { n: 10_000 });
  assert.deepEqual(problems("leases", { n: "0" }), ["n: must be at least 1"]);
  assert.deepEqual(problems("leases", { n: "10001" }), ["n: must be at most 10000"]);

  assert.deepEqual(accepts("heartbeat", { port: "9000", seq: "3" }), { port: 9000, seq: 3 });
  assert.deepEqual(accepts("heartbeat", { url: "https://relay.lab:8443/" }), { url: "https://relay.lab:8443/" });
  assert.deepEqual(problems("heartbeat", { port: "65536" }), ["port: must be at most 65535"]);
  assert.equal(problems("heartbeat", { url: "ftp://relay.lab/" }).length, 1, "only http(s) relay URLs");

  for (const name of ["bootstrap", "blob", "metrics", "results", "stats"] as const) {
    assert.deepEqual(accepts(name, {}), {});
    assert.equal(problems(name, { x: "1" }).length, 1, `${name} takes no query`);
  }
});

test("every route is under /v1/ with the method of the DESIGN table (the poll as agents send it)", () => {
  const table = Object.fromEntries(Object.entries(routes).map(([name, r]) => [name, `${r.method} ${r.path}`]));
  assert.deepEqual(table, {
    bootstrap: "GET /v1/bootstrap.mjs",
    join: "POST /v1/join",
    blob: "GET /v1/blobs/:sha",
    // DESIGN's GET /v1/work is served too (relay routes): agents POST, their trial lists in the body.
    work: "POST /v1/work",
    metrics: "POST /v1/metrics",
    rung: "POST /v1/rung",
    checkpoint: "POST /v1/checkpoints",
    restore: "GET /v1/checkpoints/:sha",
    results: "POST /v1/results",
    heartbeat: "POST /v1/heartbeat",
    leases: "GET /v1/leases",
    stats: "GET /v1/stats",
  });
});

test("formatTrialList and parseTrialList round-trip", () => {
  const refs = [{ trialId: 1, attempt: 1 }, { trialId: 42, attempt: 3 }, { trialId: 100_000, attempt: 12 }];
  const text = formatTrialList(refs);
  assert.equal(text, "1:1,42:3,100000:12");
  assert.deepEqual(parseTrialList(text), refs);
  assert.equal(formatTrialList([]), "");
  assert.deepEqual(parseTrialList(""), []);
  assert.deepEqual(parseTrialList(undefined), []);
  // What formatTrialList writes, the work route's schema accepts.
  assert.deepEqual(accepts("work", { free: "1", running: text }), { free: 1, running: text });
});
