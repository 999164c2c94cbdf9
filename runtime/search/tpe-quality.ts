// The TPE's search quality in process, without the runtime: the loop a sweep runs (propose a
// batch, evaluate it, append its results, repeat) on the search benchmark's functions, as the
// mean best of `trials` points over seeds 0..seeds-1, beside Optuna 3.1's TPESampler over the
// same seeds (tpe-quality-optuna.py, ask/tell in batches of the same size; its results are kept
// in build/bench/tpe-quality/ as they take minutes to make).
//
//   npx tsx runtime/search/tpe-quality.ts [--seeds 100] [--trials 50] [--batch 1,4]
//       [--functions branin,hartmann6,mixed] [--optuna /usr/bin/python3 | --no-optuna]
//
// Regret is best − the function's minimum; "ratio" is ours over Optuna's (target: ≤ 1 at batch 1,
// ≤ 1.25 at batch 4 against Optuna's batch 1). ± is the standard error of the mean.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ParamSpec } from "./param-spec.ts";
import { FUNCTIONS, OPTIMIZERS, branin, hartmann6, mixed, type Fn } from "../bench/search/objective/experiment.ts";
import { proposeTpe, type Observation } from "./tpe.ts";

const SPACES: Record<Fn, Record<string, ParamSpec>> = {
  branin: { x1: { uniform: [-5, 10] }, x2: { uniform: [0, 15] } },
  hartmann6: Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, { uniform: [0, 1] }])),
  mixed: { lr: { loguniform: [1e-5, 1] }, optimizer: Object.keys(OPTIMIZERS), layers: { int: [1, 8] }, dropout: { uniform: [0, 0.8] } },
};
const MINIMA: Record<Fn, number> = { branin: 0.39788735772973816, hartmann6: -3.3223680114155116, mixed: 0 };
const EVALUATE: Record<Fn, (p: Record<string, unknown>) => number> = {
  branin: (p) => branin(p.x1 as number, p.x2 as number),
  hartmann6: (p) => hartmann6([0, 1, 2, 3, 4, 5].map((i) => p[`x${i}`] as number)),
  mixed: (p) => mixed(p.lr as number, p.optimizer as keyof typeof OPTIMIZERS, p.layers as number, p.dropout as number),
};

/** The best value of one sweep: batches of `batch` proposals, each from the results of all before it. */
export function bestOfSweep(fn: Fn, seed: number, trials: number, batch: number): number {
  const observations: Observation[] = [];
  let best = Infinity;
  for (let first = 0; first < trials; first += batch) {
    const points = proposeTpe(SPACES[fn], observations, first, Math.min(batch, trials - first), { seed, goal: "minimize" });
    for (const params of points) {
      const value = EVALUATE[fn](params);
      observations.push({ params, value, state: "done" });
      best = Math.min(best, value);
    }
  }
  return best;
}

/** Optuna's bests per function for these seeds, trials and batch, from the cache or made now. */
function optunaBests(python: string | null, fns: Fn[], SEEDS: number, TRIALS: number, batch: number): Record<string, Record<string, number[]>> | null {
  if (python === null) return null;
  const cache = join(dirname(fileURLToPath(import.meta.url)), "../../build/bench/tpe-quality", `optuna-${fns.join("+")}-b${batch}-s${SEEDS}-t${TRIALS}.json`);
  if (!existsSync(cache)) {
    const script = fileURLToPath(new URL("./tpe-quality-optuna.py", import.meta.url));
    process.stderr.write(`running Optuna (batch ${batch}, ${SEEDS} seeds; minutes) …\n`);
    const run = spawnSync(python, [script, JSON.stringify({ functions: fns, seeds: SEEDS, trials: TRIALS, batch })], { encoding: "utf8" });
    if (run.status !== 0) {
      process.stderr.write(`no Optuna column: ${(run.stderr || run.error?.message || "").trim().split("\n").pop()}\n`);
      return null;
    }
    mkdirSync(dirname(cache), { recursive: true });
    writeFileSync(`${cache}.tmp`, run.stdout);
    renameSync(`${cache}.tmp`, cache);
  }
  return (JSON.parse(readFileSync(cache, "utf8")) as { best: Record<string, Record<string, number[]>> }).best;
}

function stats(xs: number[]): { mean: number; se: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean, se: Math.sqrt(variance / xs.length) };
}

function main() {
  const { values: args } = parseArgs({
    options: {
      seeds: { type: "string", default: "100" },
      trials: { type: "string", default: "50" },
      batch: { type: "string", default: "1,4" },
      functions: { type: "string", default: FUNCTIONS.join(",") },
      optuna: { type: "string", default: "/usr/bin/python3" },
      "no-optuna": { type: "boolean", default: false },
    },
  });
  const SEEDS = Number(args.seeds);
  const TRIALS = Number(args.trials);
  const BATCHES = args.batch!.split(",").map(Number);
  const FNS = args.functions!.split(",") as Fn[];
  for (const f of FNS) if (!FUNCTIONS.includes(f)) throw new Error(`--functions: unknown ${f} (known: ${FUNCTIONS.join(", ")})`);
  const python = args["no-optuna"] ? null : args.optuna!;
  const optuna1 = optunaBests(python, FNS, SEEDS, TRIALS, 1);
  console.log(`mean best of ${TRIALS} points over seeds 0..${SEEDS - 1} (regret = best − minimum; ratio = our regret / Optuna batch 1's)`);
  for (const fn of FNS) {
    const reference = optuna1?.[fn]?.tpe;
    const refRegret = reference ? stats(reference).mean - MINIMA[fn] : null;
    const row = (label: string, bests: number[], extra = "") => {
      const { mean, se } = stats(bests);
      const regret = mean - MINIMA[fn];
      const ratio = refRegret === null ? "" : `  ratio ${(regret / refRegret).toFixed(2)}`;
      console.log(`  ${label.padEnd(24)} ${mean.toFixed(4).padStart(8)} ±${se.toFixed(4)}  regret ${regret.toFixed(4)}${ratio}${extra}`);
    };
    console.log(`${fn} (minimum ${MINIMA[fn]})`);
    for (const batch of BATCHES) {
      const started = performance.now();
      const bests = Array.from({ length: SEEDS }, (_, seed) => bestOfSweep(fn, seed, TRIALS, batch));
      row(`discalc tpe, batch ${batch}`, bests, `  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
    for (const batch of BATCHES) {
      const peer = batch === 1 ? optuna1 : optunaBests(python, FNS, SEEDS, TRIALS, batch);
      if (!peer?.[fn]) continue;
      row(`optuna tpe, batch ${batch}`, peer[fn]!.tpe!);
      if (peer[fn]!["tpe-liar"]) row(`optuna liar, batch ${batch}`, peer[fn]!["tpe-liar"]!);
    }
    const random = Array.from({ length: SEEDS }, (_, seed) => bestOfRandom(fn, seed, TRIALS));
    row("discalc random", random);
  }
}

/** The best value of random search (the TPE's start-up draws throughout). */
export function bestOfRandom(fn: Fn, seed: number, trials: number): number {
  let best = Infinity;
  const points = proposeTpe(SPACES[fn], [], 0, trials, { seed, goal: "minimize", startupTrials: Infinity });
  for (const p of points) best = Math.min(best, EVALUATE[fn](p));
  return best;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
