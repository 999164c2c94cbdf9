// The node bundle, kept on disk between starts: building it (esbuild) is a large part of a
// controller's start, yet its inputs rarely change. An entry lists every file the bundle was
// built from with its SHA-256 (sources, kernels, bundle.ts's options, esbuild's version); it is
// used only while all of them still hash the same, so its bytes are what a build would make.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";

/** Beside the built kernels (build/ is the package's own, not a shared temp folder: no one else can plant a bundle there). */
export const BUNDLE_CACHE_DIR = fileURLToPath(new URL("../../build/node-bundle-cache/", import.meta.url));
/** The package's root: inputs are named relative to it, so a copied checkout never takes the original's files for its own. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface CacheEntry {
  format: 1;
  label: string;
  bundleSha: string;
  /** Path relative to the package root → SHA-256 of every file the bundle was built from. */
  inputs: Record<string, string>;
}

/** How long before a build its inputs must have been left alone for it to be cached (file times can be coarse). */
const SETTLED_MS = 2000;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Makes a bundle and names the files it was made from (buildNodeBundleWithInputs; tests pass their own). */
export type BundleBuilder = (label: string) => Promise<{ bytes: Uint8Array; inputs: string[] }>;

/** The node bundle labelled `label`: the cached one while nothing it was built from changed, else built now and cached. */
export async function cachedNodeBundle(label: string, o: { dir?: string; build?: BundleBuilder; root?: string } = {}): Promise<Uint8Array> {
  const dir = o.dir ?? BUNDLE_CACHE_DIR;
  const root = o.root ?? PACKAGE_ROOT;
  const name = label.replace(/[^A-Za-z0-9._-]/g, "_");
  const cached = readEntry(dir, name, label, root);
  if (cached) return cached;
  // esbuild is loaded only for a build.
  const build = o.build ?? (await import("./bundle.ts")).buildNodeBundleWithInputs;
  const started = Date.now();
  const { bytes, inputs } = await build(label);
  const hashes = Object.fromEntries(inputs.map((p) => [relative(root, p), sha256(readFileSync(p))]));
  // A file saved during the build may hash differently from what esbuild read: such a build is not kept.
  // (Checked after hashing, so a later save leaves a hash that no longer matches, and a rebuild.)
  const settled = inputs.every((p) => statSync(p).mtimeMs < started - SETTLED_MS);
  // Nor one built from files outside the package, which another checkout could not check.
  if (settled && Object.keys(hashes).every(inPackage)) writeEntry(dir, name, { format: 1, label, bundleSha: sha256(bytes), inputs: hashes }, bytes);
  return bytes;
}

const inPackage = (path: string) => !isAbsolute(path) && !path.startsWith("..");

function readEntry(dir: string, name: string, label: string, root: string): Uint8Array | undefined {
  try {
    const entry = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as CacheEntry;
    if (entry.format !== 1 || entry.label !== label) return undefined;
    for (const [path, sha] of Object.entries(entry.inputs)) {
      if (!inPackage(path) || sha256(readFileSync(resolve(root, path))) !== sha) return undefined;
    }
    // Checked too: two controllers writing at once can leave one's entry beside the other's bundle.
    const bytes = readFileSync(join(dir, `${name}.mjs`));
    return sha256(bytes) === entry.bundleSha ? bytes : undefined;
  } catch {
    // No entry, an input gone, or an entry we cannot read: build.
    return undefined;
  }
}

function writeEntry(dir: string, name: string, entry: CacheEntry, bytes: Uint8Array): void {
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename, each file: a reader never sees a truncated one.
    const tmp = `.${process.pid}.tmp`;
    writeFileSync(join(dir, `${name}.mjs${tmp}`), bytes);
    renameSync(join(dir, `${name}.mjs${tmp}`), join(dir, `${name}.mjs`));
    writeFileSync(join(dir, `${name}.json${tmp}`), JSON.stringify(entry));
    renameSync(join(dir, `${name}.json${tmp}`), join(dir, `${name}.json`));
  } catch {
    // A read-only install: every start builds, as before the cache.
  }
}
