// 2-D convolution, NHWC, by im2col and the packed SGEMM: forward is im2col(x) · W, the filter
// gradient im2col(x)ᵀ · dY and the input gradient col2im(dY · Wᵀ). Filters are [KH, KW, C, F],
// so a column row (KH·KW·C floats) meets W as a plain matrix and the product is NHWC already.
// Channels are contiguous in NHWC: each kernel tap moves C floats in one run.
import { MR, NR, storeTransposed4 } from "./gemm";
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

/**
 * Convolution forward without im2col (the indirect method of XNNPACK, arXiv 1907.02129): a
 * 4-pixel × 8-filter tile sums over taps and channels, reading each tap's C channels where
 * they lie in the input (a zero row stands for the padding). The sum for one output runs over
 * (tap, channel) in im2col's column order, and the tile is stored as the SGEMM stores it, so
 * out is bit for bit im2col then sgemm (beta 0, alpha 1) whenever that takes its in-place path:
 * n·outH·outW % 4 == 0, f % 8 == 0, kh·kw·c ≤ 256. The caller checks that; `zeros` holds c zeros.
 */
export function convForwardDirect(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, wt: usize, f: i32, out: usize, zeros: usize,
): void {
  const pixels = n * outH * outW;
  const ldbBytes = <usize>f << 2;
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const taps = kh * kw;
  ensureTapTable(<usize>taps * 4);
  for (let p0 = 0; p0 < pixels; p0 += MR) {
    // Each tap's four input addresses, once per pixel group (every filter panel reads them).
    for (let r = 0; r < MR; r++) {
      const b = (p0 + r) / (outH * outW), rest = (p0 + r) % (outH * outW);
      const oy = rest / outW, ox = rest % outW;
      for (let t = 0; t < taps; t++) {
        store<usize>(tapTable + ((<usize>(t * MR + r)) << 2), tap(x, b, oy, ox, t / kw, t % kw, h, w, c, stride, padTop, padLeft, zeros));
      }
    }
    for (let jr = 0; jr < f; jr += NR) {
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let pb = wt + (<usize>jr << 2);
      let entry = tapTable;
      for (let t = 0; t < taps; t++) {
        const a0 = load<usize>(entry), a1 = load<usize>(entry, 4), a2 = load<usize>(entry, 8), a3 = load<usize>(entry, 12);
        entry += 16;
        for (let cc = 0; cc < c; cc++) {
          const o = <usize>cc << 2;
          const bv0 = v128.load(pb);
          const bv1 = v128.load(pb, 16);
          let av = v128.load32_splat(a0 + o);
          c00 = f32x4.add(c00, f32x4.mul(av, bv0));
          c01 = f32x4.add(c01, f32x4.mul(av, bv1));
          av = v128.load32_splat(a1 + o);
          c10 = f32x4.add(c10, f32x4.mul(av, bv0));
          c11 = f32x4.add(c11, f32x4.mul(av, bv1));
          av = v128.load32_splat(a2 + o);
          c20 = f32x4.add(c20, f32x4.mul(av, bv0));
          c21 = f32x4.add(c21, f32x4.mul(av, bv1));
          av = v128.load32_splat(a3 + o);
          c30 = f32x4.add(c30, f32x4.mul(av, bv0));
          c31 = f32x4.add(c31, f32x4.mul(av, bv1));
          pb += ldbBytes;
        }
      }
      // As sgemm stores a tile into a zeroed C: 0 + 1·acc.
      let row = out + ((<usize>p0 * <usize>f + <usize>jr) << 2);
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c00)));
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c01)), 16);
      row += ldbBytes;
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c10)));
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c11)), 16);
      row += ldbBytes;
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c20)));
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c21)), 16);
      row += ldbBytes;
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c30)));
      v128.store(row, f32x4.add(zero, f32x4.mul(one, c31)), 16);
    }
  }
}

let tapTable: usize = 0;
let tapCapacity: usize = 0;

/** Room for `entries` input addresses (u32), grown as needed. */
function ensureTapTable(entries: usize): void {
  if (entries <= tapCapacity) return;
  tapCapacity = max(entries, tapCapacity << 1);
  tapTable = alloc(tapCapacity << 2);
}

/** Where tap (ky, kx) of output pixel (b, oy, ox) reads its C channels: the input, or the zero row. */
@inline function tap(
  x: usize, b: i32, oy: i32, ox: i32, ky: i32, kx: i32, h: i32, w: i32, c: i32, stride: i32, padTop: i32, padLeft: i32, zeros: usize,
): usize {
  const iy = oy * stride - padTop + ky;
  const ix = ox * stride - padLeft + kx;
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return zeros;
  return x + ((<usize>((b * h + iy) * w + ix) * <usize>c) << 2);
}

