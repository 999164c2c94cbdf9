// Every message body that crosses the wire, defined once with a runtime schema. Daemons
// parse at the boundary; clients get the same types.
import { z } from "zod";
import { EarlyStopping } from "./early-stopping.ts";

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
export const NodeRole = z.enum(["controller", "relay", "worker"]);
export type NodeRole = z.infer<typeof NodeRole>;

const JsonObject = z.record(z.string(), z.unknown());

/**
 * A schema that takes a value as it is when `quick` says it is good (checked in place, no
 * copy), and otherwise parses it with `detailed`, which fills defaults, strips unknown keys and
 * names what is wrong. `quick` must accept only what `detailed` would return unchanged: the
 * messages every hop parses (results, leases, metric values) are checked so, since zod's walk
 * and copy cost more than JSON.parse of them.
 */
function quickOrDetailed<T>(quick: (v: unknown) => v is T, detailed: z.ZodType<T>) {
  return z.custom<T>().transform((v, ctx): T => {
    if (quick(v)) return v;
    const checked = detailed.safeParse(v);
    if (checked.success) return checked.data;
    for (const issue of checked.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: v });
    return z.NEVER;
  });
}

/** What a trial runs: a built-in experiment by name (sha null), or a researcher's experiment blob. */
export const ExperimentRef = z.object({
  name: z.string().max(200),
  sha: Sha256.nullable(),
});
export type ExperimentRef = z.infer<typeof ExperimentRef>;

const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
/** A step of a lease's path to its batch's signed root: the sibling's side (l or r) and its SHA-256, base64url. */
const PROOF_STEP = /^[lr][A-Za-z0-9_-]{43}$/;

/**
 * The controller's word on a lease (protocol/signed-work.ts): the bundle it runs on, when the
 * signature ends, the lease's path to its batch's Merkle root, and the root's Ed25519 signature.
 */
export const LeaseManifest = z.object({
  bundleSha: Sha256,
  expiresAt: z.number(),
  proof: z.array(z.string().regex(PROOF_STEP, "must be a proof step (l or r, then a base64url SHA-256)")).max(40),
  signature: z.string().regex(SIGNATURE, "must be a base64url Ed25519 signature"),
});
export type LeaseManifest = z.infer<typeof LeaseManifest>;

/** A stored trial state named by content: its step and the SHA-256 of its raw (un-deflated) bytes. */
export const StateRef = z.object({ step: z.int().min(0), sha256: Sha256 });
export type StateRef = z.infer<typeof StateRef>;

/** What a stored trial state is: a running trial's latest checkpoint, or a done trial's final state (`keep`). */
export const StateKind = z.enum(["checkpoint", "final"]);
export type StateKind = z.infer<typeof StateKind>;

/** A trial handed out under a lease: everything a worker needs to run it alone. */
export const TrialLease = z.object({
  trialId: z.int().positive(),
  attempt: z.int().positive(),
  sweepId: z.int().positive(),
  experiment: ExperimentRef,
  /** The resolved trial config (the experiment checked it at the controller). */
  config: JsonObject,
  params: JsonObject,
  seed: z.int().min(0),
  /** SHA-256 of each dataset blob the trial may ask for, by dataset key; fetched from the relay. */
  datasets: z.record(z.string(), Sha256),
  /** Lease deadline, ms since the epoch (controller clock). */
  deadline: z.number(),
  /** The sweep's stopping rule: the trial waits for a decision at its rungs (POST /v1/rung). */
  earlyStopping: EarlyStopping.optional(),
  /**
   * The trial's last stored checkpoint: the worker fetches it by its SHA-256 (GET
   * /v1/checkpoints/:sha) and `ctx.restore()` gives it. Signed, so a relay cannot swap it.
   */
  restore: StateRef.optional(),
  /**
   * The trial's last report step (a population-based training member: its generation ends
   * there): it checkpoints at that step, stops, and its kept final state is that checkpoint.
   */
  stopStep: z.int().min(1).optional(),
  /** The sweep's `checkpoint: { every: N }` (steps): when `ctx.checkpointDue` says yes besides the time rule. */
  checkpointEvery: z.int().min(1).optional(),
  /** The sweep keeps final states (`keep`): the worker uploads the trial's state before its done result. */
  keepState: z.literal(true).optional(),
  /**
   * Instead of keepState once the sweep's kept states are full: upload the final state only when
   * the trial's objective (`metric`, final metrics first, else its last report) is at least as
   * good as `than`, the K-th best (trial `thanTrial`: a tie goes to the earlier trial) when the trial was leased.
   */
  keepIfBetter: z.object({ metric: z.string().min(1).max(64), goal: z.enum(["maximize", "minimize"]), than: z.number(), thanTrial: z.int().positive() }).optional(),
  /** The controller's signature over all of the above but the deadline: a worker runs nothing without it. */
  manifest: LeaseManifest,
});
export type TrialLease = z.infer<typeof TrialLease>;
/** A lease as the scheduler makes it, before the controller signs its batch. */
export type UnsignedLease = Omit<TrialLease, "manifest">;

