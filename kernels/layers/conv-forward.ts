// conv2d forward, the one way the layer and the benchmark run it: when the kernel's depth
// (kh·kw·c) is at most 256, the kernel-row kernel (convForwardRows, kernels/assembly/
// conv-direct.ts), which skips the columns; deeper, im2col and the packed SGEMM. Up to 256
// the row kernel gives exactly im2col then SGEMM's bits, so the path never changes a result;
// which path runs depends on the shape alone. Rows beat im2col+SGEMM and the older indirect
// and one-channel kernels at the benchmark's shapes (`npm run kernels:bench`) and at every
// other shape tried (c from 1 to 64, k 1 to 7, stride 1 and 2, f not a multiple of 8), so the
// older kernels are gone.
import type { KernelExports } from "../exports.ts";
import type { ConvGeometry } from "./plan.ts";

/** The SGEMM's depth block (KC_MAX in kernels/assembly/gemm.ts): up to it, rows and im2col+SGEMM agree bit for bit. */
const ONE_DEPTH_BLOCK = 256;

export const takesRowsPath = (g: ConvGeometry) => g.kh * g.kw * g.c <= ONE_DEPTH_BLOCK;

/** out = conv(input, w) without bias; returns whether the columns of `input` are in `col` now. */
export function convForward(k: KernelExports, g: ConvGeometry, rows: number, input: number, w: number, out: number, col: number): boolean {
  if (takesRowsPath(g)) {
    k.convForwardRows(input, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, w, g.f, out);
    return false;
  }
  const m = rows * g.outH * g.outW, kk = g.kh * g.kw * g.c;
  k.im2col(input, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, col);
  k.sgemm(0, 0, m, g.f, kk, 1, col, kk, w, g.f, 0, out, g.f);
  return true;
}
