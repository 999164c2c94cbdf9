// Activations applied in place (A overwrites Z) and their backward passes written in terms
// of the output A, so the trainer keeps one buffer per layer. Transcendentals are the SIMD
// polynomial approximations of transcendental.ts (ctx.nn's), never the host's libm, so every
// machine computes the same bits. (Engine 1 used AssemblyScript's scalar Mathf here: a tanh
// model trained at 0.4 of a relu one; see ENGINE_VERSION in kernels/engine-version.ts.)
import { unaryForward, UNARY_TANH, UNARY_SIGMOID } from "./unary";

export const ACT_RELU: i32 = 0;
export const ACT_TANH: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_IDENTITY: i32 = 3;

/** A = max(Z, 0), n elements, in place allowed. */
export function reluForward(z: usize, a: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(a + o, f32x4.max(v128.load(z + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(z + o);
    store<f32>(a + o, v > 0 ? v : 0);
  }
}

/** dZ = dA where A > 0, else 0. */
export function reluBackward(da: usize, a: usize, dz: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const mask = f32x4.gt(v128.load(a + o), zero);
    v128.store(dz + o, v128.and(v128.load(da + o), mask));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, load<f32>(a + o) > 0 ? load<f32>(da + o) : 0);
  }
}

/** A = tanh(Z): the SIMD approximation ctx.nn's tanh runs (transcendental.ts), the same bits on every machine. */
export function tanhForward(z: usize, a: usize, n: i32): void {
  unaryForward(UNARY_TANH, z, a, n);
}

/** dZ = dA · (1 − A²). */
export function tanhBackward(da: usize, a: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const av = v128.load(a + o);
    v128.store(dz + o, f32x4.mul(v128.load(da + o), f32x4.sub(one, f32x4.mul(av, av))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o);
    store<f32>(dz + o, load<f32>(da + o) * (1 - av * av));
  }
}

/** A = 1 / (1 + e^−Z): the SIMD approximation ctx.nn's sigmoid runs (e^−Z overflows to inf for very negative Z, giving 0). */
export function sigmoidForward(z: usize, a: usize, n: i32): void {
  unaryForward(UNARY_SIGMOID, z, a, n);
}

/** dZ = dA · A · (1 − A). */
export function sigmoidBackward(da: usize, a: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const av = v128.load(a + o);
    v128.store(dz + o, f32x4.mul(v128.load(da + o), f32x4.mul(av, f32x4.sub(one, av))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o);
    store<f32>(dz + o, load<f32>(da + o) * (av * (1 - av)));
  }
}

/** Dispatch by activation id, so the host makes one call per layer. */
export function activationForward(kind: i32, z: usize, a: usize, n: i32): void {
  if (kind == ACT_RELU) reluForward(z, a, n);
  else if (kind == ACT_TANH) tanhForward(z, a, n);
  else if (kind == ACT_SIGMOID) sigmoidForward(z, a, n);
  else if (z != a) memory.copy(a, z, <usize>n << 2);
}

export function activationBackward(kind: i32, da: usize, a: usize, dz: usize, n: i32): void {
  if (kind == ACT_RELU) reluBackward(da, a, dz, n);
  else if (kind == ACT_TANH) tanhBackward(da, a, dz, n);
  else if (kind == ACT_SIGMOID) sigmoidBackward(da, a, dz, n);
  else if (da != dz) memory.copy(dz, da, <usize>n << 2);
}