export const CommandKind = z.enum(["pause", "resume", "cancel", "update", "shutdown"]);
export const Command = z.object({
  seq: z.int().positive(),
  kind: CommandKind,
  sweepId: z.int().positive().nullable().default(null),
  trialId: z.int().positive().nullable().default(null),
  bundleSha: Sha256.nullable().default(null),
  at: z.number(),
  /** The controller's Ed25519 signature (protocol/signed-work.ts): a worker applies no command without it. */
  signature: z.string().regex(SIGNATURE, "must be a base64url Ed25519 signature").optional(),
});
export type Command = z.infer<typeof Command>;

/** A metric's name: what reports, final metrics and a sweep's `metric.name` may use. */
export const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$/;
export const MetricName = z.string().regex(METRIC_NAME, "must be a metric name (letters, digits, _ . : / -)");
/** Reports kept per trial (they travel with its result). */
export const MAX_REPORTS = 20_000;

const MAX_METRICS = 64;
const MetricValuesInDetail = z.record(
  MetricName,
  z.number().refine(Number.isFinite, "must be a finite number"),
).refine((m) => Object.keys(m).length <= MAX_METRICS, `at most ${MAX_METRICS} metrics`);

/** What MetricValuesInDetail accepts, checked in one pass over a plain object. */
function isMetricValues(v: unknown): v is Record<string, number> {
  if (typeof v !== "object" || v === null) return false;
  // Plain objects only (as JSON gives): no class instances, Dates, Maps or arrays.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  let n = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    const x = (v as Record<string, unknown>)[k];
    // An own "__proto__" key (JSON.parse makes one) goes the detailed way, which drops it.
    if (++n > MAX_METRICS || typeof x !== "number" || !Number.isFinite(x) || k === "__proto__" || !isMetricName(k)) return false;
  }
  return true;
}

/** Names seen to pass METRIC_NAME: the same few names come with every result. */
const goodMetricNames = new Set<string>();
function isMetricName(k: string): boolean {
  if (goodMetricNames.has(k)) return true;
  if (!METRIC_NAME.test(k)) return false;
  // Bounded, so a stream of made-up names cannot grow it without end.
  if (goodMetricNames.size < 4096) goodMetricNames.add(k);
  return true;
}

/**
 * Named finite numbers: one report of a running trial, or its final metrics. Every result
 * carries several and is parsed at the relay and the controller, so good values pass one quick
 * check; the detailed schema runs only for the rest (it says what is wrong, and drops a
 * "__proto__" key as it always did).
 */
export const MetricValues = quickOrDetailed(isMetricValues, MetricValuesInDetail);
export type MetricValues = z.infer<typeof MetricValues>;

export const TrialRef = z.object({ trialId: z.int().positive(), attempt: z.int().positive() });
export type TrialRef = z.infer<typeof TrialRef>;

/** The step-th report (1-based) of an attempt. */
export const MetricsItem = TrialRef.extend({ step: z.int().positive(), values: MetricValues });
export const MetricsBatch = z.object({ items: z.array(MetricsItem).max(20_000) });
export type MetricsBatch = z.infer<typeof MetricsBatch>;

