// The first python that has PyTorch: DISCALC_PYTHON, the one on PATH, then Debian's (a pyenv
// python on PATH does not see Debian's python3-torch). The PyTorch peers of the benchmark and
// the gradient comparison of ctx.nn both run it; null when none has torch.
import { spawnSync } from "node:child_process";

let found: string | null | undefined;

export function pythonWithTorch(env: NodeJS.ProcessEnv = process.env): string | null {
  if (found !== undefined) return found;
  found = [process.env.DISCALC_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p)
    .find((p) => spawnSync(p, ["-c", "import torch"], { env, stdio: "ignore" }).status === 0) ?? null;
  return found;
}
