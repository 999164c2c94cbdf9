// Convolution and pooling in PyTorch's layout (NCHW inputs, [F, C, KH, KW] filters) on the
// CNN kernels of the built-in network. Those run NHWC with filters [KH, KW, C, F] (a tap's
// channels are one contiguous run), so conv2d permutes its input and filters in and its output
// back: three strided copies, each with its own gradient, around one NHWC node whose forward is
// the network's (convForward: the kernel-row kernel, or im2col and the SGEMM when deeper) and
// whose gradients are the network's SGEMMs and col2im. Pooling never mixes channels, so an
// NCHW tensor already is an NHWC one of N·C images with one channel: the pools run in place.
import type { Tensor } from "./tensor.ts";
import { add } from "./ops-elementwise.ts";
import { permute, reshape } from "./ops-layout.ts";
import { convForward, takesRowsPath } from "../layers/conv-forward.ts";
import type { ConvGeometry } from "../layers/plan.ts";

export interface Conv2dOptions {
  /** The step between windows, both axes (default 1). */
  stride?: number;
  /**
   * Zeros added on each side: one number for both axes, [rows, columns], "valid" (none) or
   * "same" (stride 1 only: the output keeps the input's size; an even kernel's extra row and
   * column of zeros go after, as PyTorch's). Default 0.
   */
  padding?: number | [number, number] | "same" | "valid";
}

const positive = (v: number, what: string) => {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
};

/** Runs fn on x as a batch: an unbatched [C, H, W] input gets a batch of one and loses it again (as PyTorch's). */
function batched(x: Tensor, what: string, fn: (x4: Tensor) => Tensor): Tensor {
  x.check(what);
  if (x.shape.length === 4) return fn(x);
  if (x.shape.length !== 3) throw new RangeError(`${what}: input must be [N, C, H, W] or [C, H, W], got [${x.shape}]`);
  const y = fn(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's F.conv2d): x [N, C, H, W], weight
 * [F, C, KH, KW], bias [F]; out [N, F, OH, OW] with OH = ⌊(H + 2·padding − KH) / stride⌋ + 1.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  weight.check("conv2d");
  return batched(x, "conv2d", (x4) => {
    const [n, c, h, w] = x4.shape as [number, number, number, number];
    if (weight.shape.length !== 4 || weight.shape[1] !== c) throw new RangeError(`conv2d: weight must be [F, ${c}, KH, KW] for an input of ${c} channels, got [${weight.shape}]`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== weight.shape[0])) throw new RangeError(`conv2d: bias must be [${weight.shape[0]}], got [${bias.shape}]`);
    const [f, , kh, kw] = weight.shape as [number, number, number, number];
    const stride = positive(options.stride ?? 1, "conv2d: stride");
    const { padTop, padLeft, outH, outW } = padded(options.padding ?? 0, stride, h, w, kh, kw);
    if (outH < 1 || outW < 1) throw new RangeError(`conv2d: a ${kh}×${kw} kernel does not fit the ${h}×${w} input padded by ${padTop}, ${padLeft}`);
    const g: ConvGeometry = { h, w, c, kh, kw, f, stride, padTop, padLeft, outH, outW };
    let y = conv2dNHWC(permute(x4, [0, 2, 3, 1]), permute(weight, [2, 3, 1, 0]), n, g);
    if (bias) y = add(y, bias);
    return permute(y, [0, 3, 1, 2]);
  });
}

/** The padding before each axis and the output size (the kernels pad after by what the output needs). */
function padded(padding: NonNullable<Conv2dOptions["padding"]>, stride: number, h: number, w: number, kh: number, kw: number) {
  if (padding === "same") {
    if (stride !== 1) throw new RangeError(`conv2d: padding "same" needs stride 1 (as PyTorch's), got ${stride}`);
    return { padTop: (kh - 1) >> 1, padLeft: (kw - 1) >> 1, outH: h, outW: w };
  }
  const [padTop, padLeft] = padding === "valid" ? [0, 0] : typeof padding === "number" ? [padding, padding] : padding;
  for (const p of [padTop, padLeft]) if (!Number.isInteger(p) || p < 0) throw new RangeError(`conv2d: padding must be a non-negative integer, "same" or "valid", got ${JSON.stringify(padding)}`);
  return { padTop, padLeft, outH: Math.floor((h + 2 * padTop - kh) / stride) + 1, outW: Math.floor((w + 2 * padLeft - kw) / stride) + 1 };
}