export const TrialOutcome = z.object({
  /** SHA-256 of the state the experiment returned (the weights, for the built-in). */
  resultSha256: Sha256,
  /** Final metrics. */
  metrics: MetricValues,
  /** Every report, in order: stored with the result, so none is lost with a metrics batch. */
  reports: z.array(MetricValues).max(MAX_REPORTS),
  /** Other numbers (timings, counts), not ranked. */
  info: MetricValues,
  runMs: z.number(),
});
export type TrialOutcome = z.infer<typeof TrialOutcome>;

/**
 * One ended attempt: done with its outcome, failed with the error text, cancelled on
 * request, released (handed back, e.g. by an agent shutting down, to run again later), or
 * pruned by the sweep's stopping rule (its outcome holds the reports up to the rung).
 */
const TRIAL_STATUSES = ["done", "failed", "cancelled", "released", "pruned"] as const;
/**
 * Why a failed attempt failed, which decides whether it runs again. A trial is deterministic
 * (same code, config and seed), so `experiment` (its code threw) and `diverged` (a reported
 * number stopped being finite; the outcome holds its finite reports) end it at once;
 * `infrastructure` (a thread crashed, a blob could not be fetched) is retried up to
 * maxAttempts. A field rather than new statuses: a relay of the previous release refuses a
 * status it does not know but passes a result without the field on, and a result without it
 * (an agent of the previous release) is retried as before.
 */
export const FAILURE_KINDS = ["experiment", "diverged", "infrastructure"] as const;
export const FailureKind = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKind>;
const TrialResultInDetail = TrialRef.extend({
  status: z.enum(TRIAL_STATUSES),
  workerId: z.string().max(100),
  error: z.string().max(10_000).nullable().default(null),
  outcome: TrialOutcome.nullable().default(null),
  finishedAt: z.number(),
  /** Failed results only: why (see FAILURE_KINDS). */
  failure: FailureKind.optional(),
});
export type TrialResult = z.infer<typeof TrialResultInDetail>;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const STATUS_SET: ReadonlySet<unknown> = new Set(TRIAL_STATUSES);
/** An object as JSON.parse makes them: zod would copy anything else (a null prototype, a class, an array). */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
/** A plain object (as JSON gives) with exactly these keys, in any order. */
function hasExactly(v: unknown, keys: readonly string[]): v is Record<string, unknown> {
  if (!isJsonObject(v)) return false;
  let n = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    n++;
  }
  if (n !== keys.length) return false;
  for (const k of keys) if (!Object.hasOwn(v, k)) return false;
  return true;
}
const positiveInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);
const RESULT_KEYS = ["trialId", "attempt", "status", "workerId", "error", "outcome", "finishedAt"] as const;
const RESULT_KEYS_WITH_FAILURE = [...RESULT_KEYS, "failure"] as const;
const FAILURE_SET: ReadonlySet<unknown> = new Set(FAILURE_KINDS);
const OUTCOME_KEYS = ["resultSha256", "metrics", "reports", "info", "runMs"] as const;

/**
 * What TrialResultInDetail accepts unchanged, checked in place: every key present and no
 * other, so the detailed schema would return an equal object (it adds no default and strips
 * nothing). Each result is parsed at its relay and again at the controller; zod's walk and
 * copy of a batch cost more than JSON.parse of it.
 */
function isPlainTrialResult(v: unknown): v is TrialResult {
  if (!hasExactly(v, RESULT_KEYS) && !(hasExactly(v, RESULT_KEYS_WITH_FAILURE) && FAILURE_SET.has(v.failure))) return false;
  if (!positiveInt(v.trialId) || !positiveInt(v.attempt) || !STATUS_SET.has(v.status) || !finite(v.finishedAt)) return false;
  if (typeof v.workerId !== "string" || v.workerId.length > 100) return false;
  if (v.error !== null && (typeof v.error !== "string" || v.error.length > 10_000)) return false;
  const o = v.outcome;
  if (o === null) return true;
  if (!hasExactly(o, OUTCOME_KEYS)) return false;
  if (typeof o.resultSha256 !== "string" || !SHA256_HEX.test(o.resultSha256) || !finite(o.runMs)) return false;
  if (!isMetricValues(o.metrics) || !isMetricValues(o.info) || !Array.isArray(o.reports) || o.reports.length > MAX_REPORTS) return false;
  return everyItem(o.reports, isMetricValues);
}

