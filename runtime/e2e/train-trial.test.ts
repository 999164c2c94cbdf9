// End to end: `discalc train` as a researcher re-runs work. `--trial N --data DIR` reruns a
// stored trial of a finished `discalc run` and checks its hash (a tampered stored hash exits 1);
// `--save` writes the weights whose SHA-256 is that hash; `train CONFIG` runs the config's own
// values, not its search. (experiment.test.ts reruns a trial through a controller's API.)
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Cluster, type Proc } from "./cluster.ts";
import { pythonWith } from "../../kernels/bench/python-with-torch.ts";

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

async function run(c: Cluster, args: string[]): Promise<{ code: number | null; out: string }> {
  const p: Proc = c.spawn(args[0]!, args);
  const code = await p.exited;
  await new Promise((r) => setTimeout(r, 50)); // the last chunks of output may land just after the exit
  return { code, out: p.log.join("\n") };
}

const SWEEP = {
  name: "train-xor",
  dataset: { name: "xor", train: 200, test: 50 },
  model: { hidden: [4], activation: "tanh" },
  train: { epochs: 3, batch: 16, optimizer: "adam", lr: 0.01, seed: 2 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.03, 0.3], "model.hidden": [[3], [5]] } },
};

test("train --trial N reruns a stored trial and checks its hash; --save writes the weights; CONFIG runs its own values", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  const config = c.writeConfig("xor", SWEEP);
  const sweep = await run(c, ["run", config, "--data", data, "--threads", "1"]);
  assert.equal(sweep.code, 0, sweep.out);

  const db = new Database(join(data, "discalc.sqlite"));
  const stored = db.prepare("SELECT t.id, t.params, t.seed, r.result_sha FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.idx = 3").get() as
    { id: number; params: string; seed: number; result_sha: string };
  db.close();
  assert.deepEqual(JSON.parse(stored.params), { "train.lr": 0.03, "model.hidden": [5] });
  assert.equal(stored.seed, 3, "seed + repeat");

  const again = await run(c, ["train", "--trial", String(stored.id), "--data", data, "--save", join(c.dir, "w.bin")]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, new RegExp(`^trial ${stored.id} of sweep 1 "train-xor" \\(done, from .*\\): experiment network, seed 3$`, "m"));
  assert.match(again.out, /^params {2}train\.lr 0\.03 {2}model\.hidden \[5\]$/m);
  assert.match(again.out, /^ {2}model:\n {4}hidden:\n {6}- 5\n/m, "the resolved config");
  assert.match(again.out, new RegExp(`^result sha256 ${stored.result_sha}$`, "m"));
  assert.match(again.out, new RegExp(`^matches the stored result of trial ${stored.id}$`, "m"));
  const weights = readFileSync(join(c.dir, "w.bin"));
  assert.equal(weights.byteLength, 4 * (2 * 5 + 5 + 5 * 2 + 2), "W0, b0, W1, b1 as f32");
  assert.equal(createHash("sha256").update(weights).digest("hex"), stored.result_sha, "the hash is the weights'");

  // A stored hash this run does not give: said, and exit 1.
  const tamper = new Database(join(data, "discalc.sqlite"));
  tamper.prepare("UPDATE results SET result_sha = ? WHERE trial_id = ?").run("0".repeat(64), stored.id);
  tamper.close();
  const mismatch = await run(c, ["train", "--trial", String(stored.id), "--data", data, "--json"]);
  assert.equal(mismatch.code, 1, mismatch.out);
  const result = mismatch.out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.type === "result")!;
  assert.deepEqual([result.resultSha256, result.stored, result.matches], [stored.result_sha, "0".repeat(64), false]);

  const missing = await run(c, ["train", "--trial", "99", "--data", data]);
  assert.equal(missing.code, 1, missing.out);
  assert.match(missing.out, /--trial 99: no such trial in /);
  const both = await run(c, ["train", config, "--data", data]);
  assert.equal(both.code, 2, both.out);
  assert.match(both.out, /--data goes with --trial N/);

  // The config's own values: lr 0.01 and hidden [4], not the search's first point, and seed 2.
  const own = await run(c, ["train", config]);
  assert.equal(own.code, 0, own.out);
  assert.match(own.out, /^experiment network, seed 2, ranked by valAccuracy \(maximize\)$/m);
  assert.match(own.out, /^params {2}train\.lr 0\.01 {2}model\.hidden \[4\]$/m);
  // A swept field the config does not set (a required one): the search's first value, said so.
  const { train: { lr: _lr, ...trainWithoutLr }, ...rest } = SWEEP;
  const noLr = await run(c, ["train", c.writeConfig("no-lr", { ...rest, train: trainWithoutLr })]);
  assert.equal(noLr.code, 0, noLr.out);
  assert.match(noLr.out, /^not set in the config, from the search's first point: train\.lr 0\.03$/m);
  assert.match(noLr.out, /^params {2}train\.lr 0\.03 {2}model\.hidden \[4\]$/m);
});

