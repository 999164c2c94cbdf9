// Seeded generator of malformed requests for the fuzzer: every route of the protocol and
// the API, wrong methods and paths, broken queries, cookies, headers and bodies.
import { deflate } from "pako";
import { routes } from "../../protocol/routes.ts";
import { api } from "../../protocol/api.ts";
import { mulberry32 } from "../mulberry32.ts";

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** One line that says what was sent, for the failure report. */
  describe: string;
}

/** Seeded (the host's one generator), the same sequence everywhere. */
export function prng(seed: number) {
  const u32 = mulberry32(seed);
  const next = () => u32() / 4294967296;
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const PATHS = [
  ...Object.values(routes).map((r) => r.path.replace(":sha", "0".repeat(64))),
  ...Object.values(api).map((r) => r.path.replace(":id", "1")),
  "/", "/v1", "/v1/", "/v2/work", "/v1/blobs/", "/v1/blobs/..%2F..%2Fdiscalc.sqlite", "/v1/blobs/%2e%2e%2f%2e%2e",
  "/v1/blobs/ABC", "/v1//work", "/api/sweeps/-1", "/api/sweeps/abc", "/api/sweeps/99999999999999999999", "/api/nodes/%00/stats",
  "/api/nodes/r-000000000000/stats", "/v1/work/../leases", "/%ff%fe", "/v1/join/../../etc/passwd",
  "/api/trials/-1", "/api/trials/abc", "/api/trials/99999999999999999999", "/api/sweeps/1/leaderboard", "/api/sweeps/x/leaderboard",
];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const KEYS = [
  "free", "wait", "seq", "running", "threads", "role", "host", "node", "n", "port", "url", "sweep", "trial", "kind", "state", "label", "gflops",
  "limit", "cursor", "metrics", "order", "renew", "x", "", "free[]", "__proto__", "constructor",
];
const VALUES = [
  "", "0", "-1", "1", "1e3", "NaN", "Infinity", "99999999999999999999", "1.5", "0x10", " 1", "abc", "null", "[]", "{}", "%00", "%zz",
  "worker", "relay", "boss", "pause", "explode", "1:1,2", "1:1,2:2,", "w-zzzz", "http://evil", "javascript:alert(1)", "💥", "a".repeat(5000),
  "1000", "1001", "best", "id", "9".repeat(400), "1.0000001",
];
const ENCODINGS = ["deflate", "gzip", "br", "identity", "deflate, gzip", "x"];

export function fuzzRequest(r: ReturnType<typeof prng>, cookies: { worker: string; relay: string }): FuzzRequest {
  const method = r.next() < 0.6 ? (r.next() < 0.5 ? "GET" : "POST") : r.pick(METHODS);
  let path = r.pick(PATHS);
  const q = new URLSearchParams();
  for (let i = r.int(4); i > 0; i--) q.append(r.pick(KEYS), r.pick(VALUES));
  const query = q.toString();
  if (query || r.next() < 0.1) path += `?${query}${r.next() < 0.1 ? "&&=&" : ""}`;
  const headers: Record<string, string> = {};
  const cookieKind = r.int(6);
  if (cookieKind === 1) headers.cookie = cookies.worker;
  else if (cookieKind === 2) headers.cookie = cookies.relay;
  else if (cookieKind === 3) headers.cookie = cookies.worker.replace(/\.[A-Za-z0-9_-]{10}$/, `.${"A".repeat(10)}`); // a forged signature
  else if (cookieKind === 4) headers.cookie = `discalc_id=${r.pick(["relay:r-000000000000", "admin", "%%%", "e30.AAAA", `${"A".repeat(40)}.${"B".repeat(86)}`])}`;
  else if (cookieKind === 5) headers.cookie = "a".repeat(r.int(3000));
  const auth = r.int(5);
  if (auth === 1) headers.authorization = "Bearer wrong-token";
  else if (auth === 2) headers.authorization = r.pick(["Basic abc", "Bearer", "Bearer  x y", "bearer t", "x".repeat(600)]);
  let body: Uint8Array | undefined;
  let bodyKind = "none";
  if (method !== "GET" && method !== "HEAD" && r.next() < 0.7) {
    const kind = r.int(6);
    const text = [
      () => "{not json",
      () => JSON.stringify({ batchId: r.pick(VALUES), results: [{ trialId: r.pick([-1, 0, 1, 1e20, "1"]), attempt: 1, status: r.pick(["done", "won", ""]) }] }),
      () => JSON.stringify({ items: [{ trialId: 1, attempt: 1, step: r.pick([0, 1, 1e9, -1, "1"]), values: r.pick([{ epoch: "x" }, { "bad name": 1 }, { ok: 1 }, []]) }] }),
      () => JSON.stringify({ stats: {}, held: [{ trialId: 1 }], released: "no" }),
      () => JSON.stringify(r.pick([null, 1, "s", [], { __proto__: { admin: true } }])),
      () => String.fromCharCode(...Array.from({ length: r.int(2000) }, () => r.int(256))),
    ][kind]!();
    body = new TextEncoder().encode(text);
    bodyKind = `json${kind}`;
    const enc = r.int(4);
    if (enc === 1) {
      headers["content-encoding"] = "deflate";
      body = r.next() < 0.5 ? deflate(body) : body; // half of them lie about their encoding
      bodyKind += "+deflate";
    } else if (enc === 2) {
      headers["content-encoding"] = r.pick(ENCODINGS);
    }
    headers["content-type"] = r.pick(["application/json", "text/plain", "application/octet-stream", "multipart/form-data; boundary=x"]);
  }
  return { method, path, headers, body, describe: `${method} ${path.slice(0, 160)} cookie=${cookieKind} auth=${auth} body=${bodyKind}` };
}
