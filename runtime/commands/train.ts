// `discalc train CONFIG`: runs one trial of any experiment on this machine, through the same
// runTrial a worker thread uses, and prints each report and the result hash: the way to re-run
// any trial of a sweep alone and check it. A sweep config runs its base point (swept fields
// at their first value, repeat 0). Output closed early (`| head`) stops the trial quietly.
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { readConfigFile } from "../config-file.ts";
import { isPlainObject } from "../experiments/plain-data.ts";
import { localRun } from "./local-run.ts";
import { TrialDiverged } from "../experiments/trial-diverged.ts";
import { trialErrorText } from "../experiments/trial-error.ts";
import { dirname, resolve } from "node:path";

/** Exit code 0, or 1 when the trial failed or diverged (said on stderr, or as a JSON line with --json). */
export async function trainCommand(path: string, json: boolean): Promise<number> {
  const raw = readConfigFile(path);
  const input = isPlainObject(raw) && raw.name === undefined ? { ...raw, name: "train" } : raw;
  // One trial ranks nothing: a config of an experiment of one's own need not name a metric.
  const prepared = await prepareSweep(input, dirname(resolve(path)), { requireMetric: false });
  const local = await localRun(prepared);
  const trial = local.trials[0]!;
  const exp = prepared.config.build.experiment;

  const out = new Output();
  const metric = prepared.config.metric;
  if (!json) out.line(`experiment ${exp.name}${exp.sha ? ` (${exp.sha.slice(0, 12)})` : ""}, seed ${trial.seed}${metric ? `, ranked by ${metric.name} (${metric.goal})` : ""}`);
  let result;
  try {
    result = await local.run(0, {
      onReport: (step, values) => out.line(json ? JSON.stringify({ type: "report", step, ...values }) : formatReport(step, values)),
      shouldStop: () => out.closed,
    });
  } catch (err) {
    // As a worker would report it: divergence in a line, an exception with its stack in the experiment's own files.
    const diverged = err instanceof TrialDiverged;
    const error = diverged ? err.message : trialErrorText(err, prepared.entry.mapStack);
    if (json) out.line(JSON.stringify({ type: diverged ? "diverged" : "failed", error }));
    else console.error(diverged ? error : `trial failed: ${error}`);
    return 1;
  }
  if (json) {
    out.line(JSON.stringify({ type: "result", resultSha256: result.resultSha256, metrics: result.metrics, info: result.info, runMs: result.runMs }));
    return 0;
  }
  out.line(`final ${formatValues(result.metrics) || "(no final metrics)"}`);
  if (Object.keys(result.info).length) out.line(`info  ${formatValues(result.info)}`);
  out.line(`result sha256 ${result.resultSha256}`);
  return 0;
}

/** stdout that notices when its reader goes away (EPIPE) instead of throwing. */
class Output {
  closed = false;

  constructor() {
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") this.closed = true;
      else throw err;
    });
  }

  line(text: string): void {
    if (!this.closed) process.stdout.write(`${text}\n`);
  }
}

function formatReport(step: number, values: Record<string, number>): string {
  return `${String(step).padStart(5)}  ${formatValues(values)}`;
}

function formatValues(values: Record<string, number>): string {
  return Object.entries(values).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : Number(v.toPrecision(5))}`).join("  ");
}
