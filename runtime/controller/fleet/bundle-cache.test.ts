// The bundle cache: it returns what its builder made, serves an entry only while every input
// hashes as it did and the bundle is the one the entry names, and keeps no build whose inputs
// were being edited. A builder over temporary files stands in for esbuild; the last test
// checks what the real builders name as their inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cachedNodeBundle, type BundleBuilder } from "./bundle-cache.ts";
import { buildNodeBundleWithInputs } from "./bundle.ts";
import { buildCliBundleWithInputs } from "../../cli-bundle.ts";
import { pathToFileURL } from "node:url";

/** Two input files, last changed a minute ago, and a builder that concatenates them (counting its builds). */
function fixture(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), "discalc-bundle-cache-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const inputs = [join(root, "a.ts"), join(root, "b.ts")];
  const write = (path: string, text: string, ageMs = 60_000) => {
    writeFileSync(path, text);
    const at = (Date.now() - ageMs) / 1000;
    utimesSync(path, at, at);
  };
  write(inputs[0]!, "export const a = 1;\n");
  write(inputs[1]!, "export const b = 2;\n");
  const state = { builds: 0 };
  const build: BundleBuilder = async (label) => {
    state.builds++;
    const text = `// ${label}\n${inputs.map((p) => readFileSync(p, "utf8")).join("")}`;
    return { bytes: new TextEncoder().encode(text), inputs };
  };
  return { dir: join(root, "cache"), root, inputs, write, build, state };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("a second start reads the bundle its first built; another label is another bundle", async (t) => {
  const f = fixture(t);
  const first = await cachedNodeBundle("initial", f);
  assert.equal(text(first), "// initial\nexport const a = 1;\nexport const b = 2;\n");
  assert.equal(f.state.builds, 1);
  assert.equal(text(await cachedNodeBundle("initial", f)), text(first));
  assert.equal(f.state.builds, 1, "read from the cache, not built");
  assert.equal(text(await cachedNodeBundle("v2 (deploy)", f)), "// v2 (deploy)\nexport const a = 1;\nexport const b = 2;\n");
  assert.equal(f.state.builds, 2);
});

test("an input that changed, or a bundle that is not the one its entry names, is built again", async (t) => {
  const f = fixture(t);
  await cachedNodeBundle("initial", f);
  f.write(f.inputs[1]!, "export const b = 3;\n");
  assert.equal(text(await cachedNodeBundle("initial", f)), "// initial\nexport const a = 1;\nexport const b = 3;\n");
  assert.equal(f.state.builds, 2);

  writeFileSync(join(f.dir, "initial.mjs"), "// tampered\n");
  assert.equal(text(await cachedNodeBundle("initial", f)), "// initial\nexport const a = 1;\nexport const b = 3;\n");
  assert.equal(f.state.builds, 3, "the entry's SHA-256 did not match its bundle");

  rmSync(f.inputs[0]!);
  await assert.rejects(cachedNodeBundle("initial", f), /ENOENT/, "an input gone: built again (and here the build fails)");
  assert.equal(f.state.builds, 4);
});

test("a split bundle's chunks are written before it and checked with it", async (t) => {
  const f = fixture(t);
  const build: BundleBuilder = async (label) => ({ ...(await f.build(label)), chunks: { "chunk-A.mjs": new TextEncoder().encode("export const c = 1;\n") } });
  await cachedNodeBundle("initial", { ...f, build });
  assert.equal(readFileSync(join(f.dir, "chunk-A.mjs"), "utf8"), "export const c = 1;\n");
  await cachedNodeBundle("initial", { ...f, build });
  assert.equal(f.state.builds, 1, "read from the cache");
  writeFileSync(join(f.dir, "chunk-A.mjs"), "export const c = 2;\n");
  await cachedNodeBundle("initial", { ...f, build });
  assert.equal(f.state.builds, 2, "a chunk that is not the one the entry names: built again");
  assert.equal(readFileSync(join(f.dir, "chunk-A.mjs"), "utf8"), "export const c = 1;\n");
});