let paddedImage: usize = 0;
let paddedCapacity: usize = 0;

/**
 * Convolution forward of a one-channel input at stride 1 (a network's first layer on
 * grey images): four neighbouring output pixels share every tap's input load, one vector,
 * against eight filters at a time; each image is first copied into a zero-padded frame, so
 * no tap needs a bounds check. Per output, the products are summed over taps in im2col's
 * order from zero and stored as 0 + 1·sum, so out is bit for bit im2col then sgemm (beta 0,
 * alpha 1) whenever that takes its in-place path (kh·kw ≤ 256). Needs f % 8 == 0.
 */
export function convForwardC1(
  x: usize, n: i32, h: i32, w: i32, kh: i32, kw: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, wt: usize, f: i32, out: usize,
): void {
  const pw = outW + kw - 1, ph = outH + kh - 1;
  const frame = <usize>(pw * ph) << 2;
  if (frame > paddedCapacity) {
    paddedCapacity = max(frame, paddedCapacity << 1);
    paddedImage = alloc(paddedCapacity);
  }
  const fBytes = <usize>f << 2;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const taps = kh * kw;
  for (let b = 0; b < n; b++) {
    // The image inside a zero frame: padded[(y + padTop)·pw + x + padLeft] = x[b, y, x].
    memory.fill(paddedImage, 0, frame);
    const image = x + ((<usize>b * <usize>h * <usize>w) << 2);
    for (let y = 0; y < h; y++) {
      const py = y + padTop;
      if (py < 0 || py >= ph) continue;
      for (let xx = 0; xx < w; xx++) {
        const px = xx + padLeft;
        if (px >= 0 && px < pw) store<f32>(paddedImage + ((<usize>(py * pw + px)) << 2), load<f32>(image + ((<usize>(y * w + xx)) << 2)));
      }
    }
    for (let oy = 0; oy < outH; oy++) {
      const outRow = out + ((<usize>((b * outH + oy) * outW) * <usize>f) << 2);
      let ox = 0;
      for (; ox + 4 <= outW; ox += 4) {
        for (let jr = 0; jr < f; jr += 8) {
          let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
          let pw0 = wt + (<usize>jr << 2);
          for (let ky = 0; ky < kh; ky++) {
            let src = paddedImage + ((<usize>((oy + ky) * pw + ox)) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const v = v128.load(src);
              a0 = f32x4.add(a0, f32x4.mul(v, v128.load32_splat(pw0)));
              a1 = f32x4.add(a1, f32x4.mul(v, v128.load32_splat(pw0, 4)));
              a2 = f32x4.add(a2, f32x4.mul(v, v128.load32_splat(pw0, 8)));
              a3 = f32x4.add(a3, f32x4.mul(v, v128.load32_splat(pw0, 12)));
              a4 = f32x4.add(a4, f32x4.mul(v, v128.load32_splat(pw0, 16)));
              a5 = f32x4.add(a5, f32x4.mul(v, v128.load32_splat(pw0, 20)));
              a6 = f32x4.add(a6, f32x4.mul(v, v128.load32_splat(pw0, 24)));
              a7 = f32x4.add(a7, f32x4.mul(v, v128.load32_splat(pw0, 28)));
              src += 4;
              pw0 += fBytes;
            }
          }
          // Lane p of a_j is output pixel ox + p, filter jr + j: transpose into NHWC rows.
          const dst = outRow + ((<usize>ox * <usize>f + <usize>jr) << 2);
          storeTransposed4(dst, fBytes,
            f32x4.add(zero, f32x4.mul(one, a0)), f32x4.add(zero, f32x4.mul(one, a1)),
            f32x4.add(zero, f32x4.mul(one, a2)), f32x4.add(zero, f32x4.mul(one, a3)));
          storeTransposed4(dst + 16, fBytes,
            f32x4.add(zero, f32x4.mul(one, a4)), f32x4.add(zero, f32x4.mul(one, a5)),
            f32x4.add(zero, f32x4.mul(one, a6)), f32x4.add(zero, f32x4.mul(one, a7)));
        }
      }
      // The row's last pixels, one at a time, with the same sums.
      for (; ox < outW; ox++) {
        for (let fo = 0; fo < f; fo++) {
          let acc: f32 = 0;
          for (let t = 0; t < taps; t++) {
            const v = load<f32>(paddedImage + ((<usize>((oy + t / kw) * pw + ox + t % kw)) << 2));
            acc += v * load<f32>(wt + ((<usize>(t * f + fo)) << 2));
          }
          store<f32>(outRow + ((<usize>(ox * f + fo)) << 2), <f32>0 + <f32>1 * acc);
        }
      }
    }
  }
}
