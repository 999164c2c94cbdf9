// The .npz codec of named arrays: round trip, deterministic bytes, and NumPy (when a python
// has it) opening the file with the names, dtypes, shapes and values written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpz, decodeNpz } from "./npz.ts";
import type { NamedArrays } from "../../kernels/named-arrays.ts";
import { pythonWith } from "../../kernels/bench/python-with-torch.ts";
import { compileKernels, instantiateKernels } from "../../kernels/load.ts";
import { createNN } from "../../kernels/nn/index.ts";

const arrays = (): NamedArrays => ({
  "layers.0.weight": { shape: [3, 2], data: Float32Array.from([1.5, -2, 0.1, 3e-8, -0, 65504]) },
  "layers.0.bias": { shape: [2], data: Float32Array.from([0.25, -0.75]) },
  "encoder.steps": { shape: [], data: Int32Array.from([42]) },
  "mask": { shape: [2, 2], data: Uint8Array.from([0, 1, 255, 7]) },
  "stats.mean": { shape: [1, 3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
});

test("named arrays round-trip through .npz with their names, types, shapes and values", () => {
  const back = decodeNpz(encodeNpz(arrays()));
  assert.deepEqual(Object.keys(back), Object.keys(arrays()));
  for (const [name, a] of Object.entries(arrays())) {
    assert.deepEqual(back[name]!.shape, a.shape, name);
    assert.equal(back[name]!.data.constructor, a.data.constructor, name);
    assert.deepEqual([...back[name]!.data], [...a.data], name);
  }
});

test("one state gives one file's bytes (fixed timestamp, fixed order)", () => {
  assert.deepEqual(encodeNpz(arrays()), encodeNpz(arrays()));
});

test("a shape that does not fit its data, or an empty name, is refused naming each", () => {
  assert.throws(() => encodeNpz({ a: { shape: [2, 2], data: new Float32Array(3) }, "": { shape: [1], data: new Float32Array(1) } }),
    /encodeNpz: a: shape \[2, 2\] holds 4 values, the data 3; "": not a usable array name/);
  assert.throws(() => decodeNpz(new Uint8Array([1, 2, 3]), "kept.npz"), /kept\.npz: is not a readable NPZ \(zip\) file/);
});

test("a ctx.nn model's parameters go through .npz by name into another model", async () => {
  const module = await compileKernels();
  const make = (seed: number) => {
    const nn = createNN(instantiateKernels(module), seed);
    return { nn, model: { blocks: [new nn.Linear(3, 4), new nn.LayerNorm(4)], out: new nn.Linear(4, 2) } };
  };
  const a = make(1), b = make(2);
  const bytes = encodeNpz(a.nn.stateDict(a.model));
  b.nn.loadStateDict(b.model, decodeNpz(bytes));
  assert.deepEqual(b.nn.stateDict(b.model), a.nn.stateDict(a.model));
  assert.deepEqual(Object.keys(decodeNpz(bytes)), ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "out.weight", "out.bias"]);
});

const python = pythonWith("numpy");
test("numpy.load opens it: names, dtypes, shapes and values", { skip: python ? false : "no python with numpy (set DISCALC_PYTHON)" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-npz-"));
  try {
    const file = join(dir, "state.npz");
    writeFileSync(file, encodeNpz(arrays()));
    // Values compared as their little-endian bytes: exact, -0 and subnormals included.
    const script = `import json, sys, numpy as np
p = np.load(sys.argv[1])
print(json.dumps({k: [p[k].dtype.str, list(p[k].shape), p[k].astype(p[k].dtype.newbyteorder("<")).tobytes().hex()] for k in p.files}))`;
    const run = spawnSync(python!, ["-c", script, file], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as Record<string, [string, number[], string]>;
    const dtype: Record<string, string> = { Float32Array: "<f4", Float64Array: "<f8", Int32Array: "<i4", Uint8Array: "|u1" };
    assert.deepEqual(Object.keys(seen).sort(), Object.keys(arrays()).sort());
    for (const [name, a] of Object.entries(arrays())) {
      const hex = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString("hex");
      assert.deepEqual(seen[name], [dtype[a.data.constructor.name], a.shape, hex], name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
