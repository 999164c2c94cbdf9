import { test } from "node:test";
import assert from "node:assert/strict";
import { loadKernels, compileKernels, hasWasmSimd, readKernelsWasm } from "./index.ts";

function reference(A: Float32Array, B: Float32Array, m: number, n: number, k: number, tA: boolean, tB: boolean) {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (tA ? A[p * m + i]! : A[i * k + p]!) * (tB ? B[j * k + p]! : B[p * n + j]!);
    C[i * n + j] = s;
  }
  return C;
}

const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i + 1) * 2654435761 + seed) % 2001) / 1000 - 1);

test("loadKernels().sgemm matches a reference in all transpose forms, with alpha and beta", async () => {
  const k = await loadKernels();
  for (const [m, n, kk] of [[1, 1, 1], [3, 7, 13], [33, 129, 127], [64, 128, 784], [129, 33, 7]] as const) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      const A = random(m * kk, 1), B = random(kk * n, 2);
      const C0 = random(m * n, 3);
      const C = C0.slice();
      k.sgemm(A, B, C, m, n, kk, { transA, transB, alpha: 0.5, beta: 2 });
      const R = reference(A, B, m, n, kk, transA, transB);
      for (let i = 0; i < m * n; i++) {
        assert.ok(Math.abs(C[i]! - (0.5 * R[i]! + 2 * C0[i]!)) < 1e-4 * kk, `${m}x${n}x${kk} ${transA} ${transB} at ${i}`);
      }
    }
  }
});

test("sgemm refuses arrays too small for the sizes, naming the operand", async () => {
  const k = await loadKernels();
  assert.throws(() => k.sgemm(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 2, 3), /A has 5 elements, needs 2×3 = 6/);
  assert.throws(() => k.sgemm(new Float32Array(6), new Float32Array(6), new Float32Array(4), 2, 2, -3), /k must be a non-negative integer/);
});

test("the host has SIMD, and a module without it is refused by compile", async () => {
  assert.equal(hasWasmSimd(), true);
  const bytes = readKernelsWasm();
  assert.ok(bytes.byteLength > 1000);
  await assert.rejects(compileKernels(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99])), WebAssembly.CompileError);
});

test("a missing kernels file says how to build it", () => {
  assert.throws(() => readKernelsWasm("/nonexistent/kernels.wasm"), /run `npm run kernels:build`/);
});
