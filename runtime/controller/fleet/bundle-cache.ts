// Bundles kept on disk between starts, the node bundle workers run and the CLI bundle
// (cli-bundle.ts): building one (esbuild) is a large part of a start, yet its inputs rarely
// change. An entry lists every file the bundle was
// built from with its SHA-256 (sources, kernels, bundle.ts's options, esbuild's version); it is
// used only while all of them still hash the same, so its bytes are what a build would make.
import { accessSync, constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
// Inputs are named relative to PACKAGE_ROOT, so a copied checkout never takes the original's files for its own.
import { bundleCacheName, CLI_BUNDLE_DIR, inPackage, PACKAGE_ROOT, readCachedBundle, sha256 } from "./bundle-cache-read.mjs";

/** Beside the built kernels (build/ is the package's own, not a shared temp folder: no one else can plant a bundle there). */
export const BUNDLE_CACHE_DIR = fileURLToPath(new URL("../../../build/node-bundle-cache/", import.meta.url));

interface CacheEntry {
  format: 1;
  label: string;
  bundleSha: string;
  /** Path relative to the package root → SHA-256 of every file the bundle was built from. */
  inputs: Record<string, string>;
  /** File name → SHA-256 of each chunk beside the bundle (a split bundle). */
  chunks?: Record<string, string>;
}

/** How long before a build its inputs must have been left alone for it to be cached (file times can be coarse). */
const SETTLED_MS = 2000;

/**
 * Makes a bundle and names the files it was made from (buildNodeBundleWithInputs; tests pass
 * their own); a split bundle (the CLI's) has chunks its entry file imports, by file name.
 */
export type BundleBuilder = (label: string) => Promise<{ bytes: Uint8Array; inputs: string[]; chunks?: Record<string, Uint8Array> }>;

/** The node bundle labelled `label`: the cached one while nothing it was built from changed, else built now and cached. */
export async function cachedNodeBundle(label: string, o: { dir?: string; build?: BundleBuilder; root?: string } = {}): Promise<Uint8Array> {
  // esbuild is loaded only for a build.
  return (await cachedBundle(label, { dir: o.dir ?? BUNDLE_CACHE_DIR, root: o.root, build: o.build ?? (async (l) => (await import("./bundle.ts")).buildNodeBundleWithInputs(l)) })).bytes;
}

/** The CLI bundle's file, built now if its entry is stale; undefined when it could not be kept (edits under way, a read-only install). */
export async function cachedCliBundleFile(o: { dir?: string; build?: BundleBuilder; root?: string } = {}): Promise<string | undefined> {
  const dir = o.dir ?? CLI_BUNDLE_DIR;
  const root = o.root ?? PACKAGE_ROOT;
  // Where the bundle could not be kept, building it would only slow every start down.
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch {
    return undefined;
  }
  return (await cachedBundle("cli", { dir, root, build: o.build ?? (async (l) => (await import("../../cli-bundle.ts")).buildCliBundleWithInputs(l)) })).file;
}

/**
 * The bundle labelled `label` in `dir`: read while its entry holds, else built and (when it may
 * be) kept; `file` is where it is kept, if it is.
 */
async function cachedBundle(label: string, o: { dir: string; build: BundleBuilder; root?: string }): Promise<{ bytes: Uint8Array; file?: string }> {
  const root = o.root ?? PACKAGE_ROOT;
  const cached = readCachedBundle(o.dir, label, root);
  if (cached) return cached;
  const started = Date.now();
  const { bytes, inputs, chunks = {} } = await o.build(label);
  const hashes = Object.fromEntries(inputs.map((p) => [relative(root, p), sha256(readFileSync(p))]));
  // A file saved during the build may hash differently from what esbuild read: such a build is not kept.
  // (Checked after hashing, so a later save leaves a hash that no longer matches, and a rebuild.)
  const settled = inputs.every((p) => statSync(p).mtimeMs < started - SETTLED_MS);
  // Nor one built from files outside the package, which another checkout could not check.
  if (!settled || !Object.keys(hashes).every(inPackage)) return { bytes };
  const chunkShas = Object.fromEntries(Object.entries(chunks).map(([file, b]) => [file, sha256(b)]));
  return { bytes, file: writeEntry(o.dir, bundleCacheName(label), { format: 1, label, bundleSha: sha256(bytes), inputs: hashes, chunks: chunkShas }, bytes, chunks) };
}

/** Writes the entry and its files; returns the bundle's path, or undefined where it cannot be written. */
function writeEntry(dir: string, name: string, entry: CacheEntry, bytes: Uint8Array, chunks: Record<string, Uint8Array>): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename, each file: a reader never sees a truncated one.
    const tmp = `.${process.pid}.tmp`;
    // Chunks first, named by their content: the entry file that imports them comes after, and a
    // process still running an older bundle keeps finding the chunks it loads later.
    for (const [file, b] of Object.entries(chunks)) {
      writeFileSync(join(dir, `${file}${tmp}`), b);
      renameSync(join(dir, `${file}${tmp}`), join(dir, file));
    }
    writeFileSync(join(dir, `${name}.mjs${tmp}`), bytes);
    renameSync(join(dir, `${name}.mjs${tmp}`), join(dir, `${name}.mjs`));
    writeFileSync(join(dir, `${name}.json${tmp}`), JSON.stringify(entry));
    renameSync(join(dir, `${name}.json${tmp}`), join(dir, `${name}.json`));
    return join(dir, `${name}.mjs`);
  } catch {
    // A read-only install: every start builds, as before the cache.
    return undefined;
  }
}
