// `discalc train`: runs one trial on this machine, through the same runTrial a worker thread
// uses, and prints its parameters, its resolved config, each report and the result hash.
//   train CONFIG       the config's own values (a sweep config's search is not run: a swept
//                      field the config does not set takes the search's first value, and says so)
//   train --trial N    a stored trial of a sweep (from --data, --store or --controller), run
//                      again here and checked against the hash the fleet stored (exit 1 if not)
// Output closed early (`| head`) stops the trial quietly.
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { stringify as yamlStringify } from "yaml";
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { ConfigError } from "../../kernels/config-errors.ts";
import { readConfigFile } from "../config-file.ts";
import { getPath, isPlainObject } from "../experiments/plain-data.ts";
import { applyPoint } from "../controller/sweeps/apply-point.ts";
import { localRun } from "./local-run.ts";
import { TrialDiverged } from "../experiments/trial-diverged.ts";
import { trialErrorText } from "../experiments/trial-error.ts";
import { runTrial, type TrialOutcomeData, type TrialRuntime } from "../experiments/run-trial.ts";
import { loadExperimentBlob } from "../experiments/load-experiment.ts";
import { builtinExperiment } from "../experiments/registry.ts";
import { trialDatasetBlobs } from "../experiments/trial-blobs.ts";
import { compileKernels } from "../../kernels/load.ts";
import type { ExperimentEntry } from "../experiments/experiment-entry.ts";
import type { StoreLocation } from "../controller/store/store.ts";
import { apiTrialSource, storeTrialSource, type StoredTrial, type TrialSource } from "./trial-source.ts";
import { decodeCheckpoint, type CheckpointContents } from "../experiments/checkpoint-envelope.ts";

export interface TrainOptions {
  /** A config file (its own values), or `trial` with one source. */
  config?: string;
  trial?: number;
  controller?: string;
  token?: string;
  data?: StoreLocation;
  /** Write the trial's state (the built-in's weights) here. */
  save?: string;
  json: boolean;
}

/** What runs: the trial, how it runs, and what to say before it does. */
interface Prepared {
  heading: string;
  params: Record<string, unknown>;
  seed: number;
  config: Record<string, unknown>;
  notes: string[];
  entry: ExperimentEntry;
  run(hooks: Pick<TrialRuntime, "onReport" | "shouldStop" | "keepState">): Promise<TrialOutcomeData>;
  /** The hash the fleet stored, to check against (trial mode). */
  stored?: StoredTrial;
}

/** Exit code 0, or 1 when the trial failed or diverged, or its hash differs from the stored one. */
export async function trainCommand(o: TrainOptions): Promise<number> {
  const out = new Output();
  const p = o.trial !== undefined ? await fromStore(o) : await fromConfig(o.config!);
  try {
    if (o.json) {
      out.line(JSON.stringify({ type: "trial", params: p.params, seed: p.seed, config: p.config, notes: p.notes, ...(p.stored && { trialId: p.stored.id, sweepId: p.stored.sweepId }) }));
    } else {
      out.line(p.heading);
      for (const note of p.notes) out.line(note);
      out.line(`params  ${Object.keys(p.params).length ? formatValues(p.params) : "(none swept)"}`);
      out.line(`config\n${yamlStringify(p.config, { indent: 2 }).trimEnd().replace(/^/gm, "  ")}`);
    }
    let result: TrialOutcomeData;
    try {
      result = await p.run({
        onReport: (step, values) => out.line(o.json ? JSON.stringify({ type: "report", step, ...values }) : formatReport(step, values)),
        shouldStop: () => out.closed,
        keepState: o.save !== undefined,
      });
    } catch (err) {
      // As a worker would report it: divergence in a line, an exception with its stack in the experiment's own files.
      const diverged = err instanceof TrialDiverged;
      const error = diverged ? err.message : trialErrorText(err, p.entry.mapStack);
      if (o.json) out.line(JSON.stringify({ type: diverged ? "diverged" : "failed", error }));
      else console.error(diverged ? error : `trial failed: ${error}`);
      return 1;
    }
    if (o.save !== undefined) {
      if (!result.state) {
        console.error(`--save ${o.save}: the trial returned no state (its hash is of its final metrics)`);
        return 1;
      }
      writeFileSync(o.save, result.state);
    }
    const check = p.stored ? hashCheck(p.stored, result.resultSha256) : null;
    if (o.json) {
      out.line(JSON.stringify({ type: "result", resultSha256: result.resultSha256, metrics: result.metrics, info: result.info, runMs: result.runMs, ...(check && { stored: p.stored!.resultSha256, matches: check.ok }) }));
    } else {
      out.line(`final ${formatValues(result.metrics) || "(no final metrics)"}`);
      if (Object.keys(result.info).length) out.line(`info  ${formatValues(result.info)}`);
      out.line(`result sha256 ${result.resultSha256}`);
      if (o.save !== undefined) out.line(`state saved to ${o.save} (${result.state!.byteLength} bytes)`);
      if (check) (check.ok ? out.line(check.text) : console.error(check.text));
    }
    return check && !check.ok ? 1 : 0;
  } finally {
    await p.close?.();
  }
}

