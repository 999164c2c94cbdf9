// The researcher-facing REST API under /api: read-only routes (open unless the controller
// runs --private) and admin routes (admin token). Query parameters are checked here.
import { z } from "zod";
import { intParam } from "./routes.ts";
import { CommandKind, Command, ExperimentRef, MetricValues, RelayStats, Sha256 } from "./messages.ts";

// Response shapes: the controller's views are checked against these in tests, and the API
// client (api-client.ts) parses every answer with them.
export const MetricSpec = z.object({ name: z.string(), goal: z.enum(["maximize", "minimize"]) });

export const SweepView = z.object({
  id: z.int(), name: z.string(), state: z.string(), configHash: z.string(), createdAt: z.number(), finishedAt: z.number().nullable(),
  leaseMs: z.number(), maxAttempts: z.int(), total: z.int(), counts: z.record(z.string(), z.int()),
  experiment: ExperimentRef, metric: MetricSpec,
});
export type SweepView = z.infer<typeof SweepView>;
/**
 * Why a sweep with work left has made no progress (no report, decision or end) for a while: the
 * trials that wait at a rung and what each waits for. Null while it makes progress.
 */
export const SweepStall = z.object({
  /** When its last progress was (ms since the epoch), and how long ago at `at`. */
  since: z.number(), seconds: z.int(), at: z.number(),
  queued: z.int(), leased: z.int(),
  waiting: z.array(z.object({
    trialId: z.int(), step: z.int(),
    waitingFor: z.array(z.object({ trialId: z.int(), state: z.enum(["queued", "unstarted", "leased"]) })),
  })),
  /** The same in one line, as the controller logs it and `discalc status` and `discalc run` show it. */
  summary: z.string(),
});
export type SweepStall = z.infer<typeof SweepStall>;
export const SweepDetail = SweepView.extend({ config: z.record(z.string(), z.unknown()), stalled: SweepStall.nullable().optional() });

export const AttemptView = z.object({
  attempt: z.int(), relayId: z.string(), workerId: z.string().nullable(), leasedAt: z.number(), endedAt: z.number().nullable(),
  outcome: z.string().nullable(), error: z.string().nullable(),
});

export const TrialView = z.object({
  id: z.int(), sweepId: z.int(), index: z.int(), point: z.int(), repeat: z.int(),
  params: z.record(z.string(), z.unknown()), seed: z.number(), state: z.string(), attempts: z.int(),
  /**
   * The trial's resolved config: the sweep's values with this trial's point applied, its seed
   * and every default filled, exactly what its worker ran (`discalc train --trial` runs it
   * again). On one trial and in `export`, not in lists.
   */
  config: z.record(z.string(), z.unknown()).optional(),
  /**
   * The shown attempt's reports in order, each with its `step`: the report's number, or the
   * experiment's own `step` metric when it reports one. Only on request (`metrics=1`, or one trial).
   */
  metrics: z.array(z.record(z.string(), z.number())).optional(),
  /** Final metrics, once stored. */
  final: MetricValues.nullable(),
  /** The sweep's metric for this trial (final metrics first, else the last report). */
  objective: z.number().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  resultSha256: Sha256.nullable(),
  /** The same hash under its first-release name (the built-in's state is its weights). */
  weightsSha256: Sha256.nullable(),
  /**
   * A trial that continues another (population-based training): its generation and slot, the
   * trial whose state it starts from (null in generation 0), whether it copied another slot's
   * state and perturbed the hyperparameters (`params` are those in force), and the report steps
   * it trains (after startStep, up to stopStep). Absent for other searchers.
   */
  lineage: z.object({
    generation: z.int(), slot: z.int(), parentTrialId: z.int().nullable(), parentPoint: z.int().nullable(), exploited: z.boolean(),
    startStep: z.int(), stopStep: z.int(),
  }).optional(),
  /** A trial the sweep's stopping rule ended: the report it stopped at and why (the rung, its value, the cutoff). */
  pruned: z.object({ step: z.int(), reason: z.string() }).nullable(),
  error: z.string().nullable(), workerId: z.string().nullable(), relayId: z.string().nullable(), finishedAt: z.number().nullable(),
  attemptLog: z.array(AttemptView),
  /**
   * SHA-256 of the trial's kept final state (`keep`; GET /api/trials/:id/state gives its bytes),
   * null when none is kept. On one trial and in `export`.
   */
  stateSha256: Sha256.nullable().optional(),
  /** The step of the trial's stored checkpoint (a running or retried trial resumes there), null when none. On one trial and in `export`. */
  checkpointStep: z.int().nullable().optional(),
});
export type TrialView = z.infer<typeof TrialView>;

export const LeaderboardRow = z.object({
  point: z.int(), params: z.record(z.string(), z.unknown()), seeds: z.int(),
  /** Mean and sample standard deviation of the objective over the point's finished seeds. */
  mean: z.number(), std: z.number(), trialIds: z.array(z.int()),
});
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;
/** One page of the ranking (points best first); `next` as for every list. */
export const Leaderboard = z.object({ sweepId: z.int(), metric: MetricSpec, rows: z.array(LeaderboardRow), total: z.int(), next: z.string().nullable() });
export type Leaderboard = z.infer<typeof Leaderboard>;

