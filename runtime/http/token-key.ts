// A token as daemons keep it: its SHA-256, which a presented token is compared with, and its
// fingerprint, which identities carry. With a shared store (PostgreSQL) a controller may know
// only these of an admin token another controller generated: its hash is kept in the store, the
// token itself only in the --data folder of the controller that made it.
import { createHash, timingSafeEqual } from "node:crypto";
import { tokenFingerprint } from "./identity-token.ts";

export interface TokenKey {
  /** SHA-256 of the token, hex. */
  hash: string;
  /** tokenFingerprint() of the token. */
  fingerprint: string;
}

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

export const tokenKey = (token: string): TokenKey => ({ hash: sha256(token), fingerprint: tokenFingerprint(token) });

/** Whether `presented` is the token behind `key` (compared in constant time). */
export function tokenMatches(key: TokenKey, presented: string): boolean {
  return sameKey(key, { hash: sha256(presented), fingerprint: "" });
}

export function sameKey(a: TokenKey, b: TokenKey): boolean {
  return timingSafeEqual(Buffer.from(a.hash, "hex"), Buffer.from(b.hash, "hex"));
}

/** A key as the store keeps it (meta text), or undefined for anything else. */
export function parseTokenKey(text: string | undefined): TokenKey | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<TokenKey>;
    if (typeof v.hash === "string" && /^[0-9a-f]{64}$/.test(v.hash) && typeof v.fingerprint === "string" && /^[0-9a-f]{16}$/.test(v.fingerprint)) {
      return { hash: v.hash, fingerprint: v.fingerprint };
    }
  } catch {
    // not a key
  }
  return undefined;
}
