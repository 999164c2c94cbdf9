// What a worker runs rests on the controller's signature, never on a relay's word. The
// controller signs each lease batch once (a Merkle tree over the leases' canonical manifests,
// its root signed with the controller's Ed25519 key) and each command; every lease carries its
// path to the root. A worker checks a lease against the controller's public key (from its own
// join) before it fetches or runs anything, so a relay can drop or delay work but not change it.
//
// Why a tree and not a signature per lease: making and checking an Ed25519 signature costs more
// than a tiny trial's whole work at the controller or an agent; one per batch and a few SHA-256s
// per lease cost far less (runtime/bench/lease-signing-bench.ts prints both), and a relay may
// still split a batch across its workers.
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { Command, LeaseManifest, TrialLease, UnsignedLease } from "./messages.ts";

/** JSON with every object's keys sorted, so the signer and the checker hash the same bytes whatever order a hop kept. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) {
    let s = "[";
    for (let i = 0; i < v.length; i++) s += (i ? "," : "") + canonicalJson(v[i] === undefined ? null : v[i]);
    return `${s}]`;
  }
  const keys = Object.keys(v).sort();
  let s = "{";
  let first = true;
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    s += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJson(x)}`;
    first = false;
  }
  return `${s}}`;
}

/** What the controller vouches for in a lease: everything that decides what runs and how; not the deadline (bookkeeping). */
export type LeaseContent = Omit<UnsignedLease, "deadline">;

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const ROOT_DOMAIN = "discalc-lease-root-v1:";
const COMMAND_DOMAIN = "discalc-command-v1:";

/** A lease's leaf: its content, the bundle it must run on and when the signature ends. */
export function leaseLeaf(lease: LeaseContent, bundleSha: string, expiresAt: number): Buffer {
  const content: Record<string, unknown> = {
    trialId: lease.trialId, attempt: lease.attempt, sweepId: lease.sweepId, experiment: lease.experiment, config: lease.config,
    params: lease.params, seed: lease.seed, datasets: lease.datasets, earlyStopping: lease.earlyStopping ?? null, bundleSha, expiresAt,
  };
  // Only when set, as canonicalJson would skip them: a lease without them hashes as before, and
  // no absent key is sorted for every lease signed and checked.
  if (lease.restore !== undefined) content.restore = lease.restore;
  if (lease.checkpointEvery !== undefined) content.checkpointEvery = lease.checkpointEvery;
  if (lease.keepState !== undefined) content.keepState = lease.keepState;
  if (lease.keepIfBetter !== undefined) content.keepIfBetter = lease.keepIfBetter;
  return createHash("sha256").update(LEAF).update(canonicalJson(content)).digest();
}

const parent = (left: Buffer, right: Buffer) => createHash("sha256").update(NODE).update(left).update(right).digest();

/** The message a batch's signature covers. */
const rootMessage = (root: Buffer) => Buffer.from(`${ROOT_DOMAIN}${root.toString("hex")}`);

/**
 * Signs a batch of leases: each gets its manifest (bundle, expiry, its path to the root, the
 * root's signature). Pairs are hashed level by level; an odd last node rises unpaired.
 */
export function signLeases<T extends LeaseContent>(
  leases: T[], bundleSha: string, expiresAt: number, sign: (message: Buffer) => string,
): Array<T & { manifest: LeaseManifest }> {
  if (!leases.length) return [];
  let level = leases.map((l) => leaseLeaf(l, bundleSha, expiresAt));
  const proofs: string[][] = leases.map(() => []);
  // Which node of the current level each lease's path passes through.
  const at = leases.map((_, i) => i);
  while (level.length > 1) {
    for (let i = 0; i < leases.length; i++) {
      const j = at[i]!;
      if (j % 2 === 1) proofs[i]!.push(`l${level[j - 1]!.toString("base64url")}`);
      else if (j + 1 < level.length) proofs[i]!.push(`r${level[j + 1]!.toString("base64url")}`);
      at[i] = j >> 1;
    }
    const next: Buffer[] = [];
    for (let j = 0; j < level.length; j += 2) next.push(j + 1 < level.length ? parent(level[j]!, level[j + 1]!) : level[j]!);
    level = next;
  }
  const signature = sign(rootMessage(level[0]!));
  return leases.map((l, i) => ({ ...l, manifest: { bundleSha, expiresAt, proof: proofs[i]!, signature } }));
}

/** The bytes a command's signature covers. */
export function commandMessage(c: Omit<Command, "signature">): Buffer {
  return Buffer.from(COMMAND_DOMAIN + canonicalJson({ seq: c.seq, kind: c.kind, sweepId: c.sweepId, trialId: c.trialId, bundleSha: c.bundleSha, at: c.at }));
}

/** Nodes and roots kept as verified (a worker sees each batch's nodes again and again). */
const KNOWN_MAX = 100_000;

/**
 * A worker's check of what reaches it through a relay, with the controller's public key. A
 * tree node whose signed root was checked is remembered, so the leases of one batch after the
 * first cost a leaf hash and a step or two of their paths.
 */
export class WorkVerifier {
  private readonly key: KeyObject;
  /** Hex of tree nodes (roots included) known to lie under a root the controller signed. */
  private readonly known = new Set<string>();

  constructor(publicKeyPem: string, private readonly now: () => number = Date.now) {
    this.key = createPublicKey(publicKeyPem);
  }

  /** Why the lease may not run, or null when the controller signed exactly this. */
  leaseProblem(lease: TrialLease): string | null {
    const m = lease.manifest;
    if (m.expiresAt <= this.now()) return `its signature expired at ${new Date(m.expiresAt).toISOString()}`;
    let h = leaseLeaf(lease, m.bundleSha, m.expiresAt);
    const path = [h];
    for (const step of m.proof) {
      if (this.known.has(h.toString("hex"))) return null;
      const sibling = Buffer.from(step.slice(1), "base64url");
      if (sibling.length !== 32) return "its proof is malformed";
      h = step[0] === "l" ? parent(sibling, h) : parent(h, sibling);
      path.push(h);
    }
    if (this.known.has(h.toString("hex"))) return null;
    if (!verify(null, rootMessage(h), this.key, Buffer.from(m.signature, "base64url"))) {
      return "its signature is not the controller's for these contents (altered on the way, or signed by another key)";
    }
    if (this.known.size + path.length > KNOWN_MAX) this.known.clear();
    for (const n of path) this.known.add(n.toString("hex"));
    return null;
  }

  /** Why the command may not be applied, or null when the controller signed it. */
  commandProblem(c: Command): string | null {
    if (!c.signature) return "it is not signed";
    if (!verify(null, commandMessage(c), this.key, Buffer.from(c.signature, "base64url"))) return "its signature is not the controller's";
    return null;
  }
}