/** Each swept parameter's share of the objective's variation (PED-ANOVA over the finished trials); shares sum to 1. */
export const Importance = z.object({
  sweepId: z.int(), metric: MetricSpec,
  /** The finished trials it was computed from. */
  trials: z.int(),
  importance: z.record(z.string(), z.number()),
});
export type Importance = z.infer<typeof Importance>;

export const NodeView = z.object({
  id: z.string(), role: z.string(), host: z.string(), threads: z.int(), state: z.string(), lastHeartbeat: z.number(),
  relay: z.string().nullable(), url: z.string().nullable(), bundleSha: z.string().nullable(), stats: z.unknown(),
});
export type NodeView = z.infer<typeof NodeView>;

/** Every list is paged: at most `limit` (1..1,000, default 100) items, and `next` to pass as `cursor` (null on the last page). */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });
export const DEFAULT_PAGE = 100;
const paging = {
  limit: intParam(1, 1000).optional(),
  cursor: z.string().regex(/^\d{1,15}$/, "must be the `next` of a previous page").optional(),
};

export const api = {
  sweeps: { path: "/api/sweeps", query: z.strictObject(paging), response: pageOf(SweepView) },
  sweep: { path: "/api/sweeps/:id", query: z.strictObject({}), response: SweepDetail },
  /** The sweep's ranking by its metric: computed here, shown by the dashboard and the CLI. */
  leaderboard: { path: "/api/sweeps/:id/leaderboard", query: z.strictObject(paging), response: Leaderboard },
  /** Parameter importance by PED-ANOVA (409 until two trials have finished). */
  importance: { path: "/api/sweeps/:id/importance", query: z.strictObject({}), response: Importance },
  trials: {
    path: "/api/trials",
    query: z.strictObject({
      sweep: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
      state: z.enum(["queued", "leased", "done", "pruned", "diverged", "failed", "cancelled"]).optional(),
      /** 1: each trial with its reports. */
      metrics: z.enum(["0", "1"]).optional(),
      /** id (default), or best: finished trials by the sweep's metric, best first (needs sweep). */
      order: z.enum(["id", "best"]).optional(),
      ...paging,
    }),
    response: pageOf(TrialView),
  },
  /** One trial with all its reports. */
  trial: { path: "/api/trials/:id", query: z.strictObject({}), response: TrialView },
  /**
   * The trial's kept final state, raw bytes (application/octet-stream), its SHA-256 and step in
   * the X-Discalc-State-Sha256 and X-Discalc-State-Step headers; 404 when none is kept.
   */
  trialState: { path: "/api/trials/:id/state", query: z.strictObject({}) },
  /**
   * A stored blob's bytes by SHA-256 (an experiment, a packed dataset, a bundle): what a worker
   * fetched to run a trial, for `discalc train --trial` to run it again elsewhere. Always behind
   * the cluster or admin token (the bytes are the researcher's code and data).
   */
  blob: { path: "/api/blobs/:sha", query: z.strictObject({}) },
  nodes: { path: "/api/nodes", query: z.strictObject(paging), response: pageOf(NodeView) },
  commands: { path: "/api/commands", query: z.strictObject(paging), response: pageOf(Command) },
  /** POST: issue a command (admin). */
  issueCommand: {
    path: "/api/commands",
    query: z.strictObject({
      kind: CommandKind,
      sweep: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
      trial: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    }),
  },
  /**
   * POST: more samples or repeats for a running or finished sweep (admin): the new totals.
   * Existing trials are untouched; the answer names the trials added now (a tpe sweep proposes
   * the rest as results come in).
   */
  extend: {
    path: "/api/sweeps/:id/extend",
    query: z.strictObject({ samples: intParam(1, 1_000_000).optional(), repeats: intParam(1, 1000).optional() }),
    response: z.object({ sweepId: z.int(), added: z.int(), extension: z.object({ samples: z.int().optional(), repeats: z.int().optional() }), total: z.int() }),
  },
  /** POST: upload a node bundle (raw bytes) and make it current (admin). */
  deploy: {
    path: "/api/deploy",
    query: z.strictObject({ label: z.string().max(100).regex(/^[A-Za-z0-9._:-]*$/, "must be letters, digits, . _ : -").optional() }),
  },
  stats: { path: "/api/nodes/:id/stats", query: z.strictObject({}), response: RelayStats },
} as const;

/** The read-only routes, which the API client can GET and parse. */
export type ApiReadRoute = "sweeps" | "sweep" | "leaderboard" | "importance" | "trials" | "trial" | "nodes" | "commands" | "stats";
/** The paged routes. */
export type ApiPagedRoute = "sweeps" | "trials" | "nodes" | "commands";
export type ApiResponse<N extends ApiReadRoute> = z.output<(typeof api)[N]["response"]>;

export type ApiRoute = keyof typeof api;

export function apiUrl(base: string, name: ApiRoute, query: Record<string, string | number | undefined> = {}, params: Record<string, string | number> = {}): string {
  const path = api[name].path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(String(params[k] ?? "")));
  // Concatenate, so a base with a path (a relay behind a prefix proxy) keeps it.
  const url = new URL(`${base.replace(/\/+$/, "")}${path}`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}
