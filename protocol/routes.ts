// The route table of DESIGN.md: every path, its query parameters and body, defined once.
// Daemons mount handlers by these names; clients build URLs only through `routeUrl`.
import { z } from "zod";
import {
  JoinResponse, WorkResponse, MetricsBatch, ResultBatch, ResultAck, HeartbeatRequest,
  HeartbeatResponse, LeasesResponse, RelayStats, NodeRole, Sha256, RungRequest, StateKind, StateStored,
} from "./messages.ts";
import { RungDecision } from "./early-stopping.ts";

/** A query parameter holding a decimal integer in [min, max]. */
export const intParam = (min: number, max: number) =>
  z.string()
    .regex(/^-?\d{1,15}$/, "must be an integer")
    .transform(Number)
    .pipe(z.int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const hostParam = z.string().min(1).max(253).regex(/^[A-Za-z0-9._-]+$/, "must be a host name");
// Up to 2 × (1,024 threads + a reserve of 256) trials of 10-digit ids: what a worker may list.
const trialList = z.string().max(60_000).regex(/^(\d+:\d+(,\d+:\d+)*)?$/, "must be a comma list of trialId:attempt");

/**
 * What a worker holds, in a poll's body: the lists run to tens of KB (2 × (threads + reserve)
 * trials), and in the URL they made every daemon take 64 KiB request heads, which any socket
 * may fill without a token. A GET poll may still carry short lists in its query.
 */
export const WorkLists = z.strictObject({
  /** Trials the worker is running (its lease renewals), trialId:attempt,… */
  running: trialList.optional(),
  /**
   * Which of `running` have not started (its reserve, in the order it would start them):
   * what the relay may ask back (WorkResponse.handBack) for idle threads elsewhere. A worker
   * that sends it may long-poll with free=0, to hear such a request at once.
   */
  reserve: trialList.optional(),
});

export interface RouteDef<Q extends z.ZodType = z.ZodType, B extends z.ZodType | null = z.ZodType | null, R extends z.ZodType = z.ZodType> {
  method: "GET" | "POST";
  path: string;
  query: Q;
  body: B;
  response: R;
}

const route = <Q extends z.ZodType, B extends z.ZodType | null, R extends z.ZodType>(d: RouteDef<Q, B, R>) => d;
const noQuery = z.strictObject({});

export const routes = {
  bootstrap: route({ method: "GET", path: "/v1/bootstrap.mjs", query: noQuery, body: null, response: z.string() }),
  join: route({
    method: "POST", path: "/v1/join",
    query: z.strictObject({
      /** Threads the machine would run: granted up to the controller's --max-threads (JoinResponse.threads). */
      threads: intParam(1, 1024),
      role: z.enum(["relay", "worker"]).optional(),
      host: hostParam.optional(),
      /**
       * A node joining again (its relay died, an update, renewing its identity) keeps its id,
       * but only when it presents that node's current identity cookie.
       */
      node: z.string().regex(/^[a-z]-[0-9a-f]{12}$/, "must be a node id").optional(),
      /** Renewing an identity: keep the node's role and (for a worker) its relay while that is alive. */
      renew: z.enum(["1"]).optional(),
    }),
    body: null, response: JoinResponse,
  }),
  blob: route({ method: "GET", path: "/v1/blobs/:sha", query: noQuery, body: null, response: z.instanceof(Uint8Array) }),
  /** A worker's poll: POST with its lists in the body (what agents send), or GET with short lists in the query. */
  work: route({
    method: "POST", path: "/v1/work",
    query: z.strictObject({
      free: intParam(0, 1024),
      wait: intParam(0, 60_000).optional(),
      /** Last command sequence number the worker applied. */
      seq: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
      /** As WorkLists, for a GET poll (a POST's body lists take their place). */
      running: trialList.optional(),
      reserve: trialList.optional(),
      /** Threads the worker runs: read only up to its identity's (fixed at join), so it may say fewer, never more. */
      threads: intParam(1, 1024).optional(),
      // Bounded digits, so no value turns into Infinity on its way upstream.
      gflops: z.string().regex(/^\d{1,6}(\.\d{1,6})?$/, "must be a number 0..999999 with at most 6 decimals").transform(Number).optional(),
      host: hostParam.optional(),
    }),
    body: WorkLists, response: WorkResponse,
  }),
  metrics: route({ method: "POST", path: "/v1/metrics", query: noQuery, body: MetricsBatch, response: z.object({ accepted: z.int() }) }),
  /**
   * A trial at a decision step of its sweep's stopping rule: stores the reports and answers
   * continue, prune, or pending (still undetermined after waiting up to `wait` ms).
   */
  rung: route({
    method: "POST", path: "/v1/rung",
    query: z.strictObject({
      trial: intParam(1, Number.MAX_SAFE_INTEGER),
      attempt: intParam(1, 1_000_000),
      /** The report number of the last of the reports in the body. */
      step: intParam(1, 1_000_000),
      wait: intParam(0, 60_000).optional(),
    }),
    body: RungRequest, response: RungDecision,
  }),
  /**
   * A running trial's state (a checkpoint, or its final state before its done result): the raw
   * bytes deflated in the body (application/octet-stream, content-encoding deflate), their
   * SHA-256 in the URL. Only the worker running that attempt (its relay, upstream) may store it.
   */
  checkpoint: route({
    method: "POST", path: "/v1/checkpoints",
    query: z.strictObject({
      trial: intParam(1, Number.MAX_SAFE_INTEGER),
      attempt: intParam(1, 1_000_000),
      /** The experiment's own step (epoch, iteration) the state was taken at. */
      step: intParam(0, Number.MAX_SAFE_INTEGER),
      sha: Sha256,
      kind: StateKind,
    }),
    body: z.instanceof(Uint8Array), response: StateStored,
  }),
  /**
   * A trial's stored checkpoint by its SHA-256 (the one its signed lease names), deflated: for
   * the attempt that resumes from it. Relays may cache it (content-addressed).
   */
  restore: route({
    method: "GET", path: "/v1/checkpoints/:sha",
    query: z.strictObject({ trial: intParam(1, Number.MAX_SAFE_INTEGER), attempt: intParam(1, 1_000_000) }),
    body: null, response: z.instanceof(Uint8Array),
  }),
  results: route({ method: "POST", path: "/v1/results", query: noQuery, body: ResultBatch, response: ResultAck }),
  heartbeat: route({
    method: "POST", path: "/v1/heartbeat",
    query: z.strictObject({
      /** The port the relay serves workers on; the controller pairs it with the request's address. */
      port: intParam(1, 65_535).optional(),
      /** Or the full URL, when the relay sits behind a proxy. */
      url: z.url({ protocol: /^https?$/ }).max(500).optional(),
      seq: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
    }),
    body: HeartbeatRequest, response: HeartbeatResponse,
  }),
  leases: route({ method: "GET", path: "/v1/leases", query: z.strictObject({ n: intParam(1, 10_000) }), body: null, response: LeasesResponse }),
  stats: route({ method: "GET", path: "/v1/stats", query: noQuery, body: null, response: RelayStats }),
} as const;

export type RouteName = keyof typeof routes;
type QueryInput<N extends RouteName> = z.input<(typeof routes)[N]["query"]>;
/** Query values as a caller gives them: numbers where the wire carries decimal strings. */
export type QueryOf<N extends RouteName> = { [K in keyof QueryInput<N>]: QueryInput<N>[K] | (NonNullable<QueryInput<N>[K]> extends string ? number : never) };
export type BodyOf<N extends RouteName> = (typeof routes)[N]["body"] extends z.ZodType ? z.output<NonNullable<(typeof routes)[N]["body"]>> : never;
export type ResponseOf<N extends RouteName> = z.output<(typeof routes)[N]["response"]>;

/** Builds the URL of a route on a base URL, with path parameters and query. */
export function routeUrl<N extends RouteName>(
  base: string, name: N, query: Record<string, string | number | undefined> = {}, pathParams: Record<string, string> = {},
): string {
  const path = routes[name].path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(pathParams[key] ?? ""));
  // Concatenate, so a base with a path (a relay behind a prefix proxy) keeps it.
  const url = new URL(`${base.replace(/\/+$/, "")}${path}`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** One attempt of a trial as text, "trialId:attempt": the wire's trial lists, and a map key. */
export const trialKey = (r: { trialId: number; attempt: number }) => `${r.trialId}:${r.attempt}`;
export const formatTrialList = (refs: Array<{ trialId: number; attempt: number }>) => refs.map(trialKey).join(",");
export const parseTrialList = (s: string | undefined) =>
  s ? s.split(",").map((p) => { const [t, a] = p.split(":"); return { trialId: Number(t), attempt: Number(a) }; }) : [];

export { NodeRole, Sha256 };
