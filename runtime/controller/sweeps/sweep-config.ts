// The sweep config: discalc's own keys (name, experiment, metric, search, …) plus a base trial
// config for the experiment. Checked as a whole (schema, parameter paths, the base, then every
// trial it expands to), so a bad file names every problem at once.
import { createHash } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "../../../kernels/config-errors.ts";
import { MetricName, type ExperimentRef } from "../../../protocol/messages.ts";
import { EarlyStoppingConfig } from "../../stopping/registry.ts";
import { applyPoint, isPlainObject } from "./apply-point.ts";
import { U32_MAX, type ConfigIssue, type ExperimentEntry, type MetricSpec } from "../../experiments/experiment-entry.ts";
import { networkExperiment } from "../../experiments/network/network-experiment.ts";
import { canonicalJson, getPath } from "../../experiments/plain-data.ts";
import { SWEEP_KEYS } from "../../experiments/config-keys.ts";
import { schemaIssues } from "../../experiments/schema-issues.ts";
import { specValues, type Point } from "../../search/param-spec.ts";
import type { SearchConfig } from "../../search/searcher.ts";
import { noSearch, searcherOf } from "../../search/searchers.ts";
import { searchSchema } from "../../search/search-schema.ts";
import { maxReportsOf, reportBoundKey } from "../../experiments/report-bounds.ts";
/** Past this a sweep is almost surely a typo, and checking every trial would take minutes. */
export const MAX_TRIALS = 1_000_000;
const MAX_TRIAL_PROBLEMS = 20;

const int = (min: number, max: number) => z.int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const MetricSchema = z.strictObject({
  name: MetricName,
  goal: z.enum(["maximize", "minimize"]),
});

/** The sweep's own fields; the `search` schema depends on the method the raw section names. */
const sweepFields = (rawSearch: unknown) => z.strictObject({
  name: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters")
    .regex(/^[A-Za-z0-9._-]*$/, "may use only letters, digits, '.', '_' and '-'"),
  /** A built-in experiment's name, or a folder relative to the config file (./my-experiment). */
  experiment: z.string().min(1, "must not be empty").max(500, "must be at most 500 characters").optional(),
  /** The objective the leaderboard ranks by. */
  metric: MetricSchema.optional(),
  search: searchSchema(rawSearch).optional(),
  /** Stop trials whose reports fall behind (asha or median), deciding by values only. */
  early_stopping: EarlyStoppingConfig.optional(),
  /**
   * When trials checkpoint besides about every 30 s of compute: every N steps (the built-in's
   * epochs, an experiment's `ctx.checkpoint` steps).
   */
  checkpoint: z.strictObject({ every: int(1, 1_000_000_000) }).optional(),
  /** Whose final state the store keeps: the K best by the objective (10 when not given), or all. */
  keep: z.union([z.strictObject({ top: int(0, 1_000_000) }), z.strictObject({ all: z.literal(true) })], {
    error: "must be { top: K } (K 0..1000000) or { all: true }",
  }).optional(),
  maxAttempts: int(1, 100).default(3),
  /** How long a lease lives without a heartbeat. */
  leaseSeconds: z.number().min(1, "must be at least 1").max(3600, "must be at most 3600").default(10),
  /** Machines per relay. */
  relays: z.strictObject({ fanout: int(1, 10_000) }).default({ fanout: 8 }),
});

export { SWEEP_KEYS };

export type SweepSearch = SearchConfig;

/** What a sweep runs, and the content hashes that join its identity. */
export interface SweepBuild {
  experiment: ExperimentRef;
  /** Packed data files' blobs by dataset key. */
  datasets: Record<string, string>;
  /** A built-in experiment's engine version (kernels/engine-version.ts): in the identity, so another engine's sweep is not resumed. */
  engine?: number;
}

/** A parsed sweep: discalc's own fields, the build, and the base trial config's keys (swept fields hold their first value). */
export type SweepConfig = ParsedConfig & { metric: MetricSpec };

/**
 * A config as `discalc train` parses it: one trial needs no objective, so `metric` is there only
 * when the config names one, the experiment has a default, or a searcher that learns from results must rank by it.
 */
export type TrainConfig = ParsedConfig & { metric?: MetricSpec };

type ParsedConfig = Omit<z.output<ReturnType<typeof sweepFields>>, "experiment" | "metric"> & {
  experiment: string;
  build: SweepBuild;
  // The base trial config's keys: any, as the experiment defines them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
};

/** The experiment a sweep runs, as the controller resolved it. */
export interface SweepExperiment {
  entry: ExperimentEntry;
  ref: ExperimentRef;
}

export const NETWORK_EXPERIMENT: SweepExperiment = { entry: networkExperiment, ref: { name: networkExperiment.name, sha: null } };

const ownKey = (k: string) => SWEEP_KEYS.includes(k) || k === "build";

/** The base trial config of a parsed sweep: its keys that are not discalc's. */
export function sweepBase(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !ownKey(k)));
}