/** Every index of the array (a hole is undefined, and fails): `every` would skip holes. */
function everyItem(a: readonly unknown[], check: (v: unknown) => boolean): boolean {
  for (let i = 0; i < a.length; i++) if (!check(a[i])) return false;
  return true;
}

export const TrialResult = TrialResultInDetail;

const MAX_BATCH_RESULTS = 10_000;
/** The detailed schema (exported for the test that holds the quick check to it). */
export const ResultBatchInDetail = z.object({
  /** Unique per batch, so a retried upload is recognisable in logs. */
  batchId: z.string().max(100),
  results: z.array(TrialResult).max(MAX_BATCH_RESULTS),
});
export type ResultBatch = z.infer<typeof ResultBatchInDetail>;

/**
 * A batch of ended attempts. Good batches pass one quick check in place (isPlainTrialResult per
 * result); anything else goes the detailed way, which fills defaults, strips extra keys and says
 * what is wrong, as it always did. Batches are parsed at every relay and at the controller.
 */
export const ResultBatch = quickOrDetailed(
  (v): v is ResultBatch => hasExactly(v, ["batchId", "results"]) && typeof v.batchId === "string" && v.batchId.length <= 100
    && Array.isArray(v.results) && v.results.length <= MAX_BATCH_RESULTS && everyItem(v.results, isPlainTrialResult),
  ResultBatchInDetail,
);

export const ResultAck = z.object({
  /** Per result, in order: stored, duplicate (already stored), stale (trial done or gone), refused (not this relay's). */
  statuses: z.array(z.enum(["stored", "duplicate", "stale", "refused"])),
});
export type ResultAck = z.infer<typeof ResultAck>;

/** The controller's Ed25519 public key and the fingerprints of the tokens whose identities are good. */
export const IdentityCheck = z.object({
  publicKey: z.string().max(1000),
  tokens: z.array(z.string().regex(/^[0-9a-f]{16}$/)).max(8),
});
export type IdentityCheck = z.infer<typeof IdentityCheck>;

