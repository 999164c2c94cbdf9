// Content-addressed blobs (code bundles, datasets) under DATA/blobs/<sha256>, indexed in
// the store. Blobs are few and immutable, so they are kept in memory once read.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "./store.ts";

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export class BlobStore {
  private cache = new Map<string, Uint8Array>();
  private readonly dir: string;

  constructor(private readonly store: Store) {
    this.dir = join(store.dir, "blobs");
    mkdirSync(this.dir, { recursive: true });
  }

  put(bytes: Uint8Array, kind: "bundle" | "dataset" | "experiment", name: string, label: string | null = null): string {
    const sha = sha256(bytes);
    const path = join(this.dir, sha);
    if (!existsSync(path)) {
      // Write then rename, so a crash never leaves a truncated blob under its hash.
      writeFileSync(`${path}.tmp`, bytes);
      renameSync(`${path}.tmp`, path);
    }
    this.store.insertBlob({ sha, kind, name, bytes: bytes.byteLength, label, created_at: Date.now() });
    this.cache.set(sha, bytes);
    return sha;
  }

  get(sha: string): Uint8Array | undefined {
    let bytes = this.cache.get(sha);
    if (bytes) return bytes;
    if (!this.store.blob(sha)) return undefined;
    const path = join(this.dir, sha);
    if (!existsSync(path)) return undefined;
    bytes = readFileSync(path);
    if (sha256(bytes) !== sha) throw new Error(`blob ${sha} on disk is corrupt`);
    this.cache.set(sha, bytes);
    return bytes;
  }
}