/**
 * Validates a sweep against its experiment and fills defaults; throws ConfigError naming every
 * problem, one line each. Data files are packed afterwards (prepare-sweep.ts), into build.datasets.
 */
export function parseSweepConfig(input: unknown, experiment?: SweepExperiment, options?: { requireMetric?: true }): SweepConfig;
export function parseSweepConfig(input: unknown, experiment: SweepExperiment, options: { requireMetric: false }): TrainConfig;
export function parseSweepConfig(input: unknown, experiment: SweepExperiment = NETWORK_EXPERIMENT, { requireMetric = true } = {}): TrainConfig {
  const own = isPlainObject(input) ? Object.fromEntries(Object.entries(input).filter(([k]) => SWEEP_KEYS.includes(k))) : input;
  const SweepFields = sweepFields(isPlainObject(input) ? input.search : undefined);
  const fields = SweepFields.safeParse(own);
  const problems = fields.success ? [] : schemaIssues(SweepFields, fields.error.issues).map((issue) => issue.line);
  if (!isPlainObject(input)) throw new ConfigError(problems, "sweep config");
  const { entry } = experiment;
  const raw = input;
  const rawParams = isPlainObject(raw.search) && isPlainObject(raw.search.parameters) ? raw.search.parameters : {};
  const pathProblems = parameterPathProblems(Object.keys(rawParams), entry);
  problems.push(...pathProblems);

  const swept = Object.keys(rawParams).filter((path) => entry.knowsPath(path));
  const firsts: Point = {};
  for (const path of swept) {
    const values = specValues(rawParams[path]);
    if (values.length > 0) firsts[path] = values[0];
  }
  const rawBase = Object.fromEntries(Object.entries(raw).filter(([k]) => !ownKey(k)));
  const filled = applyPoint(rawBase, firsts);
  const base = entry.resolve(filled);
  const allBaseIssues = base.ok ? [] : base.issues;
  // A problem in a swept field belongs to the swept value; the trial check names it there.
  const baseIssues = allBaseIssues.filter((issue) => owner(swept, issue.path) === undefined);

  const search = searchSchema(raw.search).optional().safeParse(raw.search);
  if (search.success && pathProblems.length === 0) {
    problems.push(...trialProblems(search.data ?? noSearch(), base.ok ? base.config : filled, baseIssues, entry, experiment.ref));
  } else {
    problems.push(...baseIssues.map((issue) => issue.line));
  }
  // A stopping rule would end members before their stopStep: their children would have no state to start from.
  if (search.success && search.data && searcherOf(search.data).proposer?.lineage && raw.early_stopping !== undefined) {
    problems.push(`early_stopping: not with method ${search.data.method} (its generations are its stopping rule: the bottom members take the top ones' states)`);
  }
  let metric: MetricSpec | undefined = fields.success ? fields.data.metric : undefined;
  // A searcher that proposes from results proposes by the objective; one trial alone (discalc train) ranks nothing.
  const needMetric = requireMetric || (fields.data?.search !== undefined && searcherOf(fields.data.search).proposer !== undefined);
  if (fields.success && !metric && base.ok) {
    try {
      metric = entry.defaultMetric(base.config);
    } catch (err) {
      if (needMetric) problems.push(`metric: required: ${(err as Error).message.replace(/^experiment [^:]*: the sweep must name its objective, /, "")}`);
    }
  }
  if (!fields.success || !base.ok || problems.length > 0 || (needMetric && !metric)) {
    throw new ConfigError(problems.length > 0 ? problems : allBaseIssues.map((issue) => issue.line), "sweep config");
  }
  const { name, maxAttempts, leaseSeconds, relays } = fields.data;
  return {
    name, experiment: fields.data.experiment ?? experiment.ref.name, ...(metric && { metric }), ...base.config,
    ...(fields.data.search && { search: fields.data.search }),
    ...(fields.data.early_stopping && { early_stopping: fields.data.early_stopping }),
    ...(fields.data.checkpoint && { checkpoint: fields.data.checkpoint }), ...(fields.data.keep && { keep: fields.data.keep }),
    maxAttempts, leaseSeconds, relays,
    build: { experiment: experiment.ref, datasets: {}, ...(entry.engineVersion !== undefined && { engine: entry.engineVersion }) },
  };
}

/** SHA-256 of the parsed config with keys sorted, so key order and YAML vs JSON do not matter. */
export function sweepConfigHash(config: SweepConfig): string {
  // Except the order of parameters: it sets the grid order and the order of random draws.
  const search = config.search && { ...config.search, parameters: Object.entries(config.search.parameters) };
  return createHash("sha256").update(canonicalJson({ ...config, search })).digest("hex");
}

