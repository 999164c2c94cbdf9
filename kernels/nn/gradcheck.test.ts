// Every op's forward against a float64 reference and its gradient against central
// differences of that reference, at awkward shapes (size 1, odd sizes, broadcasting on each side).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN, type NN } from "./nn.ts";
import type { Tensor } from "./tensor.ts";
import * as R from "./reference.ts";

const nn = createNN(instantiateKernels(await compileKernels()), 7);

/** Deterministic values in [lo, hi), rounded to f32 so both sides see the same inputs. */
function values(n: number, seed: number, lo: number, hi: number): Float64Array {
  let x = (seed * 2654435761) >>> 0;
  return Float64Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.fround(lo + (hi - lo) * (x / 2 ** 32));
  });
}

interface Case {
  name: string;
  shapes: number[][];
  /** Range of the inputs (default [−2, 2)). */
  range?: [number, number];
  run(nn: NN, xs: Tensor[]): Tensor;
  ref(xs: R.Ref[]): R.Ref;
}

function check(c: Case): void {
  const [lo, hi] = c.range ?? [-2, 2];
  const inputs = c.shapes.map((s, i) => values(R.size(s), i + 1 + c.name.length, lo, hi));
  const refs = () => inputs.map((data, i) => ({ data: data.slice(), shape: c.shapes[i]! }));
  nn.tidy(() => {
    const ts = inputs.map((v, i) => nn.tensor(Float32Array.from(v), c.shapes[i]!, { requiresGrad: true }));
    try {
      const out = c.run(nn, ts);
      const expected = c.ref(refs());
      assert.deepEqual([...out.shape], expected.shape, `${c.name}: shape`);
      const got = out.data();
      expected.data.forEach((r, i) => assert.ok(Math.abs(got[i]! - r) <= 1e-5 + 2e-6 * Math.abs(r), `${c.name}: forward[${i}] ${got[i]} vs ${r}`));
      const weights = values(out.size, 99, -1, 1);
      out.mul(nn.tensor(Float32Array.from(weights), [...out.shape])).sum().backward();
      inputs.forEach((data, k) => {
        const grad = ts[k]!.grad!.data();
        for (let j = 0; j < data.length; j++) {
          const h = 1e-6 * Math.max(1, Math.abs(data[j]!));
          const plus = refs(), minus = refs();
          plus[k]!.data[j]! += h;
          minus[k]!.data[j]! -= h;
          const numeric = (R.dot(c.ref(plus), weights) - R.dot(c.ref(minus), weights)) / (2 * h);
          assert.ok(Math.abs(grad[j]! - numeric) <= 1e-4 + 1e-3 * Math.abs(numeric), `${c.name}: d/dx${k}[${j}] ${grad[j]} vs ${numeric}`);
        }
      });
    } finally {
      for (const t of ts) t.dispose();
    }
  });
}

const unary = (name: string, f: (v: number) => number, op: (t: Tensor) => Tensor, shape: number[], range?: [number, number]): Case =>
  ({ name, shapes: [shape], range, run: (_, [x]) => op(x!), ref: ([x]) => R.map(x!, f) });