test("train --trial N of a pruned trial runs to the report its rung stopped it at, and gives the stored hash", { timeout: 180_000 }, async () => {
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  const config = c.writeConfig("asha", {
    name: "train-pruned", dataset: { name: "moons", train: 300, test: 100, noise: 0.2 },
    model: { hidden: [8], activation: "tanh" }, train: { epochs: 9, batch: 32, optimizer: "adam", lr: 0.01, seed: 1 },
    early_stopping: { rule: "asha", min_epochs: 1, reduction: 3 },
    search: { method: "grid", parameters: { "train.lr": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], "model.hidden": [[2], [8]] } },
  });
  const sweep = await run(c, ["run", config, "--data", data, "--threads", "1"]);
  assert.equal(sweep.code, 0, sweep.out);
  const db = new Database(join(data, "discalc.sqlite"));
  const pruned = db.prepare("SELECT t.id, r.result_sha, r.outcome FROM trials t JOIN results r ON r.trial_id = t.id WHERE t.state = 'pruned' ORDER BY t.id LIMIT 1").get() as
    { id: number; result_sha: string; outcome: string } | undefined;
  db.close();
  assert.ok(pruned, "the rule pruned a trial");
  const step = (JSON.parse(pruned.outcome) as { pruned: { step: number } }).pruned.step;
  assert.ok(step < 9);
  const again = await run(c, ["train", "--trial", String(pruned.id), "--data", data, "--json"]);
  assert.equal(again.code, 0, again.out);
  const lines = again.out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.filter((l) => l.type === "report").length, step, "the reports up to its rung, no further");
  assert.deepEqual((lines.find((l) => l.type === "trial")!.notes as string[]), [`pruned by the sweep's stopping rule at report ${step}: run to there, its hash is that report's`]);
  const result = lines.find((l) => l.type === "result")!;
  assert.deepEqual([result.resultSha256, result.matches], [pruned.result_sha, true]);
});

test("artifact get: a kept built-in trial as .npz; NumPy's forward pass over the test rows gives its reported test accuracy", { timeout: 180_000 }, async (t) => {
  const python = pythonWith("numpy");
  if (!python) return t.skip("no python with numpy here: the .npz is checked by its own test only");
  const c = new Cluster();
  clusters.push(c);
  const data = join(c.dir, "data");
  const config = c.writeConfig("kept", { ...SWEEP, name: "kept-xor", model: { hidden: [6], activation: "relu" }, search: { method: "grid", parameters: { "train.lr": [0.01, 0.03, 0.1] } } });
  const sweep = await run(c, ["run", config, "--data", data, "--threads", "1"]);
  assert.equal(sweep.code, 0, sweep.out);
  const db = new Database(join(data, "discalc.sqlite"));
  const best = db.prepare("SELECT t.id, r.metrics FROM trials t JOIN results r ON r.trial_id = t.id ORDER BY r.objective DESC, t.id LIMIT 1").get() as { id: number; metrics: string };
  db.close();
  const out = join(c.dir, "trial.npz");
  const got = await run(c, ["artifact", "get", "--trial", String(best.id), "--out", out, "--data", data]);
  assert.equal(got.code, 0, got.out);
  assert.match(got.out, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: trial ${best.id}'s final state .* as \\.npz \\(numpy\\.load opens it\\): layers\\.0\\.weight \\[2, 6\\], layers\\.0\\.bias \\[6\\], layers\\.1\\.weight \\[6, 2\\], layers\\.1\\.bias \\[2\\]`));
  // The test rows as the trainer saw them, through the trainer's own dataset code.
  const { builtinHostDataset } = await import("../../kernels/datasets/builtin-host-dataset.ts");
  const { compileKernels, instantiateKernels } = await import("../../kernels/load.ts");
  const { BuiltinDatasetSpec } = await import("../../kernels/mlp-config.ts");
  const d = builtinHostDataset(instantiateKernels(await compileKernels()), BuiltinDatasetSpec.parse(SWEEP.dataset), {});
  const test = join(c.dir, "test.npz");
  const { encodeNpz } = await import("../experiments/npz.ts");
  writeFileSync(test, encodeNpz({ x: { shape: [d.test.count, 2], data: d.test.x }, y: { shape: [d.test.count], data: d.test.y as Int32Array } }));
  const script = [
    "import numpy as np, sys",
    `p, d = np.load(sys.argv[1]), np.load(sys.argv[2])`,
    "ids = sorted({int(k.split('.')[1]) for k in p.files})",
    "h = d['x'].reshape(len(d['x']), -1)",
    "for i in ids: h = h @ p[f'layers.{i}.weight'] + p[f'layers.{i}.bias']; h = np.maximum(h, 0) if i != ids[-1] else h",
    "print((h.argmax(1) == d['y']).sum(), len(h))",
  ].join("\n");
  const py = spawnSync(python, ["-c", script, out, test], { encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const [correct, total] = py.stdout.trim().split(" ").map(Number);
  assert.equal(correct! / total!, (JSON.parse(best.metrics) as { testAccuracy: number }).testAccuracy, "NumPy's forward pass gives the reported test accuracy");
  // A trial the sweep did not keep, or none such: said, exit 1.
  const missing = await run(c, ["artifact", "get", "--trial", "99", "--out", out, "--data", data]);
  assert.equal(missing.code, 1, missing.out);
});
