// 2-D convolution, NHWC, by im2col and the packed SGEMM: forward is im2col(x) · W, the filter
// gradient im2col(x)ᵀ · dY and the input gradient col2im(dY · Wᵀ). Filters are [KH, KW, C, F],
// so a column row (KH·KW·C floats) meets W as a plain matrix and the product is NHWC already.
// Channels are contiguous in NHWC: each kernel tap moves C floats in one run.
import { alloc } from "./arena";

/** Copies `count` floats: four lanes at a time (runs here are short: a call to memory.copy costs more). */
@inline function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * col[(b·OH + oy)·OW + ox, (ky·KW + kx)·C + c] = x[b, oy·stride − padTop + ky, ox·stride − padLeft + kx, c],
 * zero where the tap falls in the padding. A kernel row that lies wholly inside the image is
 * one contiguous run of KW·C floats in NHWC, and is copied as one.
 */
export function im2col(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, col: usize,
): void {
  const run = <usize>c << 2;
  const rowRun = kw * c;
  let dst = col;
  for (let b = 0; b < n; b++) {
    const image = x + ((<usize>b * <usize>h * <usize>w * <usize>c) << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * stride - padLeft;
        const rowInside = ix0 >= 0 && ix0 + kw <= w;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) {
            memory.fill(dst, 0, <usize>rowRun << 2);
            dst += <usize>rowRun << 2;
            continue;
          }
          if (rowInside) {
            copyFloats(dst, image + ((<usize>(iy * w + ix0) * <usize>c) << 2), rowRun);
            dst += <usize>rowRun << 2;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx;
            if (ix >= 0 && ix < w) copyFloats(dst, image + ((<usize>(iy * w + ix) * <usize>c) << 2), c);
            else memory.fill(dst, 0, run);
            dst += run;
          }
        }
      }
    }
  }
}

/** dst[0..count) += src[0..count), four lanes at a time. */
@inline function addInto(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/**
 * The adjoint of im2col: dx = 0, then every column entry is added back to the input element it
 * was copied from (taps in the padding are dropped). Rows are visited in order, so the sums
 * run in a fixed order.
 */
export function col2im(
  col: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, dx: usize,
): void {
  memory.fill(dx, 0, (<usize>n * <usize>h * <usize>w * <usize>c) << 2);
  const run = <usize>c << 2;
  const rowRun = kw * c;
  let src = col;
  for (let b = 0; b < n; b++) {
    const image = dx + ((<usize>b * <usize>h * <usize>w * <usize>c) << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * stride - padLeft;
        const rowInside = ix0 >= 0 && ix0 + kw <= w;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy >= 0 && iy < h && rowInside) {
            // The same additions in the same order as tap by tap: one element each.
            addInto(image + ((<usize>(iy * w + ix0) * <usize>c) << 2), src, rowRun);
            src += <usize>rowRun << 2;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) addInto(image + ((<usize>(iy * w + ix) * <usize>c) << 2), src, c);
            src += run;
          }
        }
      }
    }
  }
}