export const JoinResponse = z.object({
  nodeId: z.string(),
  role: NodeRole,
  controllerUrl: z.string(),
  /** The relay a worker talks to (the controller's root relay when there is none). */
  relayUrl: z.string(),
  bundleSha: Sha256,
  leaseMs: z.number(),
  heartbeatMs: z.number(),
  /** Latest command sequence number: a new node applies only commands after it. */
  commandSeq: z.int().min(0),
  /** When the identity this join set expires (ms since the epoch): the node joins again before. */
  identityExpiresAt: z.number(),
  /** The controller's Ed25519 public key (PEM): what a worker checks every lease and command with. */
  controllerKey: z.string().max(1000),
  /**
   * Threads granted: the join's `threads=` capped by the controller's --max-threads, fixed in
   * the identity; its relay hands out work for no more. Absent from controllers before it.
   */
  threads: z.int().min(1).optional(),
  /** Relays only: what checks its workers' identities, and nothing that can sign one. */
  identity: IdentityCheck.optional(),
  /**
   * The controller's --max-state-bytes: the largest checkpoint or final state (raw bytes) it
   * stores, so a worker refuses a larger one locally. Absent from controllers before it.
   */
  maxStateBytes: z.int().min(1).optional(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const WorkerStats = z.object({
  workerId: z.string(),
  host: z.string(),
  threads: z.int(),
  /** Trials on its threads now (what it holds less its reserve). */
  busy: z.int(),
  /** Trials it holds unstarted (prefetched). */
  reserved: z.int().default(0),
  lastPoll: z.number(),
  silent: z.boolean(),
  trialsDone: z.int(),
  gflops: z.number(),
});
export type WorkerStats = z.infer<typeof WorkerStats>;

export const RelayStats = z.object({
  relayId: z.string(),
  url: z.string(),
  queued: z.int(),
  /** Trials on its workers' threads now. */
  running: z.int(),
  /** Trials in its workers' reserves (prefetched, unstarted); `queued` is this relay's own. */
  reserved: z.int().default(0),
  bufferedResults: z.int(),
  workers: z.array(WorkerStats).max(10_000),
  trialsPerMinute: z.number(),
  resultsUploaded: z.int(),
  bytesBeforeCompression: z.int(),
  bytesAfterCompression: z.int(),
});
export type RelayStats = z.infer<typeof RelayStats>;

export const HeartbeatRequest = z.object({
  stats: RelayStats,
  /** Trials the relay holds (queued or running): their leases are extended. */
  held: z.array(TrialRef).max(100_000),
  /** Trials the relay gives back (their worker went silent, or it is shutting down). */
  released: z.array(TrialRef).max(100_000).default([]),
  /**
   * Held trials on a thread now, by sweep id: the rest of `held` is prefetched (this relay's
   * queue, workers' reserves). For the counts people read (running and reserved apart).
   */
  started: z.record(z.string().regex(/^\d{1,15}$/, "must be a sweep id"), z.int().min(0)).default({}),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z.object({
  commands: z.array(Command),
  /** Held trials that are no longer this relay's to run (done elsewhere, cancelled, expired). */
  revoked: z.array(TrialRef),
  bundleSha: Sha256,
  /** The sweeps paused now (state, so a relay that joined late or missed a command still knows). */
  pausedSweeps: z.array(z.int().positive()).max(1_000_000),
  /** Token fingerprints whose identities are still good (a rotated token revokes its identities). */
  identityTokens: z.array(z.string().regex(/^[0-9a-f]{16}$/)).max(8),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

const LEASE_KEYS = ["trialId", "attempt", "sweepId", "experiment", "config", "params", "seed", "datasets", "deadline", "manifest"] as const;
const MANIFEST_KEYS = ["bundleSha", "expiresAt", "proof", "signature"] as const;
const KEEP_IF_BETTER_KEYS = ["metric", "goal", "than", "thanTrial"] as const;
/** A plain object without an own "__proto__" key (JSON.parse makes one; the record schema drops it). */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return isJsonObject(v) && !Object.hasOwn(v, "__proto__");
}

/**
 * What TrialLease accepts unchanged, checked in place (no stopping rule: a lease with one goes
 * the detailed way). Every lease is parsed at its relay and at its agent: zod's walk and copy
 * cost more than half as much again as JSON.parse of it.
 */
function isPlainLease(v: unknown): v is TrialLease {
  if (!isJsonObject(v) || !hasLeaseKeys(v)) return false;
  if (!positiveInt(v.trialId) || !positiveInt(v.attempt) || !positiveInt(v.sweepId) || !Number.isSafeInteger(v.seed) || (v.seed as number) < 0 || !finite(v.deadline)) return false;
  const e = v.experiment;
  if (!hasExactly(e, ["name", "sha"]) || typeof e.name !== "string" || e.name.length > 200) return false;
  if (e.sha !== null && (typeof e.sha !== "string" || !SHA256_HEX.test(e.sha))) return false;
  if (!isPlainRecord(v.config) || !isPlainRecord(v.params) || !isPlainRecord(v.datasets)) return false;
  for (const k in v.datasets) {
    const sha = v.datasets[k];
    if (!Object.hasOwn(v.datasets, k) || typeof sha !== "string" || !SHA256_HEX.test(sha)) return false;
  }
  const m = v.manifest;
  if (!hasExactly(m, MANIFEST_KEYS) || typeof m.bundleSha !== "string" || !SHA256_HEX.test(m.bundleSha) || !finite(m.expiresAt)) return false;
  if (typeof m.signature !== "string" || !SIGNATURE.test(m.signature) || !Array.isArray(m.proof) || m.proof.length > 40) return false;
  return everyItem(m.proof, (p) => typeof p === "string" && PROOF_STEP.test(p));
}

/**
 * The lease keys, and besides them only the state fields most leases carry (`keepState`,
 * `checkpointEvery`, `keepIfBetter`), each well-formed: one walk of its keys, as every lease is
 * checked at its relay and its agent. A lease naming a checkpoint to resume from goes the detailed way.
 */
function hasLeaseKeys(v: Record<string, unknown>): boolean {
  let n = 0;
  let extra = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    n++;
    if (k === "keepState" || k === "checkpointEvery" || k === "keepIfBetter") extra++;
  }
  if (n !== LEASE_KEYS.length + extra) return false;
  for (const k of LEASE_KEYS) if (!Object.hasOwn(v, k)) return false;
  if (extra === 0) return true;
  if (Object.hasOwn(v, "keepState") && v.keepState !== true) return false;
  if (Object.hasOwn(v, "checkpointEvery") && !positiveInt(v.checkpointEvery)) return false;
  if (Object.hasOwn(v, "keepIfBetter")) {
    const k = v.keepIfBetter;
    if (!hasExactly(k, KEEP_IF_BETTER_KEYS) || typeof k.metric !== "string" || k.metric.length === 0 || k.metric.length > 64
      || (k.goal !== "maximize" && k.goal !== "minimize") || !finite(k.than) || !positiveInt(k.thanTrial)) return false;
  }
  return true;
}

/** Leases, as z.array(TrialLease) gives them: good ones pass the quick check in place, anything else goes the detailed way. */
export const TrialLeases = quickOrDetailed((v): v is TrialLease[] => Array.isArray(v) && everyItem(v, isPlainLease), z.array(TrialLease));

export const LeasesResponse = z.object({ trials: TrialLeases, paused: z.boolean() });
export type LeasesResponse = z.infer<typeof LeasesResponse>;

export const WorkResponse = z.object({
  trials: TrialLeases,
  commands: z.array(Command),
  /** Trials the worker should stop: revoked by the controller or cancelled. */
  stop: z.array(TrialRef),
  /** Nothing is queued here and the controller had nothing to lease at the last ask (a batch job may end). */
  idle: z.boolean().default(false),
  /**
   * Unstarted trials of the worker's reserve to return at once, as `released` results: the
   * sweep is ending and threads elsewhere are idle, so the relay hands them out again itself
   * (same attempt, no round trip to the controller). Trials already started are kept. A relay
   * that sends the field (even empty) reads the poll's `reserve`; older relays refuse that
   * parameter, so a worker sends it only once it has seen this field.
   */
  handBack: z.array(TrialRef).optional(),
  /**
   * The controller had nothing to lease at the relay's last ask: the sweep's last trials are
   * out, here or in workers' reserves. A worker holding a reserve then waits in a long-poll,
   * so that a hand-back request reaches it at once.
   */
  dry: z.boolean().optional(),
});
export type WorkResponse = z.infer<typeof WorkResponse>;

/** A trial waiting at a rung: the reports since its last decision (ending with this step's). */
/** A relay names at most this many unstarted trials to a rung decision (the earliest: they matter first). */
export const MAX_UNSTARTED_LISTED = 10_000;

export const RungRequest = z.object({
  reports: z.array(MetricValues).min(1).max(MAX_REPORTS),
  /**
   * Set by the relay (whatever a worker sent): the trials of the sweep before this one that it
   * holds unstarted, in its queue or its agents' reserves. They cannot be what runs now.
   */
  unstarted: z.array(z.int().min(1)).max(MAX_UNSTARTED_LISTED).optional(),
});
export type RungRequest = z.infer<typeof RungRequest>;

/** The controller's answer to a stored state. */
export const StateStored = z.object({ stored: z.boolean(), bytes: z.int().min(0) });
export type StateStored = z.infer<typeof StateStored>;

export const ErrorBody = z.object({ error: z.object({ code: z.int(), message: z.string() }) });
