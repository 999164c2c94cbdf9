// A researcher's experiment (the default export of experiment.ts in a folder) as the runtime
// sees it: defaults deep-merged under the config, a top-level `seed`, and `validate` lines.
import type { Experiment } from "./contract.ts";
import { U32_MAX, type ConfigIssue, type ExperimentEntry, type Resolved } from "./experiment-entry.ts";
import { deepMerge, isPlainObject } from "./plain-data.ts";

export function folderExperiment(name: string, exported: unknown): ExperimentEntry {
  const exp = checkExport(name, exported);
  return {
    name,
    seedPath: "seed",
    resolve(input: unknown): Resolved {
      if (!isPlainObject(input)) return { ok: false, issues: [{ path: "", line: "(root): must be an object" }] };
      const merged = deepMerge(exp.defaults ?? {}, input) as Record<string, unknown>;
      merged.seed ??= 0;
      const issues: ConfigIssue[] = [];
      const seed = merged.seed;
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > U32_MAX) {
        issues.push({ path: "seed", line: `seed: must be an integer 0..${U32_MAX}` });
      }
      if (issues.length === 0 && exp.validate) {
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
    knowsPath: () => true,
    defaultMetric: () => {
      throw new Error(`experiment ${name}: the sweep must name its objective, metric: { name, goal: maximize | minimize }`);
    },
    run: (config, ctx) => exp.run(config, ctx),
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
  return e as Experiment;
}
