// Content-addressed blobs (code bundles, experiments, datasets), kept by the store (files under
// --data with SQLite, rows with PostgreSQL). Blobs are few and immutable, so they are kept in
// memory once read.
import { createHash } from "node:crypto";
import type { Store } from "./store.ts";

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export class BlobStore {
  private cache = new Map<string, Uint8Array>();

  constructor(private readonly store: Store) {}

  async put(bytes: Uint8Array, kind: "bundle" | "dataset" | "experiment", name: string, label: string | null = null): Promise<string> {
    const sha = await this.store.putBlob(bytes, { kind, name, label, created_at: Date.now() });
    this.cache.set(sha, bytes);
    return sha;
  }

  async get(sha: string): Promise<Uint8Array | undefined> {
    let bytes = this.cache.get(sha);
    if (bytes) return bytes;
    bytes = await this.store.blobBytes(sha);
    if (bytes) this.cache.set(sha, bytes);
    return bytes;
  }
}