function parameterPathProblems(paths: string[], entry: ExperimentEntry): string[] {
  return paths.flatMap((path) => {
    if (!entry.knowsPath(path)) {
      const near = entry.nearestPath?.(path);
      return [`search.parameters.${path}: unknown parameter (no such field in the trial config${near ? `; did you mean '${near}'?` : ""})`];
    }
    const outer = paths.find((other) => path.startsWith(`${other}.`) && entry.knowsPath(other));
    return outer ? [`search.parameters.${path}: overlaps search.parameters.${outer} (sweep one or the other)`] : [];
  });
}

function seedProblems(config: Record<string, unknown>, repeats: number, entry: ExperimentEntry): string[] {
  const seed = getPath(config, entry.seedPath);
  if (typeof seed === "number" && seed + repeats - 1 > U32_MAX) {
    return [`search.repeats: ${entry.seedPath} + repeats - 1 must be at most ${U32_MAX} (${entry.seedPath} is ${seed})`];
  }
  return [];
}


/** The swept path at or above a field, if any. */
function owner(swept: string[], path: string): string | undefined {
  return swept.find((p) => path === p || path.startsWith(`${p}.`));
}

/**
 * Parses each swept value alone on the base, then every point of the search, so a bad value is
 * named once and is found even when no random sample happens to draw it. Returns the base's own
 * problems (those no swept value fixes) and then the swept values' problems.
 */
function trialProblems(search: SweepSearch, template: unknown, baseIssues: ConfigIssue[], entry: ExperimentEntry, ref: ExperimentRef): string[] {
  const searcher = searcherOf(search);
  const needed = searcher.stepsNeeded?.(search);
  const boundKey = reportBoundKey(ref);
  const size = searcher.size(search);
  if (size * search.repeats > MAX_TRIALS) {
    const tooMany = `search: expands to ${size * search.repeats} trials (${size} points × ${search.repeats} repeats), at most ${MAX_TRIALS}`;
    return [...baseIssues.map((issue) => issue.line), tooMany];
  }
  const swept = Object.keys(search.parameters);
  const parse = (point: Point) => entry.resolve(applyPoint(template, point));
  const aloneLines = new Map<string, Set<string>>();
  const linesAlone = (path: string, value: unknown) => {
    const key = `${path}=${canonicalJson(value)}`;
    if (!aloneLines.has(key)) {
      const parsed = parse({ [path]: value });
      aloneLines.set(key, new Set(parsed.ok ? [] : parsed.issues.map((issue) => issue.line)));
    }
    return aloneLines.get(key)!;
  };
  // The base holds each swept field's first value; a problem some other value avoids is that value's.
  const fixable = (line: string) => swept.some((path) => specValues(search.parameters[path]).some((value) => !linesAlone(path, value).has(line)));
  const baseProblems = baseIssues.map((issue) => issue.line).filter((line) => !fixable(line));
  const baseLines = new Set(baseProblems);

  // Keyed so that values drawn from a range add one line per problem, not one per draw.
  const problems = new Map<string, string>();
  const invalid = (path: string, value: unknown, line: string) => {
    const key = Array.isArray(search.parameters[path]) ? `${path}=${canonicalJson(value)}: ${line}` : `${path}: ${line}`;
    if (!problems.has(key)) problems.set(key, `search.parameters.${path}: value ${JSON.stringify(value)} is invalid: ${line}`);
  };
  const singles = swept.flatMap((path) => specValues(search.parameters[path]).map((value): Point => ({ [path]: value })));
  const points = (function* () { yield* singles; yield* searcher.points(search); })();
  for (const point of points) {
    const parsed = parse(point);
    if (parsed.ok) {
      for (const line of seedProblems(parsed.config, search.repeats, entry)) problems.set(line, line);
      // Each trial must make the steps its searcher runs it for (a pbt member's last generation's stopStep).
      const most = maxReportsOf(ref, parsed.config);
      if (needed && most < needed.steps) {
        const line = `${boundKey ?? "search"}: ${boundKey ? `${most} is` : `at most ${most} reports are`} fewer than ${needed.from} = ${needed.steps} (method ${search.method} runs each trial to that step)`;
        problems.set(line, line);
      }
    } else {
      for (const { path, line } of parsed.issues) {
        const field = owner(swept, path);
        if (field !== undefined) {
          // A swept field this point does not set holds its first value, which its own single point reports.
          if (Object.hasOwn(point, field)) invalid(field, point[field], line);
        } else if (!baseLines.has(line)) {
          // A check across fields (e.g. classes only for spirals): blame the values that fail it alone.
          const culprits = Object.keys(point).filter((p) => linesAlone(p, point[p]).has(line));
          for (const p of culprits) invalid(p, point[p], line);
          const together = `search.parameters: values ${JSON.stringify(point)} are invalid together: ${line}`;
          if (culprits.length === 0) problems.set(together, together);
        }
      }
    }
    if (problems.size >= MAX_TRIAL_PROBLEMS) break;
  }
  return [...baseProblems, ...[...problems.values()].slice(0, MAX_TRIAL_PROBLEMS)];
}
