// Convolution forward by kernel rows, without columns and without a per-tap address table.
// In NHWC one kernel row of one output pixel (kw taps × c channels) is one contiguous run of
// kw·c floats in the input, so a 4-pixel × 8-filter register tile (the SGEMM's 4×8 tile)
// walks four such runs side by side against the filters packed into 8-wide panels. Padding
// comes from a zero frame around the image, made only when some tap falls outside it.
//
// Four neighbouring pixels of one output row lie stride·c floats apart in the input: when that
// distance is one the kernel is compiled for (1, 2, 4, 8, 16 or 32 floats), their four loads
// take it as a constant offset from one pointer and the tile reads the input in place, with no
// address arithmetic per depth step beyond the one pointer (as the SGEMM's micro-kernel on
// packed panels). Other tiles (a row's last outW % 4 pixels, other distances) are first packed:
// the four runs interleaved into a small buffer, then summed as a packed panel. It replaced a
// one-channel kernel, im2col+SGEMM at these depths, and an indirect kernel that spent four
// address adds per depth step and built a per-tap address table with divisions: it beat each
// of them at the benchmark's shapes (`npm run kernels:bench`; docs/benchmarks.md). Unrolling the depth loop in the source
// does not help: binaryen and TurboFan regroup the sums by accumulator, which needs all eight
// filter vectors live at once, and V8 spills.
import { alloc } from "./arena";
import { storeTransposed4 } from "./gemm";

/**
 * The distance between a tile's pixels, in bytes, as a type: offsetof<T>() is T's size, a
 * compile-time constant, so it can be a load's offset immediate.
 */
@final @unmanaged class Gap4 { a: f32; }
@final @unmanaged class Gap8 { a: f64; }
@final @unmanaged class Gap16 { a: v128; }
@final @unmanaged class Gap32 { a: v128; b: v128; }
@final @unmanaged class Gap64 { a: v128; b: v128; c: v128; d: v128; }
@final @unmanaged class Gap128 { a: v128; b: v128; c: v128; d: v128; e: v128; f: v128; g: v128; h: v128; }

let packedW: usize = 0;
let packedWCapacity: usize = 0;
let packedA: usize = 0;
let packedACapacity: usize = 0;
let frame: usize = 0;
let frameCapacity: usize = 0;
let edge: usize = 0;

/** Forgets the packing buffers (reset.ts: the heap they lived in is reset). */
export function resetConvScratch(): void {
  packedW = 0;
  packedWCapacity = 0;
  packedA = 0;
  packedACapacity = 0;
  frame = 0;
  frameCapacity = 0;
  edge = 0;
}

/**
 * out = conv(x, wt) without bias: NHWC, filters [KH, KW, C, F], any c, stride, padding and f.
 * Every output is summed over (ky, kx, channel) in im2col's column order from zero, one
 * product at a time, and stored as 0 + sum, as the SGEMM's 4×8 tile does on im2col's columns, so out is bit for bit im2col then sgemm (beta 0, alpha 1)
 * whenever that sums its depth in one block (kh·kw·c ≤ 256, the SGEMM's KC); taps in the
 * padding add 0·w, as im2col's zero columns do. Deeper, sgemm adds its depth blocks' partial
 * sums while this still runs the one sequential sum.
 */
