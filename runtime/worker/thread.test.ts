// The one trial-thread entry, run from source in real worker threads: a trial's result there
// equals the same trial run in this process (the built-in on mnist, and a researcher's
// experiment with its own AssemblyScript module); failures come back as text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ThreadPool } from "./thread-pool.ts";
import type { ThreadReply } from "./thread.ts";
import type { UnsignedLease } from "../../protocol/messages.ts";
import { compileKernels } from "../../kernels/load.ts";
import { readLocalDatasetBlob } from "../../kernels/datasets/local-blobs.ts";
import { reproducer } from "../e2e/reproduce.ts";
import { prepareSweep } from "../controller/sweeps/prepare-sweep.ts";
import { expandSweep } from "../controller/sweeps/expand-sweep.ts";

const module = await compileKernels();
const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Runs leases on a pool of `threads` threads; resolves with every reply by trial. */
async function runLeases(leases: UnsignedLease[], blobs: Map<string, Uint8Array>, threads = 2, reportEveryMs?: number) {
  const replies = new Map<number, ThreadReply[]>();
  let left = leases.length;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const queue = [...leases];
  const pool: ThreadPool = new ThreadPool(threads, module, "source", {
    onReply(reply) {
      replies.set(reply.trialId, [...(replies.get(reply.trialId) ?? []), reply]);
      if (reply.type === "reports") return;
      if (--left === 0) done();
      else if (queue.length) pool.run(queue.shift()!, blobs);
    },
    onReturned(back) {
      queue.unshift(...back);
    },
    onThreadError(err) {
      throw err;
    },
  }, { reportEveryMs });
  for (let i = 0; i < threads && queue.length; i++) pool.run(queue.shift()!, blobs);
  await finished;
  await pool.close();
  return replies;
}

const lease = (trialId: number, fields: Omit<UnsignedLease, "trialId" | "attempt" | "sweepId" | "deadline"> & Partial<UnsignedLease>): UnsignedLease =>
  ({ attempt: 1, sweepId: 1, deadline: Date.now() + 60_000, ...fields, trialId });

test("the built-in on mnist gives the same hash and reports in a thread as in-process; another seed another", { timeout: 120_000 }, async () => {
  const input = {
    name: "thread", dataset: { name: "mnist", train: 2000, test: 500 }, model: { hidden: [32] },
    train: { epochs: 2, batch: 64, lr: 0.05, seed: 7 }, search: { repeats: 2 },
  };
  const alone = await reproducer(input, EXAMPLES);
  const mnist = readLocalDatasetBlob("mnist");
  const blobs = new Map([[sha(mnist), mnist]]);
  const leases = alone.trials.map((t, i) => lease(i + 1, {
    experiment: { name: "network", sha: null }, config: t.config, params: t.params, seed: t.seed, datasets: { mnist: sha(mnist) },
  }));
  // Every report posted as it comes (the agent's default waits 100 ms, so short trials post none).
  const replies = await runLeases(leases, blobs, 2, 0);
  const hashes: string[] = [];
  for (const [i, l] of leases.entries()) {
    const end = replies.get(l.trialId)!.at(-1)!;
    assert.equal(end.type, "done", JSON.stringify(end));
    if (end.type !== "done") continue;
    const ref = await alone.run(i);
    assert.equal(end.outcome.resultSha256, ref.resultSha256, `trial ${l.trialId} reproduces`);
    const posted = replies.get(l.trialId)!.flatMap((r) => (r.type === "reports" ? r.items : []));
    assert.deepEqual(posted.map((r) => r.step), [1, 2]);
    assert.deepEqual(posted.map((r) => r.values), end.outcome.reports);
    assert.deepEqual(end.outcome.reports.map((r) => r.trainLoss), ref.reports.map((r) => r.trainLoss));
    hashes.push(end.outcome.resultSha256);
  }
  assert.notEqual(hashes[0], hashes[1], "seed 7 and seed 8 differ");
});