test("a copy of the package checks its own files, not the original's", async (t) => {
  const f = fixture(t);
  await cachedNodeBundle("initial", f);
  // The same cache folder seen from a copy whose b.ts differs: its entry names paths within the package.
  const copy = mkdtempSync(join(tmpdir(), "discalc-bundle-copy-"));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  writeFileSync(join(copy, "a.ts"), readFileSync(f.inputs[0]!));
  writeFileSync(join(copy, "b.ts"), "export const b = 9;\n");
  const entry = JSON.parse(readFileSync(join(f.dir, "initial.json"), "utf8")) as { inputs: Record<string, string> };
  assert.deepEqual(Object.keys(entry.inputs).sort(), ["a.ts", "b.ts"]);
  await cachedNodeBundle("initial", { ...f, root: copy });
  assert.equal(f.state.builds, 2, "b.ts differs in the copy: built again");
});

test("a build from files outside the package is not kept", async (t) => {
  const f = fixture(t);
  await cachedNodeBundle("initial", { ...f, root: join(f.root, "elsewhere") });
  assert.equal(existsSync(join(f.dir, "initial.json")), false);
});

test("a build whose inputs were just edited is not kept", async (t) => {
  const f = fixture(t);
  f.write(f.inputs[0]!, "export const a = 5;\n", 0);
  await cachedNodeBundle("initial", f);
  assert.equal(existsSync(join(f.dir, "initial.json")), false);
  await cachedNodeBundle("initial", f);
  assert.equal(f.state.builds, 2);
});

test("the real builder names the node entry's sources, the kernels, its own options and esbuild as inputs", async () => {
  const { bytes, inputs } = await buildNodeBundleWithInputs("test");
  assert.match(text(bytes.subarray(0, 40)), /^\/\/ discalc node bundle \(test\)/);
  for (const end of ["/runtime/node-entry.ts", "/runtime/worker/agent.ts", "/protocol/routes.ts", "/build/kernels.wasm", "/runtime/controller/fleet/bundle.ts", "/node_modules/esbuild/lib/main.js", "/tsconfig.json", "/package.json"]) {
    assert.ok(inputs.some((p) => p.endsWith(end)), `inputs include …${end}`);
  }
  assert.ok(inputs.every((p) => p.startsWith("/") && existsSync(p)), "absolute paths of files that exist");
});

test("the CLI bundle names its sources as inputs, and each source's import.meta.url is that source's own URL", { timeout: 60_000 }, async () => {
  const { bytes, inputs, chunks } = await buildCliBundleWithInputs("test");
  assert.match(text(bytes).slice(0, 40), /^\/\/ discalc CLI bundle \(test\)/);
  // Split: the commands' modules are chunks the entry imports when a command runs.
  assert.ok(Object.keys(chunks).length > 1 && Object.keys(chunks).every((name) => /^chunk-[A-Z0-9]+\.mjs$/.test(name)), Object.keys(chunks).join(", "));
  assert.doesNotMatch(text(bytes), /from "pg"|from "koa"/, "the entry imports no store driver or server");
  const code = [bytes, ...Object.values(chunks)].map(text).join("\n");
  for (const end of ["/runtime/cli.ts", "/runtime/controller/store/store.ts", "/runtime/commands/run.ts", "/runtime/cli-bundle.ts", "/node_modules/esbuild/lib/main.js", "/tsconfig.json", "/package.json"]) {
    assert.ok(inputs.some((p) => p.endsWith(end)), `inputs include …${end}`);
  }
  // Files read beside their module (the SQLite schema, the local agent) are found from the
  // bundle's folder, by paths relative to it (a moved or copied checkout finds its own).
  assert.ok(code.includes('new URL("../../runtime/controller/store/store.ts", import.meta.url).href'), "store.ts's URL, from the bundle's folder");
  assert.doesNotMatch(code.replace(/new URL\("[^"]+", import\.meta\.url\)\.href/g, ""), /\bimport\.meta\.url\b/, "no other import.meta.url");
  const root = inputs.find((p) => p.endsWith("/runtime/cli.ts"))!.slice(0, -"runtime/cli.ts".length);
  assert.ok(!code.includes(pathToFileURL(root).href), "no absolute URL of this checkout");
});
