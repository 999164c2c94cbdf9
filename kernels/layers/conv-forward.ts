// conv2d forward, the one way the layer and the benchmark run it: im2col and the packed SGEMM;
// or, when each tap brings at least 16 channels, the direct (indirect-buffer) kernel; or, for a
// one-channel input at stride 1, the kernel that shares each tap's load across four pixels.
// Both skip the columns and give the same bits (kernels/assembly/conv.ts). Measured on this
// machine: indirect 27 vs 14 GFLOP/s at 32×32×16→16 k3 (but 20 vs 29 at 14×14×8→16 k5, and
// 2 vs 8 at C = 1, where the one-channel kernel takes over).
import type { KernelExports } from "../exports.ts";
import type { ConvGeometry } from "./plan.ts";

export const takesDirectPath = (g: ConvGeometry, rows: number) =>
  g.c >= 16 && (rows * g.outH * g.outW) % 4 === 0 && g.f % 8 === 0 && g.kh * g.kw * g.c <= 256;
export const takesOneChannelPath = (g: ConvGeometry) => g.c === 1 && g.stride === 1 && g.f % 8 === 0 && g.kh * g.kw <= 256;

/** out = conv(input, w) without bias; returns whether the columns of `input` are in `col` now. */
export function convForward(k: KernelExports, g: ConvGeometry, rows: number, input: number, w: number, out: number, col: number, zeros: number): boolean {
  const m = rows * g.outH * g.outW, kk = g.kh * g.kw * g.c;
  if (takesOneChannelPath(g)) {
    k.convForwardC1(input, rows, g.h, g.w, g.kh, g.kw, g.padTop, g.padLeft, g.outH, g.outW, w, g.f, out);
    return false;
  }
  if (takesDirectPath(g, rows)) {
    k.convForwardDirect(input, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, w, g.f, out, zeros);
    return false;
  }
  k.im2col(input, rows, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, col);
  k.sgemm(0, 0, m, g.f, kk, 1, col, kk, w, g.f, 0, out, g.f);
  return true;
}
