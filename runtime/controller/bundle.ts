// Builds the node bundle that relays and workers run: the relay and worker runtime in one
// esbuild ESM file with the kernels' .wasm inlined, so a machine that joined through the
// bootstrap can serve either role and needs nothing on disk.
import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelsWasmPath } from "../../kernels/load.ts";

const ENTRY = fileURLToPath(new URL("../node-entry.ts", import.meta.url));

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
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    minify: true,
    legalComments: "none",
    plugins: [kernelsWasm(wasm)],
    // The bundle runs from a data: URL, where import.meta.url cannot anchor require().
    banner: { js: `// discalc node bundle (${label})\nimport { createRequire as __discalcRequire } from "node:module"; const require = __discalcRequire(process.cwd() + "/");` },
    define: { "process.env.DISCALC_BUNDLE_LABEL": JSON.stringify(label) },
    logLevel: "silent",
    // Only lists the inputs; the bundle's bytes are the same with or without it.
    metafile: true,
  });
  // esbuild names inputs relative to its working directory; the plugin's are namespaced (discalc:…).
  const sources = Object.keys(result.metafile.inputs).filter((p) => !/^[a-z-]+:/.test(p)).map((p) => resolve(p));
  // Besides the sources: the kernels, and what turns them into bytes (this file's options, esbuild's version).
  // And the package's own settings esbuild reads (tsconfig.json's compiler options, package.json).
  const builder = [
    fileURLToPath(import.meta.url), createRequire(import.meta.url).resolve("esbuild"),
    fileURLToPath(new URL("../../tsconfig.json", import.meta.url)), fileURLToPath(new URL("../../package.json", import.meta.url)),
  ];
  return { bytes: result.outputFiles[0]!.contents, inputs: [...sources, kernelsWasmPath(), ...builder] };
}