function hashCheck(t: StoredTrial, sha: string): { ok: boolean; text: string } {
  if (t.resultSha256 === null) return { ok: true, text: `no stored result to check against (trial ${t.id} is ${t.state})` };
  return t.resultSha256 === sha
    ? { ok: true, text: `matches the stored result of trial ${t.id}` }
    : { ok: false, text: `MISMATCH: trial ${t.id}'s stored result is ${t.resultSha256}, this run gave ${sha}` };
}

/**
 * A config's own values: without its search. A swept field the config does not set, where the
 * config without it is refused (a required field), takes the search's first value.
 */
async function fromConfig(path: string): Promise<Prepared & { close?: () => Promise<void> }> {
  const raw = readConfigFile(path);
  const named = isPlainObject(raw) && raw.name === undefined ? { ...raw, name: "train" } : raw;
  const baseDir = dirname(resolve(path));
  const notes: string[] = [];
  let input = named;
  if (isPlainObject(named) && named.search !== undefined) {
    const { search, ...own } = named;
    input = own;
    try {
      // One trial ranks nothing: a config of an experiment of one's own need not name a metric.
      await prepareSweep(own, baseDir, { requireMetric: false });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // Some field only the search gives: take its first value for those, as the sweep's first trial has it.
      const first = (await localRun(await prepareSweep(named, baseDir, { requireMetric: false }))).trials[0]!;
      const missing = Object.fromEntries(Object.entries(first.params).filter(([k]) => getPath(own, k) === undefined));
      if (!Object.keys(missing).length) throw err;
      input = applyPoint(own, missing) as Record<string, unknown>;
      notes.push(`not set in the config, from the search's first point: ${formatValues(missing)}`);
    }
    notes.unshift(`the config's own values (its search is not run${search ? "; --trial N runs a sweep's trial" : ""})`);
  }
  const prepared = await prepareSweep(input, baseDir, { requireMetric: false });
  const local = await localRun(prepared);
  const trial = local.trials[0]!;
  const exp = prepared.config.build.experiment;
  const metric = prepared.config.metric;
  return {
    heading: `experiment ${exp.name}${exp.sha ? ` (${exp.sha.slice(0, 12)})` : ""}, seed ${trial.seed}${metric ? `, ranked by ${metric.name} (${metric.goal})` : ""}`,
    // The swept fields at the values this run gives them (a config without a search: what it sweeps is nothing).
    params: pointOf(trial.config as Record<string, unknown>, sweptPaths(named)),
    seed: trial.seed, config: trial.config as Record<string, unknown>, notes, entry: prepared.entry,
    run: (hooks) => local.run(0, hooks),
  };
}

/** The dotted paths a sweep config's search names. */
function sweptPaths(config: unknown): string[] {
  const search = isPlainObject(config) ? config.search : undefined;
  return isPlainObject(search) && isPlainObject(search.parameters) ? Object.keys(search.parameters) : [];
}

