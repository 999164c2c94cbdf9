// Builds the node bundle that relays and workers run: the relay and worker runtime in one
// esbuild ESM file with the kernels' .wasm inlined, so a machine that joined through the
// bootstrap can serve either role and needs nothing on disk.
import { build, type BuildOptions, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelsWasmPath } from "../../../kernels/load.ts";
import { PACKAGE_ROOT } from "./bundle-cache-read.mjs";

const ENTRY = fileURLToPath(new URL("../../node-entry.ts", import.meta.url));

/** Resolves `discalc:kernels-wasm` to the built module's bytes. */
const kernelsWasm = (wasm: Uint8Array): Plugin => ({
  name: "discalc-kernels-wasm",
  setup(b) {
    b.onResolve({ filter: /^discalc:kernels-wasm$/ }, () => ({ path: "kernels-wasm", namespace: "discalc" }));
    b.onLoad({ filter: /.*/, namespace: "discalc" }, () => ({ contents: wasm, loader: "binary" }));
  },
});

export async function buildNodeBundle(label = "dev"): Promise<Uint8Array> {
  return (await buildNodeBundleWithInputs(label)).bytes;
}

/** The bundle and the absolute paths of the files it was built from (for the bundle cache). */
export async function buildNodeBundleWithInputs(label: string): Promise<{ bytes: Uint8Array; inputs: string[] }> {
  let wasm: Uint8Array;
  try {
    wasm = readFileSync(kernelsWasmPath());
  } catch {
    throw new Error(`cannot build the node bundle: ${kernelsWasmPath()} is missing; run \`npm run kernels:build\``);
  }
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [ENTRY],
    minify: true,
    plugins: [kernelsWasm(wasm)],
    // The bundle runs from a data: URL, where import.meta.url cannot anchor require().
    banner: { js: `// discalc node bundle (${label})\nimport { createRequire as __discalcRequire } from "node:module"; const require = __discalcRequire(process.cwd() + "/");` },
    define: { "process.env.DISCALC_BUNDLE_LABEL": JSON.stringify(label) },
  });
  // esbuild names inputs relative to its working directory; the plugin's are namespaced (discalc:…).
  const sources = Object.keys(result.metafile.inputs).filter((p) => !/^[a-z-]+:/.test(p)).map((p) => resolve(p));
  // Besides the sources: the kernels, and what turns them into bytes.
  return { bytes: result.outputFiles[0]!.contents, inputs: [...sources, kernelsWasmPath(), ...builderInputs(fileURLToPath(import.meta.url))] };
}

/** What each of our bundles is: one ESM program for Node 20, kept in memory, its inputs listed (the metafile leaves the bytes as they are). */
export const BUNDLE_OPTIONS = {
  bundle: true, platform: "node", format: "esm", target: "node20", write: false, legalComments: "none", logLevel: "silent", metafile: true,
} as const satisfies BuildOptions;

/**
 * What a bundle's bytes depend on besides its sources: the file that sets its options,
 * esbuild's version, and the package's own settings esbuild reads (tsconfig.json, package.json).
 */
export function builderInputs(optionsFile: string): string[] {
  const esbuild = createRequire(import.meta.url).resolve("esbuild");
  return [
    // This file (BUNDLE_OPTIONS), and esbuild's code where it is the package's own (a package
    // manager may hoist it above, where a cache entry cannot name it: then its version goes unchecked).
    optionsFile, fileURLToPath(import.meta.url), ...(relative(PACKAGE_ROOT, esbuild).startsWith("..") ? [] : [esbuild]),
    fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)), fileURLToPath(new URL("../../../package.json", import.meta.url)),
  ];
}
