// Re-runs a sweep's trials alone in this process (as `discalc train` does): the reference every
// fleet result must equal.
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { localRun, type LocalRun } from "../commands/local-run.ts";

export type Reproducer = LocalRun;

export async function reproducer(sweepInput: unknown, baseDir: string): Promise<Reproducer> {
  return localRun(await prepareSweep(sweepInput, baseDir));
}