test("a CNN with dropout gives the same hash in a worker thread as in-process", { timeout: 120_000 }, async () => {
  const input = {
    name: "cnn-thread", dataset: { name: "mnist", train: 400, test: 100 },
    model: { layers: [
      { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" }, { type: "maxpool2d", size: 2 },
      { type: "flatten" }, { type: "dropout", rate: 0.3 }, { type: "dense", units: 10 },
    ] },
    train: { epochs: 1, batch: 32, optimizer: "adam", lr: 0.002, seed: 9 },
  };
  const alone = await reproducer(input, EXAMPLES);
  const mnist = readLocalDatasetBlob("mnist");
  const t = alone.trials[0]!;
  const replies = await runLeases([lease(1, {
    experiment: { name: "network", sha: null }, config: t.config, params: t.params, seed: t.seed, datasets: { mnist: sha(mnist) },
  })], new Map([[sha(mnist), mnist]]), 1);
  const end = replies.get(1)!.at(-1)!;
  assert.equal(end.type, "done", JSON.stringify(end));
  if (end.type === "done") assert.equal(end.outcome.resultSha256, (await alone.run(0)).resultSha256);
});

test("a researcher's experiment with its own wasm runs in threads and reproduces in-process", { timeout: 120_000 }, async () => {
  const input = {
    name: "rf", experiment: "./random-features", metric: { name: "testAccuracy", goal: "maximize" },
    dataset: { name: "moons", train: 200, test: 100 }, steps: 40, reportEvery: 20, seed: 3,
    search: { parameters: { features: [8, 16] } },
  };
  const prepared = await prepareSweep(input, EXAMPLES);
  const exp = prepared.config.build.experiment;
  assert.ok(exp.sha, "a folder experiment ships as a blob");
  const blobs = new Map(prepared.blobs.map((b) => [b.sha, b.bytes]));
  const trials = expandSweep(prepared.config, prepared.entry);
  const leases = trials.map((t, i) => lease(i + 1, { experiment: exp, config: t.config, params: t.params, seed: t.seed, datasets: {} }));
  const replies = await runLeases(leases, blobs);
  const alone = await reproducer(input, EXAMPLES);
  for (const [i, l] of leases.entries()) {
    const end = replies.get(l.trialId)!.at(-1)!;
    assert.equal(end.type, "done", JSON.stringify(end));
    if (end.type !== "done") continue;
    assert.equal(end.outcome.resultSha256, (await alone.run(i)).resultSha256);
    assert.equal(end.outcome.reports.length, 2);
    assert.ok(end.outcome.metrics.testAccuracy! > 0.7, `accuracy ${end.outcome.metrics.testAccuracy}`);
  }
});

test("a trial that fails comes back as its error text, and the thread keeps serving", { timeout: 60_000 }, async () => {
  const good = lease(2, { experiment: { name: "network", sha: null }, config: { dataset: { name: "xor", train: 40, test: 10, validation: 0.1, seed: 0 }, model: { hidden: [4], activation: "relu", init: "auto" }, train: { epochs: 1, batch: 8, optimizer: "sgd", lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, schedule: { type: "constant", every: 1, gamma: 0.5 }, loss: "cross_entropy", seed: 0 } }, params: {}, seed: 0, datasets: {} });
  const noBlob = lease(1, { ...good, config: { ...good.config, dataset: { name: "mnist", train: 10, test: 10, seed: 0 } } });
  const unknown = lease(3, { ...good, experiment: { name: "no-such", sha: null } });
  const nan = lease(4, { ...good, config: { ...good.config, train: { ...(good.config.train as object), lr: 10, loss: "mse" }, model: { hidden: [64, 64], activation: "relu", init: "auto" } } });
  const replies = await runLeases([noBlob, good, unknown, nan], new Map(), 1);
  const failure = (id: number) => {
    const end = replies.get(id)!.at(-1)!;
    return end.type === "failed" ? end : assert.fail(`trial ${id} did not fail: ${end.type}`);
  };
  // The experiment's own failures, with their stacks (the first line is the message): never retried.
  assert.equal(failure(1).error.split("\n")[0], "dataset mnist: no blob was provided");
  assert.match(failure(1).error, /\n {4}at /, "the stack follows");
  assert.equal(failure(1).failure, "experiment");
  assert.equal(replies.get(2)!.at(-1)!.type, "done");
  assert.match(failure(3).error, /no built-in experiment "no-such" \(built-in: network/);
  assert.equal(failure(3).failure, "experiment");
  // A NaN loss: diverged, its outcome holding the finite reports (none: it diverged in the first epoch).
  assert.equal(failure(4).failure, "diverged");
  assert.match(failure(4).error, /^diverged: report 1: metric "trainLoss" is NaN$/);
  assert.deepEqual(failure(4).outcome?.reports, []);
});

test("a chunk of trials runs in order on one thread; one stopped before it starts is skipped", { timeout: 60_000 }, async () => {
  const config = { dataset: { name: "xor", train: 40, test: 10, validation: 0.1, seed: 0 }, model: { hidden: [4], activation: "relu", init: "auto" }, train: { epochs: 2, batch: 8, optimizer: "sgd", lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, schedule: { type: "constant", every: 1, gamma: 0.5 }, loss: "cross_entropy", seed: 0 } };
  const chunk = [1, 2, 3, 4].map((id) => lease(id, { experiment: { name: "network", sha: null }, config: { ...config, train: { ...config.train, seed: id } }, params: {}, seed: id, datasets: {} }));
  const replies: Array<{ reply: ThreadReply; lease: number }> = [];
  let ended = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pool = new ThreadPool(1, module, "source", {
    onReply(reply, l) {
      replies.push({ reply, lease: l.trialId });
      if (reply.type !== "reports" && ++ended === chunk.length) done();
    },
    onReturned() {
      throw new Error("a chunk of four quick trials came back");
    },
    onThreadError(err) {
      throw err;
    },
  }, { chunkReturnMs: 60_000 });
  pool.run(chunk, new Map());
  // Before the thread can read its message: trial 3 never starts.
  pool.stop([{ trialId: 3, attempt: 1 }]);
  assert.deepEqual(pool.running().map((l) => l.trialId), [1, 2, 3, 4]);
  assert.equal(pool.idle(), 0);
  // The agent busy elsewhere for 400 ms: its delay in reading the ends is not the trials' time
  // (timed here, it was at least 100 ms a trial, and tiny trials got ever smaller chunks).
  const busyUntil = performance.now() + 400;
  while (performance.now() < busyUntil) { /* busy */ }
  await finished;
  assert.equal(pool.idle(), 1);
  const trialMs = pool.trialMs(1);
  await pool.close();
  assert.ok(trialMs !== undefined && trialMs < 60, `time per trial as the thread measured it: ${trialMs} ms`);
  assert.deepEqual(replies.map((r) => [r.lease, r.reply.type, "trialId" in r.reply && r.reply.trialId]), [[1, "done", 1], [2, "done", 2], [3, "skipped", 3], [4, "done", 4]]);
  // Each trial's bits are its own, whatever ran before it on the thread.
  const single = await runLeases([chunk[3]!], new Map(), 1);
  const end = single.get(4)!.at(-1)!;
  const inChunk = replies[3]!.reply;
  assert.ok(end.type === "done" && inChunk.type === "done");
  assert.equal(inChunk.outcome.resultSha256, end.outcome.resultSha256);
});

/** A researcher's experiment folder holding `source` as experiment.ts, built as the controller builds it. */
async function experimentFolder(t: { after(fn: () => void): void }, source: string) {
  const dir = mkdtempSync(join(tmpdir(), "discalc-experiment-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "exp"));
  writeFileSync(join(dir, "exp", "experiment.ts"), source);
  // Leases here carry their own params; the sweep only builds the blob (and sweeps nothing the experiment's defaults lack).
  const prepared = await prepareSweep({ name: "exp", experiment: "./exp", metric: { name: "x", goal: "maximize" } }, dir);
  return { exp: prepared.config.build.experiment, blobs: new Map(prepared.blobs.map((b) => [b.sha, b.bytes])) };
}

test("a thread that dies mid-chunk is blamed on the trial it ran; the others come back once each", { timeout: 60_000 }, async (t) => {
  // An experiment whose trial 3 throws outside any call of discalc's while it still runs: the
  // thread dies. Trials 1 and 2 end at once, so 2's end still waits in the thread's outbox.
  const { exp, blobs } = await experimentFolder(t, `export default {
    run(config, ctx) {
      if (!ctx.params.crash) return { metrics: { x: ctx.params.x } };
      setTimeout(() => { throw new Error("boom in trial " + ctx.trialId); }, 5);
      return new Promise((r) => setTimeout(() => r({ metrics: { x: ctx.params.x } }), 500));
    },
  };\n`);
  const chunk = [1, 2, 3, 4].map((id) => lease(id, { experiment: exp, config: {}, params: { x: id, crash: id === 3 }, seed: id, datasets: {} }));
  const ended: number[] = [];
  let crash: { running: number | null; unstarted: number[] } | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pool = new ThreadPool(1, module, "source", {
    onReply(reply) {
      if (reply.type !== "reports") ended.push(reply.trialId);
    },
    onReturned() {
      throw new Error("nothing should come back");
    },
    onThreadError(_err, running, unstarted) {
      crash = { running: running?.trialId ?? null, unstarted: unstarted.map((l) => l.trialId) };
      done();
    },
  }, { chunkReturnMs: 60_000 });
  pool.run(chunk, blobs);
  await finished;
  await new Promise((r) => setTimeout(r, 200)); // anything the dead thread still posted arrives, and is ignored
  await pool.close();
  assert.equal(crash!.running, 3, "the trial that ran when the thread died");
  assert.ok(!ended.includes(3));
  // Trials 1 and 2 ended (an end lost with the thread is handed back instead); 4 never started.
  assert.deepEqual([...ended, ...crash!.unstarted].sort(), [1, 2, 4]);
});

test("a chunk that runs long gives back what it has not started; one stopped meanwhile ends skipped", { timeout: 60_000 }, async (t) => {
  const { exp, blobs } = await experimentFolder(t, `export default {
    run(config, ctx) {
      if (!ctx.params.slow) return { metrics: { x: ctx.params.x } };
      return new Promise((r) => setTimeout(() => r({ metrics: { x: ctx.params.x } }), 60));
    },
  };\n`);
  const chunk = [1, 2, 3, 4].map((id) => lease(id, { experiment: exp, config: {}, params: { x: id, slow: id === 2 }, seed: id, datasets: {} }));
  const ended = new Map<number, string>();
  let returned: number[] | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pool = new ThreadPool(1, module, "source", {
    onReply(reply) {
      if (reply.type !== "reports") ended.set(reply.trialId, reply.type);
    },
    onReturned(back) {
      returned = back.map((l) => l.trialId);
      done();
    },
    onThreadError(err) {
      throw err;
    },
  }, { chunkReturnMs: 20 });
  pool.run(chunk, blobs);
  pool.stop([{ trialId: 4, attempt: 1 }]);
  await finished;
  await pool.close();
  assert.equal(pool.idle(), 1, "the thread is free for other work");
  assert.equal(ended.get(1), "done");
  assert.equal(ended.get(4), "skipped", "asked to stop: not handed back to run");
  // Trial 2 takes 60 ms, past the chunk's 20: at the latest, 3 comes back (2 too if 1 was slow to start).
  assert.ok(returned!.includes(3), `returned ${returned}`);
  assert.deepEqual([...returned!, ...[...ended.keys()].filter((id) => id !== 4)].sort(), [1, 2, 3]);
  assert.deepEqual(returned, [...returned!].sort(), "in their order");
  // The trials it ran are timed all the same, so the next chunk of this sweep is sized by them.
  assert.ok((pool.trialMs(1) ?? 0) >= 20 / 2, `time per trial of the returned chunk: ${pool.trialMs(1)} ms`);
});

test("a chunk's time is its own sweep's, even when the thread it freed starts another sweep's at once", { timeout: 60_000 }, async (t) => {
  const { exp, blobs } = await experimentFolder(t, `export default {
    run(config, ctx) {
      const until = Date.now() + ctx.params.ms;
      while (Date.now() < until) { /* busy */ }
      return { metrics: { x: 1 } };
    },
  };\n`);
  const of = (sweepId: number, ms: number, ids: number[]) => ids.map((id) => lease(id, { sweepId, experiment: exp, config: {}, params: { ms }, seed: id, datasets: {} }));
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let ended = 0;
  const pool: ThreadPool = new ThreadPool(1, module, "source", {
    onReply(reply) {
      if (reply.type === "reports") return;
      ended++;
      // Sweep 1's last end frees the thread: sweep 2's quick chunk goes to it in the same turn, as the agent does.
      if (ended === 2) pool.run(of(2, 0, [11, 12]), blobs);
      if (ended === 4) done();
    },
    onReturned() {
      throw new Error("nothing should come back");
    },
    onThreadError(err) {
      throw err;
    },
  }, { chunkReturnMs: 60_000 });
  pool.run(of(1, 40, [1, 2]), blobs);
  await finished;
  await pool.close();
  assert.ok((pool.trialMs(1) ?? 0) >= 40, `sweep 1: ${pool.trialMs(1)} ms a trial`);
  assert.ok((pool.trialMs(2) ?? Infinity) < 20, `sweep 2: ${pool.trialMs(2)} ms a trial, not sweep 1's`);
});
