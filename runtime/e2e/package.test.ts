// End to end, the package as a new user gets it: `npm pack`, the tarball installed into an empty
// folder, an experiment of one's own written there, `npx discalc run` of a small sweep of it,
// and `tsc` resolving `discalc/experiment` with a tsconfig a new user would write.
// Costly: the install takes npm's time (seconds from its cache, more from the registry) plus
// better-sqlite3's native module, which its install script downloads prebuilt or, when it
// cannot (no access to GitHub), compiles from source: minutes on a small machine. Hence the
// long timeout. The kernels must be built (`npm run build`, as `npm test` does first): the
// pack skips prepack here, which would rebuild build/kernels.wasm while other tests read it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");
const dir = mkdtempSync(join(tmpdir(), "discalc-package-"));
const running = new Set<number>();
after(() => {
  for (const pid of running) try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command in `cwd` in its own process group (killed with everything it started on timeout or at the end). */
function run(cwd: string, cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const started = performance.now();
  // As a new user's shell runs it: none of the npm_* variables `npm test` sets (its local_prefix
  // would make npm install into this checkout instead of the new folder), and no node_modules/.bin
  // on the PATH (`npm test` puts ours first, where a dependency's own old npm would answer).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));
  env.PATH = (env.PATH ?? "").split(delimiter).filter((p) => !p.includes(`node_modules${sep}.bin`)).join(delimiter);
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...env, npm_config_update_notifier: "false" } });
  running.add(child.pid!);
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b));
  child.stderr!.on("data", (b: Buffer) => (out += b));
  const timer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, timeoutMs);
  return new Promise((resolve) => child.once("exit", (code) => {
    clearTimeout(timer);
    running.delete(child.pid!);
    resolve({ code, out, ms: performance.now() - started });
  }));
}

const EXPERIMENT = `import type { Experiment } from "discalc/experiment";
import type { Tensor } from "discalc/nn";

interface Config { x: number; steps: number; seed: number }

const experiment: Experiment<Config> = {
  defaults: { x: 0.5, steps: 3 },
  validate: (c) => (c.steps >= 1 ? [] : ["steps: must be at least 1"]),
  run(c, ctx) {
    let score = 0;
    const x: Tensor = ctx.nn.tensor([c.x], [1]);
    if (x.item() !== Math.fround(c.x)) throw new Error("ctx.nn lost a value");
    // @ts-expect-error a shape is an array of numbers (discalc/nn's types are there, not any)
    if (c.steps < 0) ctx.nn.zeros("3");
    for (let step = 1; step <= c.steps; step++) {
      score = 1 - (c.x - 0.3) ** 2 + step / 1000;
      ctx.report({ score });
    }
    // @ts-expect-error a report holds numbers (an unused expect-error fails tsc if the types were any)
    if (c.steps < 0) ctx.report({ score: "high" });
    return { metrics: { score } };
  },
};
export default experiment;
`;

test("the packed package installs into an empty folder, runs a sweep of an experiment written there, and its types resolve", { timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(join(REPO, "build", "kernels.wasm")), "build/kernels.wasm is there (npm run build)");
  const types = await run(REPO, "npm", ["run", "--silent", "types:build"], 120_000);
  assert.equal(types.code, 0, types.out);

  const pack = await run(REPO, "npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], 120_000);
  assert.equal(pack.code, 0, pack.out);
  const [packed] = JSON.parse(pack.out.slice(pack.out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  const files = new Set(packed!.files.map((f) => f.path));
  for (const need of ["bin/discalc.mjs", "build/kernels.wasm", "build/types/runtime/public/experiment.d.ts", "build/types/runtime/public/nn.d.ts", "tsconfig.json", "asconfig.json"]) {
    assert.ok(files.has(need), `the package holds ${need}`);
  }
  assert.ok(![...files].some((f) => f.startsWith("build/cli-bundle/") || f.startsWith("build/datasets/")), "nothing built on first use is packed");

  const app = join(dir, "app");
  mkdirSync(join(app, "mine"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-sweeps", private: true, type: "module" }));
  const install = await run(app, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, packed!.filename)], 840_000);
  assert.equal(install.code, 0, install.out);
  t.diagnostic(`npm install of the tarball took ${(install.ms / 1000).toFixed(1)} s`);

  writeFileSync(join(app, "mine", "experiment.ts"), EXPERIMENT);
  writeFileSync(join(app, "sweep.yaml"), [
    "name: mine",
    "experiment: ./mine",
    "metric: { name: score, goal: maximize }",
    "search:",
    "  parameters:",
    "    x: [0.1, 0.3, 0.5]",
    "",
  ].join("\n"));
  const sweep = await run(app, "npx", ["discalc", "run", "sweep.yaml", "--data", join(dir, "data"), "--threads", "1"], 180_000);
  assert.equal(sweep.code, 0, sweep.out);
  assert.match(sweep.out, /3\/3 done \(3 ok, 0 failed\)/);
  assert.match(sweep.out, /^ {3}1 {2}1\.003 ± 0 +1 {2}x=0\.3$/m, "the best point ranks first");

  // What a new user writes: Node's module resolution, strict, nothing discalc-specific.
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "nodenext", strict: true, noEmit: true, verbatimModuleSyntax: true },
    include: ["mine"],
  }, null, 2));
  const tsc = await run(app, process.execPath, [TSC, "-p", "."], 120_000);
  assert.equal(tsc.code, 0, `tsc in the new user's folder:\n${tsc.out}`);
});