/** The values at the swept paths (what the config gave them). */
function pointOf(config: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  return Object.fromEntries(paths.map((p) => [p, getPath(config, p)]).filter(([, v]) => v !== undefined));
}

/** A stored trial, with the sweep's experiment and data blobs, from a store or a controller. */
async function fromStore(o: TrainOptions): Promise<Prepared & { close: () => Promise<void> }> {
  const source = o.controller !== undefined ? apiTrialSource(o.controller, o.token) : await storeTrialSource(o.data!);
  try {
    const t = await source.trial(o.trial!);
    let entry: ExperimentEntry;
    let experimentWasm: WebAssembly.Module | null = null;
    if (t.experiment.sha) ({ entry, wasm: experimentWasm } = await loadExperimentBlob(await source.blob(t.experiment.sha)));
    else entry = builtinExperiment(t.experiment.name);
    const blobs = await trialDatasetBlobs(t.config, t.datasets, (sha) => source.blob(sha));
    const kernelsModule = await compileKernels();
    const member = await pbtMember(t, source);
    return {
      heading: `trial ${t.id} of sweep ${t.sweepId} "${t.sweepName}" (${t.state}, from ${source.where}): experiment ${t.experiment.name}${t.experiment.sha ? ` (${t.experiment.sha.slice(0, 12)})` : ""}, seed ${t.seed}`,
      params: t.params, seed: t.seed, config: t.config, entry, stored: t,
      notes: [
        ...(member ? [member.note] : []),
        ...(t.prunedStep === null ? [] : [`pruned by the sweep's stopping rule at report ${t.prunedStep}: run to there, its hash is that report's`]),
        ...(t.engine !== null && entry.engineVersion !== undefined && t.engine !== entry.engineVersion
          ? [`the sweep ran on engine ${t.engine} of the built-in trainer, this discalc has engine ${entry.engineVersion}: its weights differ, so its hash will not match`] : []),
      ],
      run: (hooks) => runTrial({ trialId: t.id, params: t.params, seed: t.seed, config: t.config }, {
        entry, kernelsModule, experimentWasm, blobs, ...hooks,
        // A population-based training member: from its parent's kept state to its stopStep, as its worker ran it.
        ...(member && { stopStep: member.stopStep, ...(member.restore && { restore: member.restore }) }),
        // A pruned trial ended at its rung: stopped at the same report, as the fleet's decision stopped it.
        ...(t.prunedStep !== null && { decide: (step: number) => (step === t.prunedStep ? "prune" as const : "continue" as const) }),
      }),
      close: () => source.close(),
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}

/**
 * How a population-based training member ran: from its parent's kept final state (its stopStep
 * checkpoint) to its own stopStep. Throws when the parent's state is not kept.
 */
async function pbtMember(t: StoredTrial, source: TrialSource): Promise<{ stopStep: number; restore?: CheckpointContents; note: string } | undefined> {
  const l = t.lineage;
  if (!l) return undefined;
  const where = `population-based training: generation ${l.generation}, slot ${l.slot}, reports ${l.startStep + 1}..${l.stopStep}`;
  if (l.parentTrialId === null) return { stopStep: l.stopStep, note: `${where}, from scratch` };
  const kept = await source.keptState(l.parentTrialId);
  if (!kept) throw new Error(`--trial ${t.id}: it starts from trial ${l.parentTrialId}'s final state, which ${source.where} no longer keeps`);
  const restore = decodeCheckpoint(kept.bytes);
  if (restore.step !== l.startStep) throw new Error(`--trial ${t.id}: trial ${l.parentTrialId}'s kept state is at report ${restore.step}, not ${l.startStep} where this member starts`);
  return { stopStep: l.stopStep, restore, note: `${where}, from trial ${l.parentTrialId}'s kept state (${kept.sha256.slice(0, 12)})` };
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

function formatValues(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k} ${typeof v === "number" ? (Number.isInteger(v) ? v : Number(v.toPrecision(5))) : JSON.stringify(v)}`).join("  ");
}
