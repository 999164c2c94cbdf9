#!/usr/bin/env node
// The `discalc` command. It runs the CLI bundled (runtime/cli-bundle.ts), from
// build/cli-bundle/, built on first use and again when any source changes: compiling through
// tsx on each start made `discalc run` a third slower to its first trial, and tsx's keepNames
// output made the scheduler's per-trial code 1.8× as costly. DISCALC_FROM_SOURCE=1 runs the TypeScript
// through tsx instead (stack traces name the sources), as does an install that cannot write
// build/ or a start while sources are being edited.
import { pathToFileURL } from "node:url";
import { CLI_BUNDLE_DIR, PACKAGE_ROOT, readCachedBundle } from "../runtime/controller/fleet/bundle-cache-read.mjs";

const fromSource = process.env.DISCALC_FROM_SOURCE === "1";
let file = fromSource ? undefined : readCachedBundle(CLI_BUNDLE_DIR, "cli", PACKAGE_ROOT)?.file;
if (!file) {
  const { register } = await import("tsx/esm/api");
  register();
  // A bundle that cannot be built (a source that does not compile, esbuild missing) leaves the
  // sources to run, which then report the problem themselves.
  if (!fromSource) file = await (await import("../runtime/controller/fleet/bundle-cache.ts")).cachedCliBundleFile().catch(() => undefined);
}
await import(file ? pathToFileURL(file).href : "../runtime/cli.ts");
