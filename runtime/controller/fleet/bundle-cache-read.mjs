// Reading a bundle-cache entry (bundle-cache.ts writes them), in plain JavaScript: bin/discalc.mjs
// checks the CLI bundle's entry before anything is compiled, and the controller its node bundle's.
// An entry is good only while every file it was built from hashes as it did then, and its bundle
// is the one it names.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root: cache entries name their inputs relative to it. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Where the CLI bundle (cli-bundle.ts) and its chunks are kept. */
export const CLI_BUNDLE_DIR = join(PACKAGE_ROOT, "build", "cli-bundle");

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** Entries name their inputs relative to the package root, never outside it. */
export const inPackage = (path) => !isAbsolute(path) && !path.startsWith("..");

/** The file name an entry for `label` takes in its folder. */
export const bundleCacheName = (label) => label.replace(/[^A-Za-z0-9._-]/g, "_");

/** The cached bundle for `label` in `dir`, or undefined when there is none or it is stale. */
export function readCachedBundle(dir, label, root) {
  const name = bundleCacheName(label);
  try {
    const entry = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
    if (entry.format !== 1 || entry.label !== label) return undefined;
    for (const [path, sha] of Object.entries(entry.inputs)) {
      if (!inPackage(path) || sha256(readFileSync(resolve(root, path))) !== sha) return undefined;
    }
    // Checked too: two processes writing at once can leave one's entry beside the other's bundle.
    const file = join(dir, `${name}.mjs`);
    const bytes = readFileSync(file);
    if (sha256(bytes) !== entry.bundleSha) return undefined;
    // A split bundle's chunks, each as built (their names are their content's; a path is refused).
    for (const [chunk, sha] of Object.entries(entry.chunks ?? {})) {
      if (chunk.includes("/") || chunk.includes("\\") || sha256(readFileSync(join(dir, chunk))) !== sha) return undefined;
    }
    return { bytes, file };
  } catch {
    // No entry, an input gone, or an entry we cannot read: build.
    return undefined;
  }
}
