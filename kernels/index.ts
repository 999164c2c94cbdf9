// Public face of the numeric core: a BLAS-like sgemm on plain arrays, plus the loader,
// the instance type and the MLP trainer for callers that keep data inside wasm memory.
import { compileKernels, instantiateKernels } from "./load.ts";
import type { KernelInstance } from "./instance.ts";

export { compileKernels, instantiateKernels, hasWasmSimd, readKernelsWasm, kernelsWasmPath, KernelLoadError } from "./load.ts";
export { KernelInstance } from "./instance.ts";
export type { KernelExports } from "./exports.ts";

export interface SgemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

export interface Kernels {
  /**
   * C = alpha · op(A) · op(B) + beta · C, row-major. A is m×k (k×m when transA), B is k×n
   * (n×k when transB), C is m×n and is updated in place.
   */
  sgemm(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number, options?: SgemmOptions): void;
  /** The underlying instance, for callers that work on wasm memory directly. */
  readonly instance: KernelInstance;
}

/** Loads the kernels (compiled once per process) into a fresh instance. */
export async function loadKernels(): Promise<Kernels> {
  return kernelsOn(instantiateKernels(await compileKernels()));
}

/** The plain-array API over an instance (what experiments get as ctx.kernels). */
export function kernelsOn(instance: KernelInstance): Kernels {
  let scratch = 0;
  let scratchBytes = 0;
  const need = (label: string, arr: Float32Array, rows: number, cols: number) => {
    if (!(arr instanceof Float32Array)) throw new TypeError(`sgemm: ${label} must be a Float32Array`);
    if (arr.length < rows * cols) {
      throw new RangeError(`sgemm: ${label} has ${arr.length} elements, needs ${rows}×${cols} = ${rows * cols}`);
    }
  };
  return {
    instance,
    sgemm(A, B, C, m, n, k, { transA = false, transB = false, alpha = 1, beta = 0 } = {}) {
      for (const [name, v] of Object.entries({ m, n, k })) {
        if (!Number.isInteger(v) || v < 0) throw new RangeError(`sgemm: ${name} must be a non-negative integer, got ${v}`);
      }
      need("A", A, m, k);
      need("B", B, k, n);
      need("C", C, m, n);
      const sizeA = m * k, sizeB = k * n, sizeC = m * n;
      const bytes = (sizeA + sizeB + sizeC) * 4 + 128;
      if (bytes > scratchBytes) {
        // Grow geometrically: the old region is abandoned, so waste stays bounded.
        scratchBytes = Math.max(bytes, scratchBytes * 2);
        scratch = instance.allocBytes(scratchBytes);
      }
      const pA = scratch;
      const pB = pA + ((sizeA * 4 + 63) & ~63);
      const pC = pB + ((sizeB * 4 + 63) & ~63);
      instance.f32(pA, sizeA).set(A.subarray(0, sizeA));
      instance.f32(pB, sizeB).set(B.subarray(0, sizeB));
      if (beta !== 0) instance.f32(pC, sizeC).set(C.subarray(0, sizeC));
      instance.k.sgemm(
        transA ? 1 : 0, transB ? 1 : 0, m, n, k,
        alpha, pA, transA ? m : k, pB, transB ? k : n, beta, pC, n,
      );
      C.set(instance.f32(pC, sizeC));
    },
  };
}
