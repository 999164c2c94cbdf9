// Builds a researcher's experiment folder into one blob at the controller: esbuild bundles
// experiment.ts|js|mjs (and whatever it imports from the folder) into one ESM module, and
// asc compiles assembly/index.ts with discalc's own release flags (SIMD, -O3, stub runtime).
// Build errors name the file, line and column, as the compilers print them.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { build, type Message } from "esbuild";
import { encodeExperimentBlob } from "./experiment-blob.ts";

/** A path as the user can find it: relative to where they are, unless that climbs out. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
};

export const ENTRY_NAMES = ["experiment.ts", "experiment.js", "experiment.mjs"] as const;

/** The experiment did not build; `problems` are the compilers' messages, one per line. */
export class ExperimentBuildError extends Error {
  constructor(readonly problems: string[], what: string) {
    super(`${what}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ExperimentBuildError";
  }
}

export interface BuiltExperiment {
  name: string;
  dir: string;
  bytes: Uint8Array;
  hasWasm: boolean;
}

/** The entry file of a folder, or an error naming what the folder lacks. */
export function experimentEntry(dir: string, field = "experiment"): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ExperimentBuildError([`${field}: ${dir} is not a folder`], "experiment not found");
  }
  const found = ENTRY_NAMES.map((n) => join(dir, n)).filter((p) => existsSync(p));
  if (found.length === 0) throw new ExperimentBuildError([`${field}: ${dir} holds none of ${ENTRY_NAMES.join(", ")}`], "experiment not found");
  if (found.length > 1) throw new ExperimentBuildError([`${field}: ${dir} holds ${found.map((f) => basename(f)).join(" and ")}; keep one`], "experiment is ambiguous");
  return found[0]!;
}

export async function buildExperiment(dir: string, field = "experiment"): Promise<BuiltExperiment> {
  const abs = resolve(dir);
  const entry = experimentEntry(abs, field);
  const { code, sourceMap } = await bundleCode(abs, entry);
  const assembly = join(abs, "assembly", "index.ts");
  const wasm = existsSync(assembly) ? await compileAssembly(abs, assembly) : null;
  const name = basename(abs);
  return { name, dir: abs, bytes: encodeExperimentBlob({ name, code, wasm, sourceMap }), hasWasm: wasm !== null };
}

async function bundleCode(dir: string, entry: string): Promise<{ code: string; sourceMap: string }> {
  const where = (m: Message) => {
    const loc = m.location;
    return loc ? `${shown(resolve(dir, loc.file))}:${loc.line}:${loc.column + 1}: ${m.text}` : m.text;
  };
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: dir,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
      // A separate map, not inline: the bundle stays as it was, and the map is read only when a
      // trial fails (experiment-stack.ts). Sources are named relative to the folder (the
      // outfile is only where they are relative to; nothing is written), without their text.
      sourcemap: "external",
      sourcesContent: false,
      outfile: join(dir, "bundle.js"),
      // The module runs from a data: URL in worker threads: CommonJS dependencies still find require().
      banner: { js: `import { createRequire as __discalcRequire } from "node:module"; const require = __discalcRequire(process.cwd() + "/");` },
    });
    const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))!.text;
    return { code: file(".js"), sourceMap: file(".js.map") };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors?.length) throw err;
    throw new ExperimentBuildError(errors.map(where), `experiment ${basename(dir)} does not build (esbuild)`);
  }
}

/** discalc's release flags (asconfig.json's release target), so the experiment's module is built like the core's. */
export const ASC_FLAGS = ["--optimizeLevel", "3", "--shrinkLevel", "0", "--noAssert", "--runtime", "stub", "--enable", "simd"];

async function compileAssembly(dir: string, entry: string): Promise<Uint8Array> {
  const asc = (await import("assemblyscript/asc")).default;
  let wasm: Uint8Array | undefined;
  let errText = "";
  const sink = { write(s: string | Uint8Array) { errText += typeof s === "string" ? s : new TextDecoder().decode(s); return true; } };
  const { error } = await asc.main([relative(dir, entry), "--baseDir", dir, "--outFile", "experiment.wasm", ...ASC_FLAGS, "--config", "none", "--noColors"], {
    stdout: sink, stderr: sink,
    readFile: (name: string, baseDir: string) => {
      const path = resolve(baseDir, name);
      return existsSync(path) ? readFileSync(path, "utf8") : null;
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm")) wasm = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
    },
    listFiles: () => [],
  } as never);
  if (error || !wasm) {
    throw new ExperimentBuildError(ascProblems(errText, dir), `experiment ${basename(dir)}: assembly/index.ts does not compile (AssemblyScript)`);
  }
  return wasm;
}

/** asc prints "ERROR TS2304: Cannot find name 'x'." then a source excerpt, then "in path(line,col)". */
function ascProblems(text: string, dir: string): string[] {
  const lines = text.split("\n").map((l) => l.trimEnd());
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^ERROR (\w+): (.*)$/.exec(lines[i]!.trim());
    if (!m) continue;
    let at = "";
    for (let j = i + 1; j < Math.min(lines.length, i + 8); j++) {
      const loc = /in (.+)\((\d+),(\d+)\)$/.exec(lines[j]!.trim()) ?? /at (.+)\((\d+),(\d+)\)$/.exec(lines[j]!.trim());
      if (loc) {
        at = `${shown(resolve(dir, loc[1]!))}:${loc[2]}:${loc[3]}: `;
        break;
      }
    }
    problems.push(`${at}${m[2]} (${m[1]})`);
  }
  return problems.length ? problems : [text.trim() || "asc failed without a message"];
}