/** out [N, OH, OW, F] = conv(x [N, H, W, C], w [KH, KW, C, F]), with its gradients. */
function conv2dNHWC(x: Tensor, w: Tensor, n: number, g: ConvGeometry): Tensor {
  const e = x.engine;
  const m = n * g.outH * g.outW, kk = g.kh * g.kw * g.c;
  const y = e.make([n, g.outH, g.outW, g.f]);
  if (takesRowsPath(g)) convForward(e.k, g, n, x.ptr, w.ptr, y.ptr, 0);
  else e.tidy(() => convForward(e.k, g, n, x.ptr, w.ptr, y.ptr, e.make([m, kk]).ptr));
  return e.record(y, [x, w], (dy) => {
    // The columns of x (dW = colᵀ·dY), then the same block for dCol = dY·Wᵀ, folded back by col2im.
    const col = e.make([m, kk]);
    let dw: Tensor | null = null, dx: Tensor | null = null;
    if (w.requiresGrad) {
      e.k.im2col(x.ptr, n, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, col.ptr);
      dw = e.make(w.shape);
      e.k.sgemm(1, 0, kk, g.f, m, 1, col.ptr, kk, dy.ptr, g.f, 0, dw.ptr, g.f);
    }
    if (x.requiresGrad) {
      e.k.sgemm(0, 1, m, kk, g.f, 1, dy.ptr, g.f, w.ptr, g.f, 0, col.ptr, kk);
      dx = e.make(x.shape);
      e.k.col2im(col.ptr, n, g.h, g.w, g.c, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.outH, g.outW, dx.ptr);
    }
    return [dx, dw];
  });
}

interface PoolWindow { n: number; h: number; w: number; size: number; stride: number; outH: number; outW: number }

/** The window of a pool over x [N, C, H, W] seen as N·C one-channel images. */
function poolWindow(x: Tensor, kernel: number, stride: number | undefined, what: string): PoolWindow {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const size = positive(kernel, `${what}: kernel`);
  const s = positive(stride ?? size, `${what}: stride`);
  if (size > h || size > w) throw new RangeError(`${what}: a ${size}×${size} window does not fit the ${h}×${w} input`);
  return { n: n * c, h, w, size, stride: s, outH: Math.floor((h - size) / s) + 1, outW: Math.floor((w - size) / s) + 1 };
}

/**
 * The largest value of each kernel×kernel window (PyTorch's F.max_pool2d without padding;
 * stride defaults to kernel). The gradient goes to the window's first maximum.
 */
export function maxPool2d(x: Tensor, kernel: number, stride?: number): Tensor {
  return batched(x, "maxPool2d", (x4) => {
    const e = x4.engine;
    const p = poolWindow(x4, kernel, stride, "maxPool2d");
    const y = e.make([x4.shape[0]!, x4.shape[1]!, p.outH, p.outW]);
    const argmax = e.make(y.shape, true); // i32 flat input indices in an f32-sized block, freed with y
    y.attached = [argmax];
    e.k.maxPoolForward(x4.ptr, p.n, p.h, p.w, 1, p.size, p.stride, p.outH, p.outW, y.ptr, argmax.ptr);
    return e.record(y, [x4], (dy) => {
      const dx = e.make(x4.shape);
      e.k.maxPoolBackward(dy.ptr, argmax.ptr, y.size, dx.ptr, x4.size);
      return [dx];
    });
  });
}

/** The mean of each kernel×kernel window (PyTorch's F.avg_pool2d without padding; stride defaults to kernel). */
export function avgPool2d(x: Tensor, kernel: number, stride?: number): Tensor {
  return batched(x, "avgPool2d", (x4) => {
    const e = x4.engine;
    const p = poolWindow(x4, kernel, stride, "avgPool2d");
    const y = e.make([x4.shape[0]!, x4.shape[1]!, p.outH, p.outW]);
    e.k.avgPoolForward(x4.ptr, p.n, p.h, p.w, 1, p.size, p.stride, p.outH, p.outW, y.ptr);
    return e.record(y, [x4], (dy) => {
      const dx = e.make(x4.shape);
      e.k.avgPoolBackward(dy.ptr, p.n, p.h, p.w, 1, p.size, p.stride, p.outH, p.outW, dx.ptr);
      return [dx];
    });
  });
}
