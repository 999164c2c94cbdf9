// Who is calling: the identity cookie (an Ed25519-signed identity the controller issued, see
// identity-token.ts) and bearer tokens (cluster, relay and admin tokens).
import { randomBytes } from "node:crypto";
import { sameKey, tokenKey, type TokenKey } from "./token-key.ts";
import type Koa from "koa";
import type { NodeRole } from "../../protocol/messages.ts";
import type { Identity, IdentityVerifier } from "./identity-token.ts";

export type { Identity };
export const IDENTITY_COOKIE = "discalc_id";

export function newNodeId(role: NodeRole): string {
  return `${role[0]}-${randomBytes(6).toString("hex")}`;
}

export function setIdentity(ctx: Koa.Context, signed: string): void {
  ctx.cookies.set(IDENTITY_COOKIE, signed, { httpOnly: true, sameSite: "strict", overwrite: true, signed: false });
}

const PROBLEMS = {
  malformed: "is malformed",
  signature: "has a signature the controller did not make",
  expired: "has expired: join again",
  revoked: "was issued under a token that is no longer valid: join again with the current token",
  outdated: "predates threads fixed at join: join again",
} as const;

/** The caller's identity if it presents a good one (no error otherwise). */
export function presentedIdentity(ctx: Koa.Context, verifier: IdentityVerifier): Identity | undefined {
  const raw = ctx.cookies.get(IDENTITY_COOKIE, { signed: false });
  if (!raw) return undefined;
  const checked = verifier.check(raw);
  return checked.ok ? checked.id : undefined;
}

/**
 * The caller's identity; 401 when absent, forged, expired or revoked, 403 when its role may not
 * use the route or (`relayId`) when the worker belongs to another relay.
 */
export function requireIdentity(ctx: Koa.Context, verifier: IdentityVerifier, roles: readonly NodeRole[], opts: { relayId?: string } = {}): Identity {
  const raw = ctx.cookies.get(IDENTITY_COOKIE, { signed: false });
  if (!raw) ctx.throw(401, `missing identity cookie '${IDENTITY_COOKIE}': join first`);
  const checked = verifier.check(raw);
  if (!checked.ok) ctx.throw(401, `identity cookie '${IDENTITY_COOKIE}' ${PROBLEMS[checked.problem]}`);
  const id = checked.id;
  if (!roles.includes(id.role)) ctx.throw(403, `a ${id.role}'s identity may not use ${ctx.method} ${ctx.path}`);
  if (opts.relayId !== undefined && id.role === "worker" && id.relayId !== opts.relayId) {
    ctx.throw(403, `worker ${id.nodeId} belongs to relay ${id.relayId}, not this one (${opts.relayId})`);
  }
  return id;
}

export function bearerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.get("authorization");
  if (!header) return undefined;
  const m = /^Bearer (\S{1,512})$/.exec(header);
  if (!m) ctx.throw(401, "header 'authorization' must be 'Bearer <token>'");
  return m[1];
}

/** 401 without a token, 403 with one that is not among `accepted`; the key of the one presented. */
export function requireToken(ctx: Koa.Context, accepted: readonly TokenKey[], what: string): TokenKey {
  const token = bearerToken(ctx);
  if (token === undefined) ctx.throw(401, `header 'authorization' is missing: ${what} needs 'Bearer <token>'`);
  const presented = tokenKey(token);
  const match = accepted.find((k) => sameKey(k, presented));
  if (!match) ctx.throw(403, `wrong token for ${what}`);
  return match;
}

/**
 * Admin routes take only the admin token. A node's identity cookie opens its own role's
 * routes and nothing more, so a node that tries one gets 403, not a prompt for a token.
 */
export function requireAdmin(ctx: Koa.Context, adminToken: TokenKey, what: string): void {
  if (bearerToken(ctx) === undefined && ctx.cookies.get(IDENTITY_COOKIE, { signed: false })) {
    ctx.throw(403, `a node's identity may not use ${what}: it needs the admin token`);
  }
  requireToken(ctx, [adminToken], what);
}
