// The CLI bundled by esbuild, run by bin/discalc.mjs instead of the TypeScript sources through
// tsx: no compiling on each start (a `discalc run` reaches its first trial a third sooner), and
// none of tsx's keepNames wrappers, which redefine the name of every closure the code creates
// (the scheduler's lease and result paths took 1.8× the CPU of the same code bundled).
// Each source's `import.meta.url` is replaced by that file's own URL, so files it reads beside
// itself (schemas, the dashboard, the kernels) are found as from source; packages stay imports.
import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BUNDLE_OPTIONS, builderInputs } from "./controller/bundle.ts";

const ENTRY = fileURLToPath(new URL("./cli.ts", import.meta.url));
/** Nothing is written there (write: false): esbuild names the chunks relative to it. */
const OUT = fileURLToPath(new URL("../build/cli-bundle/", import.meta.url));

const IMPORT_META_URL = /\bimport\.meta\.url\b/g;

/** `import.meta.url` in each of our sources becomes that source's file URL (one bundle has one import.meta). */
export const anchorImportMeta: Plugin = {
  name: "discalc-anchor-import-meta",
  setup(b) {
    b.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const source = readFileSync(args.path, "utf8");
      // A pattern, not the text itself: this file is in the bundle too.
      if (source.search(IMPORT_META_URL) < 0) return undefined;
      return { contents: source.replace(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith(".ts") ? "ts" : "js" };
    });
  },
};

/** The CLI bundle and the absolute paths of the files it was built from (for bundle-cache.ts). */
export async function buildCliBundleWithInputs(label: string): Promise<{ bytes: Uint8Array; inputs: string[]; chunks: Record<string, Uint8Array> }> {
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [ENTRY],
    // Each command's modules stay a chunk of their own, imported when it runs (cli.ts): in one
    // file every package they import would load on every start (pg, koa, esbuild for `--help`).
    splitting: true,
    outdir: OUT,
    entryNames: "cli",
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
    // Packages (native ones among them) load from node_modules as they would from source.
    packages: "external",
    plugins: [anchorImportMeta],
    banner: { js: `// discalc CLI bundle (${label})` },
  });
  const sources = Object.keys(result.metafile.inputs).map((p) => resolve(p));
  const entry = result.outputFiles.find((f) => basename(f.path) === "cli.mjs")!;
  const chunks = Object.fromEntries(result.outputFiles.filter((f) => f !== entry).map((f) => [basename(f.path), f.contents]));
  return { bytes: entry.contents, inputs: [...sources, ...builderInputs(fileURLToPath(import.meta.url))], chunks };
}
