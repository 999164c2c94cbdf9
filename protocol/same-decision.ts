// For the tests of quick checks (quickOrDetailed in messages.ts): the quick schema must decide
// every input as its detailed schema does — the same result, or the same problems named.
import assert from "node:assert/strict";
import type { z } from "zod";

/** Parses two fresh copies of an input (`make` builds one each time: parsing may not mutate, but must not be trusted to). */
export function assertSameDecision(name: string, quick: z.ZodType, detailed: z.ZodType, make: () => unknown): void {
  const q = quick.safeParse(make());
  const d = detailed.safeParse(make());
  assert.equal(q.success, d.success, `${name}: accepted by one and not the other`);
  if (q.success && d.success) assert.deepEqual(q.data, d.data, `${name}: a different result`);
  else assert.deepEqual(issues(q.error!), issues(d.error!), `${name}: the same problem named`);
}

const issues = (e: z.ZodError) => e.issues.map((i) => [i.path.join("."), i.message]);
