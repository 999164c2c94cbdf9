// Node identities that no node can mint for another: the controller signs each identity with
// its Ed25519 private key; relays verify with the public key alone. An identity names the
// node, its role, the relay a worker belongs to, the threads it was granted at join (what its
// relay bounds a poll's grant by, whatever the poll says), when it expires, and the fingerprint
// of the token it joined with, so rotating a token revokes every identity issued under it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import type { NodeRole } from "../../protocol/messages.ts";

export interface Identity {
  nodeId: string;
  role: NodeRole;
  /** A worker's relay (the only relay that accepts it); null for relays. */
  relayId: string | null;
  /** Threads granted at join (its `threads=`, capped by the controller's --max-threads). */
  threads: number;
  /** ms since the epoch. */
  expiresAt: number;
  /** tokenFingerprint() of the token the node joined with. */
  token: string;
}

/** A short, non-reversible name for a token: what identities and relays carry instead of it. */
export const tokenFingerprint = (token: string) => createHash("sha256").update(`discalc-token:${token}`).digest("hex").slice(0, 16);

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class IdentitySigner {
  private constructor(private readonly privateKey: KeyObject, readonly publicKeyPem: string) {}

  /** A new key pair, or the one stored as PKCS#8 PEM. */
  static load(pem?: string): IdentitySigner {
    const key = pem ? createPrivateKey(pem) : generateKeyPairSync("ed25519").privateKey;
    return new IdentitySigner(key, createPublicKey(key).export({ type: "spki", format: "pem" }).toString());
  }

  get privateKeyPem(): string {
    return this.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }

  /** A detailed Ed25519 signature of `message`, base64url (what leases and commands carry: protocol/signed-work.ts). */
  signMessage(message: Buffer): string {
    return sign(null, message, this.privateKey).toString("base64url");
  }

  issue(id: Identity): string {
    // Still v 1: `h` is a field more, which relays running an older bundle read past.
    const payload = b64(JSON.stringify({ v: 1, n: id.nodeId, r: id.role, u: id.relayId, h: id.threads, x: id.expiresAt, t: id.token }));
    return `${payload}.${b64(sign(null, Buffer.from(payload), this.privateKey))}`;
  }
}

export type IdentityProblem = "malformed" | "signature" | "expired" | "revoked" | "outdated";

/** Verified identities kept (a fleet's nodes each present one, renewed now and then). */
const VERIFIED_MAX = 10_000;

export class IdentityVerifier {
  private readonly key: KeyObject;
  /**
   * Identities whose signature checked out, by their text. A signature stays good for its key,
   * so it is verified once: an Ed25519 verification on every request was a tenth of a tiny
   * trial's cost at the controller. Expiry and revocation are still checked on every call.
   */
  private readonly verified = new Map<string, Identity>();

  /** `tokens`: fingerprints of the tokens whose identities are still good. */
  constructor(publicKeyPem: string, public tokens: readonly string[], private readonly now: () => number = Date.now) {
    this.key = createPublicKey(publicKeyPem);
  }

  check(value: string): { ok: true; id: Identity } | { ok: false; problem: IdentityProblem } {
    let id = this.verified.get(value);
    if (!id) {
      const read = this.read(value);
      if (!read.ok) return read;
      id = read.id;
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      this.verified.set(value, id);
    }
    if (id.expiresAt <= this.now()) return { ok: false, problem: "expired" };
    if (!this.tokens.includes(id.token)) return { ok: false, problem: "revoked" };
    return { ok: true, id };
  }

  /** The signature checked and the fields read; nothing about time or tokens. */
  private read(value: string): { ok: true; id: Identity } | { ok: false; problem: IdentityProblem } {
    const m = /^([A-Za-z0-9_-]{1,600})\.([A-Za-z0-9_-]{86})$/.exec(value);
    if (!m) return { ok: false, problem: "malformed" };
    if (!verify(null, Buffer.from(m[1]!), this.key, Buffer.from(m[2]!, "base64url"))) return { ok: false, problem: "signature" };
    let p: { v?: unknown; n?: unknown; r?: unknown; u?: unknown; h?: unknown; x?: unknown; t?: unknown };
    try {
      p = JSON.parse(Buffer.from(m[1]!, "base64url").toString("utf8")) as typeof p;
    } catch {
      return { ok: false, problem: "malformed" };
    }
    if (p.v !== 1 || typeof p.n !== "string" || (p.r !== "relay" && p.r !== "worker" && p.r !== "controller") ||
      (p.u !== null && typeof p.u !== "string") || typeof p.x !== "number" || typeof p.t !== "string") {
      return { ok: false, problem: "malformed" };
    }
    // Issued before threads were fixed at join: the node joins again (a poll would otherwise
    // be bounded by whatever threads it declared).
    if (!Number.isInteger(p.h) || (p.h as number) < 1) return { ok: false, problem: "outdated" };
    return { ok: true, id: { nodeId: p.n, role: p.r, relayId: p.u as string | null, threads: p.h as number, expiresAt: p.x, token: p.t } };
  }
}

/** Reads an identity's fields without checking it (an agent deciding when to renew its own). */
export function peekIdentity(value: string): { expiresAt: number } | null {
  try {
    const p = JSON.parse(Buffer.from(value.split(".")[0] ?? "", "base64url").toString("utf8")) as { x?: unknown };
    return typeof p.x === "number" ? { expiresAt: p.x } : null;
  } catch {
    return null;
  }
}
