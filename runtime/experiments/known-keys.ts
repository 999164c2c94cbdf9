// Which keys a strict experiment's trial config may hold: those of its defaults (an object
// default key by key) and discalc's own (TRIAL_KEYS), so a typo in a key is refused with the
// nearest known one instead of being ignored while the default runs.
import { SWEEP_KEYS, TRIAL_KEYS } from "./config-keys.ts";
import type { ConfigIssue } from "./experiment-entry.ts";
import { nearestName } from "../nearest-name.ts";
import { isPlainObject } from "./plain-data.ts";

/** The keys allowed under a default value: a non-empty object's own; anything under a leaf or `{}` (a free-form map). */
const keysUnder = (value: unknown): Record<string, unknown> | undefined =>
  isPlainObject(value) && Object.keys(value).length > 0 ? value : undefined;

/** One issue per key of `input` that the defaults do not know, at any depth, each with its dotted path. */
export function unknownKeyIssues(input: Record<string, unknown>, defaults: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (values: Record<string, unknown>, known: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(values)) {
      const path = prefix + key;
      // discalc checks its own keys itself (dataset specs when it packs them, the seed's range).
      if (prefix === "" && TRIAL_KEYS.includes(key)) continue;
      if (!Object.hasOwn(known, key)) {
        issues.push({ path, line: unknownKeyLine(path, key, known, prefix) });
        continue;
      }
      const under = keysUnder(known[key]);
      if (under && isPlainObject(value)) walk(value, under, `${path}.`);
    }
  };
  walk(input, defaults, "");
  return issues;
}

function unknownKeyLine(path: string, key: string, known: Record<string, unknown>, prefix: string): string {
  const own = Object.keys(known);
  // At the top a typo may also be of discalc's own keys ("serach" for "search").
  const near = nearestName(key, prefix === "" ? [...own, ...TRIAL_KEYS, ...SWEEP_KEYS] : own);
  if (near) return `unknown config key '${path}' (did you mean '${prefix}${near}'?)`;
  if (prefix === "" && own.length === 0) {
    return `unknown config key '${path}' (the experiment's defaults name no keys: give it a default there, or export strict: false)`;
  }
  const list = own.length > 12 ? `${own.slice(0, 12).join(", ")}, …` : own.join(", ");
  return `unknown config key '${path}' (not in the experiment's defaults${prefix === "" ? "" : ` under '${prefix.slice(0, -1)}'`}: ${list})`;
}

/** Whether a sweep may vary a dotted path: each key must be known where its parent's default is an object with keys. */
export function knowsKeyPath(defaults: Record<string, unknown>, path: string): boolean {
  return unknownSegment(defaults, path) === undefined;
}

/** The known path nearest to an unknown one (its known part kept), for "did you mean …?". */
export function nearestKeyPath(defaults: Record<string, unknown>, path: string): string | undefined {
  const at = unknownSegment(defaults, path);
  if (!at) return undefined;
  const keys = Object.keys(at.known);
  const near = nearestName(at.key, at.prefix === "" ? [...keys, ...TRIAL_KEYS] : keys);
  return near && at.prefix + near;
}

function unknownSegment(defaults: Record<string, unknown>, path: string) {
  const segments = path.split(".");
  if (TRIAL_KEYS.includes(segments[0]!)) return undefined;
  let known: Record<string, unknown> | undefined = defaults;
  let prefix = "";
  for (const key of segments) {
    if (!known) return undefined;
    if (!Object.hasOwn(known, key)) return { key, known, prefix };
    known = keysUnder(known[key]);
    prefix += `${key}.`;
  }
  return undefined;
}
