// The CLI bundled by esbuild, run by bin/discalc.mjs instead of the TypeScript sources through
// tsx: no compiling on each start (a `discalc run` reaches its first trial a third sooner), and
// none of tsx's keepNames wrappers, which redefine the name of every closure the code creates
// (the scheduler's lease and result paths took 1.8× the CPU of the same code bundled).
// Each source's `import.meta.url` is replaced by that file's own URL, made relative to the
// bundle's folder (a moved or copied checkout finds its own files), so files it reads beside
// itself (schemas, the dashboard, the kernels) are found as from source; packages stay imports.
import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { basename, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_OPTIONS, builderInputs } from "./controller/fleet/bundle.ts";
import { CLI_BUNDLE_DIR, PACKAGE_ROOT } from "./controller/fleet/bundle-cache-read.mjs";

const ENTRY = fileURLToPath(new URL("./cli.ts", import.meta.url));

const IMPORT_META_URL = /\bimport\.meta\.url\b/g;
/** Any other use of the module's meta object but resolve(), which means the same from the bundle's folder. */
const OTHER_IMPORT_META = /\bimport\.meta\b(?!\.resolve\b)/;

/**
 * `import.meta.url` in each of our sources becomes that source's URL, found from the bundle's
 * own (one bundle has one meta object). `outdir` is where the bundle's files will be.
 */
export const anchorImportMeta = (outdir: string): Plugin => ({
  name: "discalc-anchor-import-meta",
  setup(b) {
    b.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
      // Our own sources only (this package may itself sit in someone's node_modules).
      if (relative(PACKAGE_ROOT, args.path).split(sep)[0] === "node_modules") return undefined;
      const source = readFileSync(args.path, "utf8");
      // A pattern, not the text itself: this file is in the bundle too.
      if (source.search(IMPORT_META_URL) < 0) return undefined;
      // Spelled in parts: this file is bundled too, and the text itself would be replaced.
      const own = `new URL(${JSON.stringify(relative(outdir, args.path).split(sep).join("/"))}, ${["import", "meta", "url"].join(".")}).href`;
      const contents = source.replace(IMPORT_META_URL, own);
      // Anything else would silently mean the bundle's folder: refuse to build instead.
      if (OTHER_IMPORT_META.test(contents.replaceAll(own, ""))) throw new Error(`${args.path}: only .url and .resolve() of the module's meta object can be bundled here`);
      return { contents, loader: args.path.endsWith(".ts") ? "ts" : "js" };
    });
  },
});

/** The CLI bundle and the absolute paths of the files it was built from (for bundle-cache.ts). */
export async function buildCliBundleWithInputs(label: string): Promise<{ bytes: Uint8Array; inputs: string[]; chunks: Record<string, Uint8Array> }> {
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [ENTRY],
    // Each command's modules stay a chunk of their own, imported when it runs (cli.ts): in one
    // file every package they import would load on every start (pg, koa, esbuild for `--help`).
    splitting: true,
    // Nothing is written (write: false): esbuild names the chunks relative to it.
    outdir: CLI_BUNDLE_DIR,
    entryNames: "cli",
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
    // Packages (native ones among them) load from node_modules as they would from source.
    packages: "external",
    plugins: [anchorImportMeta(CLI_BUNDLE_DIR)],
    banner: { js: `// discalc CLI bundle (${label})` },
  });
  const sources = Object.keys(result.metafile.inputs).map((p) => resolve(p));
  const entry = result.outputFiles.find((f) => basename(f.path) === "cli.mjs")!;
  const chunks = Object.fromEntries(result.outputFiles.filter((f) => f !== entry).map((f) => [basename(f.path), f.contents]));
  return { bytes: entry.contents, inputs: [...sources, ...builderInputs(fileURLToPath(import.meta.url))], chunks };
}
