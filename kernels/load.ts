// Compiles the numeric core once per process and instantiates it per thread or trial.
// A WebAssembly.Module is cloneable: post it to worker threads through workerData.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KernelInstance } from "./instance.ts";

/** Where `npm run kernels:build` writes the release module (a function: bundles have no file URL). */
export const kernelsWasmPath = () => fileURLToPath(new URL("../build/kernels.wasm", import.meta.url));

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

export class KernelLoadError extends Error {
  override name = "KernelLoadError";
}

export function hasWasmSimd(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

export function readKernelsWasm(path = kernelsWasmPath()): Uint8Array {
  if (!existsSync(path)) {
    throw new KernelLoadError(`kernels not built: ${path} is missing; run \`npm run kernels:build\``);
  }
  return readFileSync(path);
}

let cached: Promise<WebAssembly.Module> | undefined;

/**
 * Compiles the kernels. Without `bytes` it reads build/kernels.wasm once and caches the
 * module for the process. Fails with a clear message when the host lacks WebAssembly SIMD.
 */
export function compileKernels(bytes?: Uint8Array): Promise<WebAssembly.Module> {
  if (!hasWasmSimd()) {
    return Promise.reject(new KernelLoadError(
      "this JavaScript engine has no WebAssembly SIMD (v128); discalc's kernels need Node.js 16.4+ or a browser with SIMD",
    ));
  }
  if (bytes) return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  cached ??= Promise.resolve().then(() => WebAssembly.compile(readKernelsWasm() as Uint8Array<ArrayBuffer>));
  return cached;
}

/** A fresh instance with its own memory; cheap (well under a millisecond). */
export function instantiateKernels(module: WebAssembly.Module): KernelInstance {
  return KernelInstance.create(module);
}