const cases: Case[] = [
  { name: "add, broadcast on both sides", shapes: [[3, 1, 5], [4, 1]], run: (_, [a, b]) => a!.add(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x + y) },
  { name: "add, size 1 and rank 0", shapes: [[1], []], run: (_, [a, b]) => a!.add(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x + y) },
  { name: "add, same shape", shapes: [[2, 7], [2, 7]], run: (_, [a, b]) => a!.add(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x + y) },
  { name: "add, leading ones only ([1, 3] + [3], the same tensor twice)", shapes: [[3]], run: (n, [a]) => n.add(a!.reshape(1, 3), a!).add(a!), ref: ([a]) => ({ data: a!.data.map((v) => 3 * v), shape: [1, 3] }) },
  { name: "sub, broadcast left", shapes: [[4, 1], [3, 1, 5]], run: (_, [a, b]) => a!.sub(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x - y) },
  { name: "mul, broadcast right", shapes: [[2, 3, 5], [5]], run: (_, [a, b]) => a!.mul(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x * y) },
  { name: "mul, broadcast middle", shapes: [[2, 1, 3], [1, 4, 1]], run: (_, [a, b]) => nn.mul(a!, b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x * y) },
  { name: "div", shapes: [[3, 5], [5]], range: [0.5, 2], run: (_, [a, b]) => a!.div(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x / y) },
  { name: "div, broadcast numerator", shapes: [[1], [3]], range: [0.5, 2], run: (_, [a, b]) => a!.div(b!), ref: ([a, b]) => R.binary(a!, b!, (x, y) => x / y) },
  { name: "scalar affine", shapes: [[5]], run: (_, [a]) => a!.mul(3).add(1).sub(0.5).div(4), ref: ([a]) => R.map(a!, (v) => (v * 3 + 1 - 0.5) * (1 / 4)) },
  unary("neg", (v) => -v, (t) => t.neg(), [3]),
  unary("exp", Math.exp, (t) => t.exp(), [3, 5]),
  unary("log", Math.log, (t) => t.log(), [7], [0.2, 5]),
  unary("sqrt", Math.sqrt, (t) => t.sqrt(), [1, 5], [0.2, 5]),
  unary("pow 2", (v) => v * v, (t) => t.pow(2), [6]),
  unary("pow 3, negative base", (v) => v ** 3, (t) => t.pow(3), [5]),
  unary("pow 1.5", (v) => v ** 1.5, (t) => t.pow(1.5), [5], [0.2, 3]),
  unary("pow −1", (v) => 1 / v, (t) => t.pow(-1), [5], [0.5, 3]),
  unary("relu", (v) => Math.max(v, 0), (t) => t.relu(), [3, 7]),
  unary("gelu", R.gelu, (t) => t.gelu(), [3, 7], [-4, 4]),
  unary("tanh", Math.tanh, (t) => t.tanh(), [3, 7], [-3, 3]),
  unary("sigmoid", R.sigmoid, (t) => t.sigmoid(), [3, 7], [-5, 5]),
  { name: "softmax last", shapes: [[3, 5]], run: (_, [x]) => x!.softmax(-1), ref: ([x]) => R.softmax(x!, -1, false) },
  { name: "softmax dim 0", shapes: [[4, 3]], run: (_, [x]) => x!.softmax(0), ref: ([x]) => R.softmax(x!, 0, false) },
  { name: "logSoftmax middle", shapes: [[2, 3, 4]], run: (_, [x]) => x!.logSoftmax(1), ref: ([x]) => R.softmax(x!, 1, true) },
  { name: "logSoftmax one column", shapes: [[3, 1]], run: (_, [x]) => x!.logSoftmax(1), ref: ([x]) => R.softmax(x!, 1, true) },
  { name: "sum all", shapes: [[3, 5]], run: (_, [x]) => x!.sum(), ref: ([x]) => ({ data: Float64Array.of(x!.data.reduce((a, b) => a + b, 0)), shape: [] }) },
  { name: "sum dim 1", shapes: [[2, 3, 4]], run: (_, [x]) => x!.sum(1), ref: ([x]) => R.alongDim(x!, 1, (v) => [v.reduce((a, b) => a + b, 0)], false) },
  { name: "sum keepdim, size 1", shapes: [[1]], run: (_, [x]) => x!.sum(0, true), ref: ([x]) => x! },
  { name: "mean last", shapes: [[3, 7]], run: (_, [x]) => x!.mean(-1), ref: ([x]) => R.alongDim(x!, -1, (v) => [v.reduce((a, b) => a + b, 0) / v.length], false) },
  { name: "max dim 1", shapes: [[3, 5]], run: (_, [x]) => x!.max(1).values, ref: ([x]) => R.alongDim(x!, 1, (v) => [Math.max(...v)], false) },
  { name: "max dim 0 keepdim, destructured", shapes: [[4, 3]], run: (_, [x]) => { const [values] = x!.max(0, true); return values; }, ref: ([x]) => R.alongDim(x!, 0, (v) => [Math.max(...v)], true) },
  { name: "max of all", shapes: [[2, 3, 2]], run: (_, [x]) => x!.max(), ref: ([x]) => ({ data: Float64Array.of(Math.max(...x!.data)), shape: [] }) },
  {
    name: "pow with a tensor exponent, broadcast", shapes: [[3, 4], [4]], range: [0.3, 2.5], run: (_, [x, p]) => x!.pow(p!),
    ref: ([x, p]) => R.binary(x!, p!, (a, b) => a ** b),
  },
  { name: "reshape", shapes: [[2, 3, 4]], run: (_, [x]) => x!.reshape(6, -1).mul(x!.reshape([6, 4])), ref: ([x]) => ({ data: x!.data.map((v) => v * v), shape: [6, 4] }) },
  { name: "transpose", shapes: [[2, 3, 4]], run: (_, [x]) => x!.transpose(0, 2), ref: ([x]) => R.transpose(x!, 0, 2) },
  {
    name: "narrow", shapes: [[5, 3]], run: (_, [x]) => x!.narrow(0, 1, 3),
    ref: ([x]) => ({ data: x!.data.slice(3, 12), shape: [3, 3] }),
  },
  {
    name: "cat dim 1", shapes: [[2, 3], [2, 1]], run: (n, [a, b]) => n.cat([a!, b!], 1),
    ref: ([a, b]) => ({ data: Float64Array.from([...a!.data.slice(0, 3), b!.data[0]!, ...a!.data.slice(3), b!.data[1]!]), shape: [2, 4] }),
  },
  { name: "expand", shapes: [[3, 1]], run: (n, [x]) => n.expand(x!, [2, 3, 4]), ref: ([x]) => R.binary(x!, { data: new Float64Array(24), shape: [2, 3, 4] }, (v) => v) },
  { name: "matmul 2-D, odd", shapes: [[3, 5], [5, 7]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  {
    name: "matmul with vectors (vector @ matrix, batched @ vector, dot)", shapes: [[4], [4, 3], [2, 3, 4]],
    run: (_, [v, m, b]) => nn.cat([v!.matmul(m!).reshape(1, 3), b!.matmul(v!).reshape(2, 3), v!.matmul(v!).reshape(1, 1).mul(nn.ones([1, 3]))], 0),
    ref: ([v, m, b]) => {
      const vm = R.matmul({ data: v!.data, shape: [1, 4] }, m!).data;
      const bv = R.matmul(b!, { data: v!.data, shape: [4, 1] }).data;
      const dot = v!.data.reduce((s, x) => s + x * x, 0);
      return { data: Float64Array.from([...vm, ...bv, dot, dot, dot]), shape: [4, 3] };
    },
  },
  { name: "matmul 1×1", shapes: [[1, 1], [1, 1]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  { name: "matmul batched @ 2-D", shapes: [[2, 3, 4], [4, 5]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  { name: "matmul batched @ batched", shapes: [[2, 3, 4], [2, 4, 5]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  { name: "matmul 2-D @ batched (broadcast left)", shapes: [[3, 4], [2, 4, 5]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  { name: "matmul batch broadcast both", shapes: [[2, 1, 3, 4], [3, 4, 2]], run: (_, [a, b]) => a!.matmul(b!), ref: ([a, b]) => R.matmul(a!, b!) },
  {
    name: "linear with bias, 3-D input", shapes: [[2, 3, 5], [4, 5], [4]], run: (n, [x, w, b]) => n.linear(x!, w!, b!),
    ref: ([x, w, b]) => R.binary(R.matmul(x!, R.transpose(w!, 0, 1)), b!, (p, q) => p + q),
  },
  {
    name: "crossEntropy", shapes: [[5, 3]], run: (n, [x]) => n.crossEntropy(x!, Int32Array.of(0, 2, 1, 2, 0)),
    ref: ([x]) => {
      const lp = R.softmax(x!, 1, true), labels = [0, 2, 1, 2, 0];
      return { data: Float64Array.of(-labels.reduce((s, l, r) => s + lp.data[r * 3 + l]!, 0) / 5), shape: [] };
    },
  },
  {
    name: "mseLoss", shapes: [[3, 4], [3, 4]], run: (n, [p, t]) => n.mseLoss(p!, t!),
    ref: ([p, t]) => ({ data: Float64Array.of(p!.data.reduce((s, v, i) => s + (v - t!.data[i]!) ** 2, 0) / 12), shape: [] }),
  },
  {
    name: "embedding, repeated indices", shapes: [[4, 3]], run: (n, [w]) => n.embedding(Int32Array.of(2, 0, 2, 3, 2, 1), w!, [2, 3]),
    ref: ([w]) => ({ data: Float64Array.from([2, 0, 2, 3, 2, 1].flatMap((r) => [...w!.data.slice(r * 3, r * 3 + 3)])), shape: [2, 3, 3] }),
  },
  {
    name: "indexSelect along 0, repeated indices", shapes: [[4, 2, 3]], run: (n, [x]) => n.indexSelect(x!, 0, Int32Array.of(3, 1, 3, 0, 3)),
    ref: ([x]) => R.indexSelect(x!, 0, [3, 1, 3, 0, 3]),
  },
  {
    name: "indexSelect along the last dim (moved first and back)", shapes: [[2, 3, 5]], run: (n, [x]) => x!.indexSelect(-1, Int32Array.of(4, 4, 0)),
    ref: ([x]) => R.indexSelect(x!, 2, [4, 4, 0]),
  },
  {
    name: "layerNorm with weight and bias", shapes: [[3, 5], [5], [5]], run: (n, [x, w, b]) => n.layerNorm(x!, [5], w!, b!, 1e-5),
    ref: ([x, w, b]) => R.binary(R.binary(R.alongDim(x!, -1, (v) => {
      const mu = v.reduce((a, c) => a + c, 0) / v.length;
      const variance = v.reduce((a, c) => a + (c - mu) ** 2, 0) / v.length;
      return v.map((c) => (c - mu) / Math.sqrt(variance + 1e-5));
    }), w!, (p, q) => p * q), b!, (p, q) => p + q),
  },
  {
    name: "layerNorm over two trailing dimensions", shapes: [[2, 2, 3]], run: (n, [x]) => n.layerNorm(x!, [2, 3]),
    ref: ([x]) => {
      const flat = R.alongDim({ data: x!.data, shape: [2, 6] }, -1, (v) => {
        const mu = v.reduce((a, c) => a + c, 0) / v.length;
        const variance = v.reduce((a, c) => a + (c - mu) ** 2, 0) / v.length;
        return v.map((c) => (c - mu) / Math.sqrt(variance + 1e-5));
      });
      return { data: flat.data, shape: [2, 2, 3] };
    },
  },
  {
    // The module's parameters are inputs here: x [B=2, T=3, d=4], in-proj [12, 4] + [12], out-proj [4, 4] + [4], 2 heads.
    name: "multi-head attention (batch first, causal mask)", shapes: [[2, 3, 4], [12, 4], [12], [4, 4], [4]],
    run: (n, [x, wi, bi, wo, bo]) => {
      const mha = new n.MultiheadAttention(4, 2, { batchFirst: true, seed: 1 });
      for (const p of mha.parameters()) p.dispose();
      Object.assign(mha, { inProjWeight: wi, inProjBias: bi, outProjWeight: wo, outProjBias: bo });
      return mha.forward(x!, x!, x!, { attnMask: n.tensor([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3]), needWeights: false })[0];
    },
    ref: ([x, wi, bi, wo, bo]) => {
      const lin = (t: R.Ref, w: R.Ref, b: R.Ref) => R.binary(R.matmul(t, R.transpose(w, 0, 1)), b, (p, q) => p + q);
      const rows = (t: R.Ref, from: number, count: number, cols: number): R.Ref =>
        ({ data: t.data.slice(from * cols, (from + count) * cols), shape: cols === 1 ? [count] : [count, cols] });
      const heads = (t: R.Ref) => R.transpose({ data: t.data, shape: [2, 3, 2, 2] }, 1, 2); // [B, h, T, hd]
      const proj = (i: number) => heads(lin(x!, rows(wi!, 4 * i, 4, 4), rows(bi!, 4 * i, 4, 1)));
      const [q, k, v] = [proj(0), proj(1), proj(2)];
      const mask = { data: Float64Array.of(0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0), shape: [3, 3] };
      const scores = R.binary(R.map(R.matmul(q, R.transpose(k, 2, 3)), (s) => s / Math.SQRT2), mask, (p, m) => p + m);
      const merged = R.transpose(R.matmul(R.softmax(scores, -1, false), v), 1, 2);
      return lin({ data: merged.data, shape: [2, 3, 4] }, wo!, bo!);
    },
  },
  { name: "permute", shapes: [[2, 3, 4]], run: (_, [x]) => x!.permute(2, 0, 1), ref: ([x]) => R.transpose(R.transpose(x!, 0, 2), 1, 2) },
  {
    name: "conv2d, batch 1, odd sizes, padding 1, bias", shapes: [[1, 3, 5, 7], [2, 3, 3, 3], [2]],
    run: (n, [x, w, b]) => n.conv2d(x!, w!, b!, { padding: 1 }), ref: ([x, w, b]) => R.conv2d(x!, w!, b!, 1, 1, 1),
  },
  {
    name: "conv2d, stride 2, 3×2 kernel, padding [1, 0], no bias", shapes: [[2, 2, 7, 6], [3, 2, 3, 2]],
    run: (n, [x, w]) => n.conv2d(x!, w!, null, { stride: 2, padding: [1, 0] }), ref: ([x, w]) => R.conv2d(x!, w!, null, 2, 1, 0),
  },
  {
    name: "conv2d, 1×1 kernel, unbatched [C, H, W]", shapes: [[3, 2, 3], [5, 3, 1, 1], [5]],
    run: (n, [x, w, b]) => n.conv2d(x!, w!, b!),
    ref: ([x, w, b]) => { const y = R.conv2d({ data: x!.data, shape: [1, 3, 2, 3] }, w!, b!, 1, 0, 0); return { data: y.data, shape: y.shape.slice(1) }; },
  },
  {
    // An even kernel: PyTorch pads 0 before and 1 after on rows, 1 and 1 on columns.
    name: "conv2d, padding \"same\", 2×3 kernel", shapes: [[1, 2, 4, 5], [3, 2, 2, 3]],
    run: (n, [x, w]) => n.conv2d(x!, w!, null, { padding: "same" }), ref: ([x, w]) => R.conv2d(x!, w!, null, 1, 0, 1, [4, 5]),
  },
  {
    name: "conv2d, padding \"valid\", stride 3", shapes: [[2, 1, 7, 8], [2, 1, 3, 3], [2]],
    run: (n, [x, w, b]) => n.conv2d(x!, w!, b!, { stride: 3, padding: "valid" }), ref: ([x, w, b]) => R.conv2d(x!, w!, b!, 3, 0, 0),
  },
  {
    // kh·kw·c = 279 > 256: the im2col and SGEMM path rather than the kernel-row one.
    name: "conv2d, deep (im2col path), stride 2, padding 2", shapes: [[1, 31, 4, 5], [2, 31, 3, 3], [2]],
    run: (n, [x, w, b]) => n.conv2d(x!, w!, b!, { stride: 2, padding: 2 }), ref: ([x, w, b]) => R.conv2d(x!, w!, b!, 2, 2, 2),
  },
  { name: "maxPool2d 2, odd input (last row and column dropped)", shapes: [[2, 3, 5, 5]], run: (n, [x]) => n.maxPool2d(x!, 2), ref: ([x]) => R.pool2d(x!, 2, 2, (v) => Math.max(...v)) },
  { name: "maxPool2d 3, stride 2, overlapping, batch 1", shapes: [[1, 1, 7, 6]], run: (n, [x]) => n.maxPool2d(x!, 3, 2), ref: ([x]) => R.pool2d(x!, 3, 2, (v) => Math.max(...v)) },
  { name: "avgPool2d 2, stride 1", shapes: [[1, 2, 4, 5]], run: (n, [x]) => n.avgPool2d(x!, 2, 1), ref: ([x]) => R.pool2d(x!, 2, 1, (v) => v.reduce((a, b) => a + b, 0) / v.length) },
  {
    name: "avgPool2d 3, unbatched", shapes: [[2, 6, 7]], run: (n, [x]) => n.avgPool2d(x!, 3),
    ref: ([x]) => { const y = R.pool2d({ data: x!.data, shape: [1, 2, 6, 7] }, 3, 3, (v) => v.reduce((a, b) => a + b, 0) / v.length); return { data: y.data, shape: y.shape.slice(1) }; },
  },
  {
    name: "a tensor used twice (gradients summed)", shapes: [[2, 3]], run: (_, [x]) => x!.tanh().mul(x!).add(x!),
    ref: ([x]) => R.map(x!, (v) => Math.tanh(v) * v + v),
  },
];

for (const c of cases) test(`gradient check: ${c.name}`, () => check(c));

test("the gradient check fails on a wrong gradient (it can fail)", () => {
  assert.throws(() => check({ name: "wrong", shapes: [[3]], run: (_, [x]) => x!.mul(2), ref: ([x]) => R.map(x!, (v) => 2.01 * v) }));
});

test("dropout: a seeded mask zeroes about p of the elements, scales the rest by 1/(1 − p), and routes the gradient through it", () => {
  nn.tidy(() => {
    const x = nn.tensor(new Float32Array(4000).fill(1), [4000], { requiresGrad: true });
    const y = nn.dropout(x, 0.25, { seed: 3 });
    const v = y.data();
    const zeros = v.filter((c) => c === 0).length;
    assert.ok(zeros > 900 && zeros < 1100, `zeros ${zeros}`);
    assert.ok(v.every((c) => c === 0 || c === Math.fround(1 / 0.75)));
    assert.deepEqual(nn.dropout(x, 0.25, { seed: 3 }).data(), v, "the same seed, the same mask");
    assert.equal(nn.dropout(x, 0.25, { training: false }), x);
    y.sum().backward();
    assert.deepEqual(x.grad!.data(), v);
    x.dispose();
  });
});

test("max(dim) gives PyTorch's indices (the first maximum on ties) beside the values", () => {
  nn.tidy(() => {
    const x = nn.tensor([1, 5, 5, 2, 0, -1, 7, 7, 3], [3, 3]);
    const { values, indices } = x.max(1);
    assert.deepEqual([...values.data()], [5, 2, 7]);
    assert.deepEqual([...indices], [1, 0, 0]);
    const [v0, i0] = x.max(0, true);
    assert.deepEqual([...v0.shape], [1, 3]);
    assert.deepEqual([...i0], [2, 2, 0]);
    assert.deepEqual([...v0.data()], [7, 7, 5]);
    assert.equal(x.max().item(), 7);
  });
});

test("every op's temporaries are freed by tidy", () => {
  assert.deepEqual(nn.memory(), { bytes: 0, tensors: 0 });
});

test("crossEntropy, one node, gives nllLoss(logSoftmax(x))'s loss and gradient bit for bit; bad labels are named", () => {
  const x = Float32Array.from(values(7 * 5, 3, -3, 3));
  const labels = Int32Array.of(0, 4, 2, 1, 3, 3, 0);
  const run = (loss: (t: Tensor) => Tensor) => nn.tidy(() => {
    const t = nn.tensor(x, [7, 5], { requiresGrad: true });
    const l = loss(t);
    l.backward();
    const out = { loss: l.data(), grad: t.grad!.data() };
    t.dispose();
    return out;
  });
  const fused = run((t) => nn.crossEntropy(t, labels));
  const composed = run((t) => nn.nllLoss(nn.logSoftmax(t, -1), labels));
  assert.deepEqual(fused, composed);
  const before = nn.memory();
  assert.throws(() => nn.tidy(() => nn.crossEntropy(nn.tensor(x, [7, 5]), Int32Array.of(0, 5, 0, 0, 0, 0, 0))), /crossEntropy: label 5 of row 1 is outside \[0, 5\)/);
  assert.throws(() => nn.tidy(() => nn.crossEntropy(nn.tensor(x, [7, 5]), Int32Array.of(0))), /crossEntropy: 1 labels for 7 rows/);
  assert.deepEqual(nn.memory(), before);
});

test("indexSelect refuses indices outside the dimension and non-Int32 indices, naming them, and frees what it made", () => {
  const before = nn.memory();
  nn.tidy(() => {
    const x = nn.ones([3, 2]);
    assert.throws(() => nn.indexSelect(x, 0, Int32Array.of(0, 3)), /indexSelect: index 3 at 1 is outside \[0, 3\)/);
    assert.throws(() => x.indexSelect(1, Int32Array.of(-1)), /indexSelect: index -1 at 0 is outside \[0, 2\)/);
    assert.throws(() => nn.indexSelect(x, 0, [0] as unknown as Int32Array), /indexSelect: indices must be an Int32Array/);
    assert.throws(() => nn.indexSelect(x, 2, Int32Array.of(0)), /indexSelect: dim 2 is out of range for a tensor of rank 2/);
    assert.deepEqual([...nn.indexSelect(x, 0, new Int32Array(0)).shape], [0, 2]);
  });
  assert.deepEqual(nn.memory(), before);
});
