// Checks requests at the boundary against the protocol's schemas: query parameters and
// bodies (size-capped, deflate-aware). A bad request gets 400 naming the field.
import type Koa from "koa";
import type { z } from "zod";
import { routes, type RouteName } from "../../protocol/routes.ts";
import { decodeJsonBodyBytes, BodyTooLargeError, BadEncodingError, DEFAULT_BODY_CAP } from "../../protocol/codec.ts";
import { formatIssues } from "../../kernels/config-errors.ts";
import { BODY_CAPS } from "../../protocol/batch-bytes.ts";

export function parseQuery<N extends RouteName>(ctx: Koa.Context, name: N): z.output<(typeof routes)[N]["query"]> {
  return parseQueryWith(ctx, routes[name].query) as z.output<(typeof routes)[N]["query"]>;
}

export function parseQueryWith<S extends z.ZodType>(ctx: Koa.Context, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(ctx.querystring)) {
    if (k in raw) ctx.throw(400, `query parameter '${k}' is given twice`);
    raw[k] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => i.code === "unrecognized_keys"
      ? `unknown query parameter${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `'${k}'`).join(", ")}`
      : `query parameter '${i.path.join(".")}' ${i.message}`);
    ctx.throw(400, lines.join("; "));
  }
  return parsed.data;
}

/** Reads the raw body, refusing (413) past `cap` before reading further. */
export async function readRawBody(ctx: Koa.Context, cap: number): Promise<Uint8Array> {
  const declared = Number(ctx.get("content-length") || 0);
  if (declared > cap) ctx.throw(413, `body of ${declared} bytes exceeds the ${cap}-byte cap`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > cap) {
      ctx.req.destroy();
      ctx.throw(413, `body exceeds the ${cap}-byte cap`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Each route's body cap (a heartbeat 4 MiB, a metrics batch 8 MiB, results 64 MiB). */
export async function parseBody<N extends RouteName>(ctx: Koa.Context, name: N, cap = (BODY_CAPS as Record<string, number>)[name] ?? DEFAULT_BODY_CAP) {
  const schema = routes[name].body;
  if (!schema) throw new Error(`route ${name} has no body`);
  const raw = await readRawBody(ctx, cap);
  let json: unknown;
  try {
    const decoded = decodeJsonBodyBytes(raw, ctx.get("content-encoding") || undefined, cap);
    json = decoded.value;
    // Its size as JSON, for byte counters (re-encoding a batch to learn it cost as much as parsing it).
    ctx.state.bodyRawBytes = decoded.rawBytes;
  } catch (err) {
    if (err instanceof BodyTooLargeError) ctx.throw(413, `inflated body exceeds the ${cap}-byte cap`);
    if (err instanceof BadEncodingError) ctx.throw(400, err.message);
    throw err;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) ctx.throw(400, `invalid body: ${formatIssues(parsed.error.issues).slice(0, 5).join("; ")}`);
  return parsed.data as z.output<NonNullable<(typeof routes)[N]["body"]>>;
}
