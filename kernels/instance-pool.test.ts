// A reused (reset) kernel instance must be indistinguishable from a fresh one: trials of every
// shape, run one after another on one pool, give the bits each gives on its own fresh instance.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileKernels, kernelsWasmPath } from "./load.ts";
import { KernelPool } from "./instance-pool.ts";
import type { KernelInstance } from "./instance.ts";
import { readLocalDatasetBlob } from "./datasets/local-blobs.ts";
import { runTrial } from "../runtime/experiments/run-trial.ts";
import { builtinExperiment } from "../runtime/experiments/registry.ts";

const network = builtinExperiment("network");
const resolved = (input: unknown) => {
  const r = network.resolve(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
};

// Large before small and back, so a trial meets scratch buffers an earlier one grew; conv with a
// depth over 256 takes the im2col path, under it the direct kernel.
const trials = [
  { dataset: { name: "mnist", train: 200, test: 50 }, model: { layers: [
    { type: "conv2d", filters: 8, kernel: 5, padding: "same", activation: "relu" }, { type: "maxpool2d", size: 2 },
    { type: "conv2d", filters: 12, kernel: 6, activation: "relu" }, { type: "flatten" }, { type: "dropout", rate: 0.3 }, { type: "dense", units: 10 },
  ] }, train: { epochs: 1, batch: 16, optimizer: "adam", lr: 0.002, seed: 3 } },
  { dataset: { name: "xor", train: 1, test: 1 }, model: { hidden: [1] }, train: { epochs: 1, batch: 1, lr: 0.1 } },
  { dataset: { name: "moons", train: 300, test: 60 }, model: { hidden: [64, 64], activation: "tanh" }, train: { epochs: 3, batch: 8, optimizer: "adam", lr: 0.01, seed: 5 } },
  // Its data lands where the moons trial's packing buffers were, and its products fit them.
  { dataset: { name: "mnist", train: 100, test: 50 }, model: { hidden: [4] }, train: { epochs: 1, batch: 4, lr: 0.05, seed: 13 } },
  { dataset: { name: "mnist", train: 100, test: 50 }, model: { hidden: [128] }, train: { epochs: 1, batch: 32, lr: 0.05, seed: 11 } },
  { dataset: { name: "spirals", train: 200, test: 50 }, model: { layers: [{ type: "dense", units: 8, activation: "relu" }, { type: "dropout", rate: 0.2 }, { type: "dense", units: 3 }] }, train: { epochs: 2, batch: 4, optimizer: "momentum", lr: 0.05, seed: 2 } },
].map(resolved);

test("trials on one reused kernel instance give the bits of fresh instances", { timeout: 120_000 }, async () => {
  const module = await compileKernels();
  const mnist = readLocalDatasetBlob("mnist");
  const blobs = new Map([["mnist", mnist]]);
  const run = (config: Record<string, unknown>, i: number, kernelPool?: KernelPool) =>
    runTrial({ trialId: i + 1, params: {}, seed: 1, config }, { entry: network, kernelsModule: module, kernelPool, experimentWasm: null, blobs });
  const fresh = [];
  for (const [i, config] of trials.entries()) fresh.push(await run(config, i));
  const pool = new KernelPool(module);
  // Twice through: the second pass runs each trial on an instance every other trial has used.
  for (let pass = 0; pass < 2; pass++) {
    for (const [i, config] of trials.entries()) {
      const reused = await run(config, i, pool);
      assert.equal(reused.resultSha256, fresh[i]!.resultSha256, `trial ${i} (pass ${pass}): weights differ on a reused instance`);
      assert.deepEqual(reused.reports.map((r) => r.trainLoss), fresh[i]!.reports.map((r) => r.trainLoss));
    }
  }
});

// The packing buffers of a large product and convolution, left where the heap now hands out a
// trial's own data: after a reset, small products and convolutions must not write there.
const scratchUsers: Record<string, (k: KernelInstance["k"], size: number) => void> = {
  sgemm(k, size) {
    const [a, b, c] = [k.allocF32(size * size), k.allocF32(size * size), k.allocF32(size * size)];
    // Transposed A and a size off the 4×8 tile: the packed path (aligned ones run in place).
    k.sgemm(1, 0, size, size, size, 1, a, size, b, size, 0, c, size);
  },
  convForwardRows(k, size) {
    const [x, wt, out] = [k.allocF32(size * size * 4), k.allocF32(3 * 3 * 4 * 8), k.allocF32(size * size * 8)];
    k.convForwardRows(x, 1, size, size, 4, 3, 3, 1, 1, 1, size, size, wt, 8, out);
  },
};

for (const [name, use] of Object.entries(scratchUsers)) {
  test(`after a reset, ${name} does not write into memory its scratch buffers used to hold`, async () => {
    const pool = new KernelPool(await compileKernels());
    const first = pool.acquire();
    use(first.k, 97);
    pool.release(first);
    const again = pool.acquire();
    assert.equal(again, first, "the pool hands the reset instance out again");
    const data = again.f32(again.allocF32(1 << 20), 1 << 20);
    data.fill(1.5);
    use(again.k, 7);
    assert.ok(data.every((v) => v === 1.5), `${name} wrote into a trial's data: its scratch globals were not reset`);
  });
}

test("a reset instance reports the heap a fresh one does, whatever memory an earlier trial grew", async () => {
  const pool = new KernelPool(await compileKernels());
  const fresh = pool.acquire();
  const freshTop = fresh.k.heapTop();
  fresh.k.allocF32(8 << 20); // 32 MiB: the memory grows
  const grown = fresh.buffer.byteLength;
  pool.release(fresh);
  const again = pool.acquire();
  assert.equal(again.buffer.byteLength, grown, "the memory stays as large");
  assert.equal(again.k.heapTop(), freshTop);
  again.k.allocF32(100);
  const other = new KernelPool(await compileKernels()).acquire();
  other.k.allocF32(100);
  assert.equal(again.k.heapTop(), other.k.heapTop());
});

/** The mutable globals of the release module, read from its global section. */
function mutableGlobals(bytes: Uint8Array): number {
  let at = 8;
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[at++]!;
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return value >>> 0;
  };
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 6) {
      let mutable = 0;
      for (let n = leb(); n > 0; n--) {
        at++; // value type
        if (bytes[at++] === 1) mutable++;
        while (bytes[at++] !== 0x0b); // the init expression (a constant) up to `end`
      }
      return mutable;
    }
    at = end;
  }
  return 0;
}

test("reset.ts knows every mutable global of the kernels", () => {
  // The stub allocator's offset and start (set once at start-up), gemm's 5 and conv-direct's
  // 7 scratch globals (reset by resetKernels), and 4 of AssemblyScript's math library, written
  // before every read within one call. A new global holding state across calls must be reset in assembly/reset.ts.
  assert.equal(mutableGlobals(readFileSync(kernelsWasmPath())), 18, "a new mutable global in kernels/assembly: reset it in reset.ts, then update this count");
});