export function convForwardRows(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, wt: usize, f: i32, out: usize,
): void {
  const kk = kh * kw * c;
  const panels = (f + 7) >> 3;
  const panelBytes = <usize>kk << 5;
  packFilters(wt, kk, f, panels, panelBytes);
  if (edge == 0) edge = alloc(128);
  if ((<usize>kk << 4) > packedACapacity) {
    packedACapacity = max(<usize>kk << 4, packedACapacity << 1);
    packedA = alloc(packedACapacity);
  }

  // The frame: frame[fy, fx] = x[b, fy − padTop, fx − padLeft], zero outside the image.
  const fh = (outH - 1) * stride + kh, fw = (outW - 1) * stride + kw;
  const framed = padTop > 0 || padLeft > 0 || fh - padTop > h || fw - padLeft > w;
  const rowBytes = <usize>((framed ? fw : w) * c) << 2;
  if (framed) {
    const bytes = <usize>fh * rowBytes;
    if (bytes > frameCapacity) {
      frameCapacity = max(bytes, frameCapacity << 1);
      frame = alloc(frameCapacity);
    }
    memory.fill(frame, 0, bytes); // the border stays zero: each image overwrites only the inside
  }
  const copyRows = min(h, fh - padTop), copyBytes = <usize>(max(0, min(w, fw - padLeft)) * c) << 2;

  const imageBytes = (<usize>h * <usize>w * <usize>c) << 2;
  const fBytes = <usize>f << 2;
  const gap = <usize>(stride * c) << 2, lineStep = <usize>stride * rowBytes;
  const runBytes = <usize>(kw * c) << 2;
  const inPlace = outW >= 4 && (gap == 4 || gap == 8 || gap == 16 || gap == 32 || gap == 64 || gap == 128);
  for (let b = 0; b < n; b++) {
    let src = x + <usize>b * imageBytes;
    if (framed) {
      for (let iy = 0; iy < copyRows; iy++) {
        memory.copy(frame + <usize>(iy + padTop) * rowBytes + (<usize>(padLeft * c) << 2), src + ((<usize>(iy * w * c)) << 2), copyBytes);
      }
      src = frame;
    }
    const outImage = out + <usize>(b * outH * outW) * fBytes;
    // Pixels waiting for a packed tile: where their kernel rows start, where their outputs go.
    let s0: usize = 0, s1: usize = 0, s2: usize = 0, s3: usize = 0;
    let d0: usize = 0, d1: usize = 0, d2: usize = 0, d3: usize = 0;
    let waiting = 0;
    for (let oy = 0; oy < outH; oy++) {
      const line = src + <usize>oy * lineStep;
      const outLine = outImage + <usize>(oy * outW) * fBytes;
      let ox = 0;
      if (inPlace) {
        const tiles = outW >> 2;
        if (gap == 4) rowTiles<Gap4>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        else if (gap == 8) rowTiles<Gap8>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        else if (gap == 16) rowTiles<Gap16>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        else if (gap == 32) rowTiles<Gap32>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        else if (gap == 64) rowTiles<Gap64>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        else rowTiles<Gap128>(line, outLine, tiles, kh, rowBytes, runBytes, panels, panelBytes, f);
        ox = tiles << 2;
      }
      for (; ox < outW; ox++) {
        const s = line + <usize>ox * gap, d = outLine + <usize>ox * fBytes;
        if (waiting == 0) { s0 = s; d0 = d; }
        else if (waiting == 1) { s1 = s; d1 = d; }
        else if (waiting == 2) { s2 = s; d2 = d; }
        else { s3 = s; d3 = d; }
        if (++waiting == 4) {
          packedTile(s0, s1, s2, s3, d0, d1, d2, d3, 4, kh, kk, rowBytes, runBytes, panels, panelBytes, f);
          waiting = 0;
        }
      }
    }
    if (waiting > 0) {
      // The image's last few pixels: the missing ones repeat one (computed, not stored).
      if (waiting < 2) { s1 = s0; d1 = d0; }
      if (waiting < 3) { s2 = s1; d2 = d1; }
      s3 = s2; d3 = d2;
      packedTile(s0, s1, s2, s3, d0, d1, d2, d3, waiting, kh, kk, rowBytes, runBytes, panels, panelBytes, f);
    }
  }
}

/**
 * One output row's whole 4-pixel tiles, read in place: tile t's pixel r starts its kernel rows
 * at line + (4t + r)·gap, gap = offsetof<G>() bytes, and writes its f outputs at outLine.
 */
function rowTiles<G>(
  line: usize, outLine: usize, tiles: i32, kh: i32, rowBytes: usize, runBytes: usize, panels: i32, panelBytes: usize, f: i32,
): void {
  const fBytes = <usize>f << 2;
  const zero = f32x4.splat(0);
  for (let t = 0; t < tiles; t++) {
    const a = line + <usize>(t << 2) * offsetof<G>();
    const dst = outLine + <usize>(t << 2) * fBytes;
    for (let p = 0; p < panels; p++) {
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      let pb = packedW + <usize>p * panelBytes;
      let row = a;
      for (let ky = 0; ky < kh; ky++) {
        const end = row + runBytes;
        for (let s = row; s < end; s += 4) {
          const b0 = v128.load(pb), b1 = v128.load(pb, 16);
          let av = v128.load32_splat(s);
          c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
          av = v128.load32_splat(s, offsetof<G>());
          c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
          av = v128.load32_splat(s, 2 * offsetof<G>());
          c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
          av = v128.load32_splat(s, 3 * offsetof<G>());
          c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
          pb += 32;
        }
        row += rowBytes;
      }
      const col = dst + (<usize>p << 5);
      storeTile(col, col + fBytes, col + 2 * fBytes, col + 3 * fBytes, 4, min(8, f - (p << 3)),
        c00, c01, c10, c11, c20, c21, c30, c31);
    }
  }
}

