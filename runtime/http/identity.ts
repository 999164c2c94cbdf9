// Who is calling: the signed identity cookie (node id and role, signed with Koa's
// app.keys) and bearer tokens (cluster token to join, admin token for commands).
import { timingSafeEqual, randomBytes } from "node:crypto";
import type Koa from "koa";
import type { NodeRole } from "../../protocol/messages.ts";

export const IDENTITY_COOKIE = "discalc_id";

export interface Identity {
  nodeId: string;
  role: NodeRole;
}

export function newNodeId(role: NodeRole): string {
  return `${role[0]}-${randomBytes(6).toString("hex")}`;
}

export function setIdentity(ctx: Koa.Context, id: Identity): void {
  ctx.cookies.set(IDENTITY_COOKIE, `${id.role}:${id.nodeId}`, { signed: true, httpOnly: true, sameSite: "strict", overwrite: true });
}

/** The caller's identity; 401 when absent or forged, 403 when its role may not use the route. */
export function requireIdentity(ctx: Koa.Context, roles: readonly NodeRole[]): Identity {
  const raw = ctx.cookies.get(IDENTITY_COOKIE);
  if (!raw) ctx.throw(401, `missing identity cookie '${IDENTITY_COOKIE}': join first`);
  const value = ctx.cookies.get(IDENTITY_COOKIE, { signed: true });
  if (!value) ctx.throw(401, `identity cookie '${IDENTITY_COOKIE}' has a missing or wrong signature`);
  const m = /^(controller|relay|worker):([a-z]-[0-9a-f]{12})$/.exec(value);
  if (!m) ctx.throw(401, `identity cookie '${IDENTITY_COOKIE}' is malformed`);
  const id = { role: m[1] as NodeRole, nodeId: m[2]! };
  if (!roles.includes(id.role)) ctx.throw(403, `a ${id.role}'s identity may not use ${ctx.method} ${ctx.path}`);
  return id;
}

export function bearerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.get("authorization");
  if (!header) return undefined;
  const m = /^Bearer (\S{1,512})$/.exec(header);
  if (!m) ctx.throw(401, "header 'authorization' must be 'Bearer <token>'");
  return m[1];
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** 401 without a token, 403 with one that is not among `accepted`. */
export function requireToken(ctx: Koa.Context, accepted: readonly string[], what: string): void {
  const token = bearerToken(ctx);
  if (token === undefined) ctx.throw(401, `header 'authorization' is missing: ${what} needs 'Bearer <token>'`);
  if (!accepted.some((t) => same(t, token))) ctx.throw(403, `wrong token for ${what}`);
}

/**
 * Admin routes take only the admin token. A node's identity cookie opens its own role's
 * routes and nothing more, so a node that tries one gets 403, not a prompt for a token.
 */
export function requireAdmin(ctx: Koa.Context, adminToken: string, what: string): void {
  if (bearerToken(ctx) === undefined && ctx.cookies.get(IDENTITY_COOKIE)) {
    const value = ctx.cookies.get(IDENTITY_COOKIE, { signed: true });
    const role = value?.split(":")[0] ?? "node";
    ctx.throw(403, `a ${role}'s identity may not use ${what}: it needs the admin token`);
  }
  requireToken(ctx, [adminToken], what);
}
