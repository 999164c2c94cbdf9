// The first python that has a module (PyTorch, NumPy): DISCALC_PYTHON, the one on PATH, then
// Debian's (a pyenv python on PATH does not see Debian's python3-torch). The PyTorch peers of
// the benchmark and the gradient comparison of ctx.nn run it with torch, the .npz tests with
// numpy; null when none has the module.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const found = new Map<string, string | null>();

export function pythonWith(module: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!found.has(module)) {
    found.set(module, [process.env.DISCALC_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p)
      .find((p) => spawnSync(p, ["-c", `import ${module}`], { env, stdio: "ignore" }).status === 0) ?? null);
  }
  return found.get(module)!;
}

export const pythonWithTorch = (env: NodeJS.ProcessEnv = process.env): string | null => pythonWith("torch", env);

/**
 * Runs a PyTorch peer script of the benchmark with `args` (JSON, its one argument) and parses
 * the JSON of its last line; null, quietly, when no python has torch, and null with the error's
 * last line when the script fails. One thread: OpenBLAS pinned to one and to its own core
 * detection (OPENBLAS_CORETYPE unset), as docs/benchmarks.md's figures were taken.
 */
export function runTorchPeer<T>(script: URL, args: unknown): T | null {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" };
  delete env.OPENBLAS_CORETYPE;
  const python = pythonWithTorch(env);
  if (!python) return null;
  const run = spawnSync(python, [fileURLToPath(script), JSON.stringify(args)], { env, encoding: "utf8", maxBuffer: 1 << 20 });
  if (run.status !== 0) {
    console.error(`PyTorch peer ${fileURLToPath(script)} failed: ${run.stderr.trim().split("\n").at(-1)}`);
    return null;
  }
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as T;
}