/**
 * Four pixels anywhere (kernel rows from s0..s3, outputs to d0..d3; the first `rows` are
 * stored): their kernel rows are interleaved into packedA (packedA[k·4 + r] = pixel r's k-th
 * value), then summed as the SGEMM's micro-kernel sums a packed panel.
 */
function packedTile(
  s0: usize, s1: usize, s2: usize, s3: usize, d0: usize, d1: usize, d2: usize, d3: usize, rows: i32,
  kh: i32, kk: i32, rowBytes: usize, runBytes: usize, panels: i32, panelBytes: usize, f: i32,
): void {
  const run4Bytes = runBytes & ~(<usize>15);
  let dst = packedA;
  for (let ky = 0; ky < kh; ky++) {
    let o: usize = 0;
    for (; o < run4Bytes; o += 16) {
      storeTransposed4(dst, 16, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
      dst += 64;
    }
    for (; o < runBytes; o += 4) {
      store<f32>(dst, load<f32>(s0 + o));
      store<f32>(dst, load<f32>(s1 + o), 4);
      store<f32>(dst, load<f32>(s2 + o), 8);
      store<f32>(dst, load<f32>(s3 + o), 12);
      dst += 16;
    }
    s0 += rowBytes; s1 += rowBytes; s2 += rowBytes; s3 += rowBytes;
  }
  const zero = f32x4.splat(0);
  for (let p = 0; p < panels; p++) {
    let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
    let pb = packedW + <usize>p * panelBytes;
    let pa = packedA;
    for (let k = 0; k < kk; k++) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      let av = v128.load32_splat(pa);
      c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
      av = v128.load32_splat(pa, 4);
      c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
      av = v128.load32_splat(pa, 8);
      c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
      av = v128.load32_splat(pa, 12);
      c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
      pa += 16;
      pb += 32;
    }
    const col = <usize>p << 5;
    storeTile(d0 + col, d1 + col, d2 + col, d3 + col, rows, min(8, f - (p << 3)), c00, c01, c10, c11, c20, c21, c30, c31);
  }
}

/**
 * Stores a tile as the SGEMM stores one into a zeroed C (0 + 1·acc, which is 0 + acc): row r
 * (of `rows`) to dr, its first `cols` of 8 filters.
 */
@inline function storeTile(
  d0: usize, d1: usize, d2: usize, d3: usize, rows: i32, cols: i32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  const zero = f32x4.splat(0);
  c00 = f32x4.add(zero, c00); c01 = f32x4.add(zero, c01);
  c10 = f32x4.add(zero, c10); c11 = f32x4.add(zero, c11);
  c20 = f32x4.add(zero, c20); c21 = f32x4.add(zero, c21);
  c30 = f32x4.add(zero, c30); c31 = f32x4.add(zero, c31);
  if (rows == 4 && cols == 8) {
    v128.store(d0, c00); v128.store(d0, c01, 16);
    v128.store(d1, c10); v128.store(d1, c11, 16);
    v128.store(d2, c20); v128.store(d2, c21, 16);
    v128.store(d3, c30); v128.store(d3, c31, 16);
    return;
  }
  v128.store(edge, c00); v128.store(edge, c01, 16);
  v128.store(edge, c10, 32); v128.store(edge, c11, 48);
  v128.store(edge, c20, 64); v128.store(edge, c21, 80);
  v128.store(edge, c30, 96); v128.store(edge, c31, 112);
  const bytes = <usize>cols << 2;
  memory.copy(d0, edge, bytes);
  if (rows > 1) memory.copy(d1, edge + 32, bytes);
  if (rows > 2) memory.copy(d2, edge + 64, bytes);
  if (rows > 3) memory.copy(d3, edge + 96, bytes);
}

/** Filters [kk, f] into 8-wide panels [panels][kk][8], zero past column f. */
function packFilters(wt: usize, kk: i32, f: i32, panels: i32, panelBytes: usize): void {
  const bytes = <usize>panels * panelBytes;
  if (bytes > packedWCapacity) {
    packedWCapacity = max(bytes, packedWCapacity << 1);
    packedW = alloc(packedWCapacity);
  }
  const fBytes = <usize>f << 2;
  for (let p = 0; p < panels; p++) {
    const width = min(8, f - (p << 3));
    let dst = packedW + <usize>p * panelBytes;
    let src = wt + (<usize>p << 5);
    for (let k = 0; k < kk; k++) {
      if (width == 8) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let j = 0; j < 8; j++) store<f32>(dst + (<usize>j << 2), j < width ? load<f32>(src + (<usize>j << 2)) : 0);
      }
      dst += 32;
      src += fBytes;
    }
  }
}
