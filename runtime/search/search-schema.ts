// The schema of a sweep config's `search` section, built from the registry for the method the
// config names: the keys every searcher takes, the searcher's own, and a line for each key that
// belongs to another searcher, so a bad section names every problem at once.
import { z } from "zod";
import { isPlainObject } from "../experiments/plain-data.ts";
import { U32_MAX } from "../experiments/experiment-entry.ts";
import { ParamSpecSchema } from "./param-spec.ts";
import type { SearchConfig } from "./searcher.ts";
import { DEFAULT_SEARCHER, findSearcher, searcherNames, unknownMethodMessage } from "./searchers.ts";

const int = (min: number, max: number) => z.int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const refused = (message: string) => z.unknown().refine(() => false, { message }).optional();

/** The `search` schema for a raw section (its `method` picks the searcher's keys). */
export function searchSchema(raw: unknown): z.ZodType<SearchConfig> {
  const method = isPlainObject(raw) && raw.method !== undefined ? raw.method : DEFAULT_SEARCHER;
  const searcher = typeof method === "string" ? findSearcher(method) : undefined;
  const others: Record<string, z.ZodType> = {};
  for (const name of searcherNames()) {
    for (const key of Object.keys(findSearcher(name)!.options)) {
      if (searcher && Object.hasOwn(searcher.options, key)) continue;
      // With an unknown method only the method is wrong; its other keys are left alone.
      const owners = searcherNames().filter((n) => Object.hasOwn(findSearcher(n)!.options, key));
      others[key] = searcher ? refused(searcher.refuses?.[key] ?? `only for method ${owners.join(" or ")}`) : z.unknown().optional();
    }
  }
  const schema = z
    .strictObject({
      method: searcher
        ? z.string().default(DEFAULT_SEARCHER)
        : z.unknown().refine(() => false, { message: unknownMethodMessage(method) }),
      // The searcher's keys before the common ones: the order a stored config has always had.
      ...others,
      ...searcher?.options,
      seed: z.int().min(0, "must be 0 or more").max(U32_MAX, `must be at most ${U32_MAX}`).default(0),
      repeats: (searcher?.maxRepeats ? int(1, 1000).max(searcher.maxRepeats.most, searcher.maxRepeats.why) : int(1, 1000)).default(1),
      parameters: z.record(z.string(), ParamSpecSchema).default({}),
    })
    .superRefine((search, ctx) => {
      if (!searcher?.spaceProblems || !isPlainObject(search.parameters)) return;
      for (const { path, message } of searcher.spaceProblems(search.parameters)) ctx.addIssue({ code: "custom", path: ["parameters", path], message });
    }, { when: (payload) => isPlainObject(payload.value) }); // also when a field failed, to name every problem
  return schema as unknown as z.ZodType<SearchConfig>;
}
