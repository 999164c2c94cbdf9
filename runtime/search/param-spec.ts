// A swept parameter's spec (a list of choices or a closed range) and its schema: what every
// searcher draws from, so it lives here rather than with the sweep config that holds it.
import { z } from "zod";
import { canonicalJson, isPlainObject } from "../experiments/plain-data.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type RangeSpec = { uniform: [number, number] } | { loguniform: [number, number] } | { int: [number, number] };
/** A list of choices or (for a searcher that samples) a range; ranges are closed, so both ends must be valid values. */
export type ParamSpec = Json[] | RangeSpec;

/** Swept values by dotted path. */
export type Point = Record<string, unknown>;

const Choices = z.array(z.json()).min(1, "must list at least one choice").superRefine((choices, ctx) => {
  const seen = new Map<string, number>();
  choices.forEach((choice, i) => {
    const key = canonicalJson(choice);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else ctx.addIssue({ code: "custom", path: [i], message: `same as choice ${first}` });
  });
});

const pair = z.tuple([z.number(), z.number()]);
const RANGES = {
  uniform: pair.refine(([a, b]) => a < b, "needs a < b"),
  loguniform: pair.refine(([a]) => a > 0, "needs a > 0").refine(([a, b]) => a < b, "needs a < b"),
  int: z.tuple([z.int(), z.int()]).refine(([a, b]) => a <= b, "needs a <= b"),
};

// A union would report only "Invalid input"; choosing the shape by its look names the real problem.
export const ParamSpecSchema = z.custom<ParamSpec>().superRefine((spec, ctx) => {
  const check = (schema: z.ZodType, value: unknown, at: PropertyKey[]) => {
    for (const issue of schema.safeParse(value).error?.issues ?? []) {
      ctx.addIssue({ code: "custom", path: [...at, ...issue.path], message: issue.message });
    }
  };
  if (Array.isArray(spec)) return check(Choices, spec, []);
  const kinds = isPlainObject(spec) ? Object.keys(spec) : [];
  const kind = kinds[0] as keyof typeof RANGES;
  if (kinds.length === 1 && Object.hasOwn(RANGES, kind)) return check(RANGES[kind], (spec as Record<string, unknown>)[kind], [kind]);
  ctx.addIssue({ code: "custom", message: "must be a list of choices or a range { uniform | loguniform | int: [a, b] }" });
});

/** Every value a spec names: its choices, or both ends of its range. */
export function specValues(spec: unknown): unknown[] {
  if (Array.isArray(spec)) return spec;
  const ends = isPlainObject(spec) ? Object.values(spec)[0] : undefined;
  return Array.isArray(ends) ? ends : [];
}
