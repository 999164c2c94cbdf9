// Turns schema issues into one line per bad field ("train.lr: must be > 0"), so a bad
// config or request names every problem at once.
import type { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly problems: string[], what = "config") {
    super(`invalid ${what}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join(".");
    return `${path || "(root)"}: ${issue.message}`;
  });
}

/** Parses `input` with `schema`, throwing a ConfigError that lists every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = "config"): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues), what);
  return parsed.data;
}
