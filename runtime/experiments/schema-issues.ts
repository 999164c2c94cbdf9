// A schema's issues as config lines, as formatIssues writes them, except that each key an
// object does not take gets its own line naming the nearest key it does ("unknown config key
// 'train.learing_rate' (did you mean …?)") instead of zod's bare "Unrecognized key".
import type { z } from "zod";
import { formatIssues } from "../../kernels/config-errors.ts";
import type { ConfigIssue } from "./experiment-entry.ts";
import { nearestName } from "../nearest-name.ts";
import { schemaKeysAt } from "./schema-paths.ts";

/** `topKeys`: other keys that may stand at the root (discalc's own), offered as suggestions there. */
export function schemaIssues(schema: z.core.$ZodType, issues: readonly z.core.$ZodIssue[], topKeys: readonly string[] = []): ConfigIssue[] {
  const lines = formatIssues(issues);
  return issues.flatMap((issue, i): ConfigIssue[] => {
    const at = issue.path.map(String);
    if (issue.code !== "unrecognized_keys") return [{ path: at.join("."), line: lines[i]! }];
    const known = [...schemaKeysAt(schema, issue.path), ...(at.length === 0 ? topKeys : [])];
    return issue.keys.map((key) => {
      const path = [...at, key].join(".");
      return { path, line: unknownKeyLine(path, key, known) };
    });
  });
}

/** "unknown config key 'a.b' (did you mean 'a.c'?)", or with the keys known there when none is near. */
export function unknownKeyLine(path: string, key: string, known: readonly string[]): string {
  const prefix = path.slice(0, path.length - key.length);
  const near = nearestName(key, known);
  if (near) return `unknown config key '${path}' (did you mean '${prefix}${near}'?)`;
  if (known.length === 0) return `unknown config key '${path}'`;
  return `unknown config key '${path}' (known here: ${known.length > 12 ? `${known.slice(0, 12).join(", ")}, …` : known.join(", ")})`;
}
