// The first python that has a module (PyTorch, NumPy): DISCALC_PYTHON, the one on PATH, then
// Debian's (a pyenv python on PATH does not see Debian's python3-torch). The PyTorch peers of
// the benchmark and the gradient comparison of ctx.nn run it with torch, the .npz tests with
// numpy; null when none has the module.
import { spawnSync } from "node:child_process";

const found = new Map<string, string | null>();

export function pythonWith(module: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!found.has(module)) {
    found.set(module, [process.env.DISCALC_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p)
      .find((p) => spawnSync(p, ["-c", `import ${module}`], { env, stdio: "ignore" }).status === 0) ?? null);
  }
  return found.get(module)!;
}

export const pythonWithTorch = (env: NodeJS.ProcessEnv = process.env): string | null => pythonWith("torch", env);
