// A researcher's experiment (the default export of experiment.ts in a folder) as the runtime
// sees it: defaults deep-merged under the config, a top-level `seed`, keys its defaults do not
// know refused (unless it says strict: false), and `validate` lines.
import type { Experiment } from "./contract.ts";
import { U32_MAX, type ConfigIssue, type ExperimentEntry, type Resolved } from "./experiment-entry.ts";
import { deepMerge, isPlainObject } from "./plain-data.ts";
import { knowsKeyPath, nearestKeyPath, unknownKeyIssues } from "./known-keys.ts";

export function folderExperiment(name: string, exported: unknown): ExperimentEntry {
  const exp = checkExport(name, exported);
  const defaults = exp.defaults ?? {};
  const strict = exp.strict !== false;
  return {
    name,
    seedPath: "seed",
    resolve(input: unknown): Resolved {
      if (!isPlainObject(input)) return { ok: false, issues: [{ path: "", line: "(root): must be an object" }] };
      const merged = deepMerge(defaults, input) as Record<string, unknown>;
      merged.seed ??= 0;
      const issues: ConfigIssue[] = strict ? unknownKeyIssues(input, defaults) : [];
      const seed = merged.seed;
      const seedOk = typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed <= U32_MAX;
      if (!seedOk) issues.push({ path: "seed", line: `seed: must be an integer 0..${U32_MAX}` });
      // Also with unknown keys, so one run names every problem.
      if (seedOk && exp.validate) {
        let lines: unknown;
        try {
          lines = exp.validate(structuredClone(merged));
        } catch (err) {
          lines = [`validate threw: ${err instanceof Error ? err.message : String(err)}`];
        }
        if (!Array.isArray(lines) || lines.some((l) => typeof l !== "string")) {
          lines = [`validate must return an array of strings, returned ${JSON.stringify(lines)?.slice(0, 100)}`];
        }
        for (const line of lines as string[]) issues.push({ path: "", line });
      }
      return issues.length ? { ok: false, issues } : { ok: true, config: merged };
    },
    knowsPath: (path) => !strict || knowsKeyPath(defaults, path),
    nearestPath: (path) => nearestKeyPath(defaults, path),
    defaultMetric: () => {
      throw new Error(`experiment ${name}: the sweep must name its objective, metric: { name, goal: maximize | minimize }`);
    },
    run: (config, ctx) => exp.run(config, ctx),
    ...(exp.timingMetrics && { timingMetrics: exp.timingMetrics }),
  };
}

function checkExport(name: string, exported: unknown): Experiment {
  if (!isPlainObject(exported) && typeof exported !== "object") {
    throw new Error(`experiment ${name}: the default export must be an object { defaults?, validate?, run }`);
  }
  const e = exported as Partial<Experiment> | null;
  if (!e || typeof e.run !== "function") throw new Error(`experiment ${name}: the default export has no run(config, ctx) function`);
  if (e.validate !== undefined && typeof e.validate !== "function") throw new Error(`experiment ${name}: validate must be a function`);
  if (e.defaults !== undefined && !isPlainObject(e.defaults)) throw new Error(`experiment ${name}: defaults must be an object`);
  if (e.strict !== undefined && typeof e.strict !== "boolean") throw new Error(`experiment ${name}: strict must be true or false`);
  if (e.timingMetrics !== undefined && !(Array.isArray(e.timingMetrics) && e.timingMetrics.every((m) => typeof m === "string"))) {
    throw new Error(`experiment ${name}: timingMetrics must be a list of metric names`);
  }
  return e as Experiment;
}
