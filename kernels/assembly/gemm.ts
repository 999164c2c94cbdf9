// SGEMM, row-major f32: C = alpha * op(A) * op(B) + beta * C, op = identity or transpose.
// BLIS-style: op(B) is packed in NR-wide panels and op(A) in MR-tall panels, so the
// transposes cost only the packing and the micro-kernel always streams contiguous memory.
// The summation order depends only on (m, n, k), so results are bit-identical run to run.

import { alloc } from "./arena";

/** Rows of C held by the micro-kernel (4 × two v128 accumulators = 8 registers). */
export const MR: i32 = 4;
/** Columns of C held by the micro-kernel (two f32x4 vectors). */
export const NR: i32 = 8;
/** Largest depth block: a KC×NR panel of B (8 KiB) stays in L1. */
const KC_MAX: i32 = 256;
/** Rows of A packed at once: MC×KC (128 KiB) stays in L2. */
const MC_MAX: i32 = 128;
/** Columns of B packed at once: KC×NC (2 MiB) sits in L3. */
const NC_MAX: i32 = 2048;

let packedA: usize = 0;
let packedB: usize = 0;
let capacityA: usize = 0;
let capacityB: usize = 0;
let edgeTile: usize = 0;

/** Forgets the packing buffers (reset.ts: the heap they lived in is reset). */
export function resetGemmScratch(): void {
  packedA = 0;
  packedB = 0;
  capacityA = 0;
  capacityB = 0;
  edgeTile = 0;
}

/**
 * Packing buffers grow to the largest problem seen (at most MC×KC and KC×NC floats), so a
 * tiny network does not pay for zeroing megabytes. Growth at least doubles, so the
 * abandoned buffers add up to less than the live ones.
 */
function ensureBuffers(bytesA: usize, bytesB: usize): void {
  if (edgeTile == 0) edgeTile = alloc(<usize>(MR * NR) << 2);
  if (bytesA > capacityA) {
    capacityA = max(bytesA, capacityA << 1);
    packedA = alloc(capacityA);
  }
  if (bytesB > capacityB) {
    capacityB = max(bytesB, capacityB << 1);
    packedB = alloc(capacityB);
  }
}

/** Splits `total` into equal blocks of at most `max`, each a multiple of `multiple`. */
@inline function blockSize(total: i32, max: i32, multiple: i32): i32 {
  const blocks = (total + max - 1) / max;
  const size = (total + blocks - 1) / blocks;
  return ((size + multiple - 1) / multiple) * multiple;
}

/** Scales C by beta; beta == 0 clears C (so NaN/Inf already in C do not survive, as in BLAS). */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1.0) return;
  const rowBytes = <usize>n << 2;
  const vbeta = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 2);
    if (beta == 0.0) {
      memory.fill(row, 0, rowBytes);
      continue;
    }
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), vbeta));
    }
    for (; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * beta);
    }
  }
}

/** Packs op(B)[p0..p0+kc, j0..j0+nc] into NR-wide panels, zero-padding past column n. */
function packB(kc: i32, nc: i32, n: i32, b: usize, ldb: i32, transB: bool, p0: i32, j0: i32): void {
  let dst = packedB;
  for (let jp = 0; jp < nc; jp += NR) {
    const j = j0 + jp;
    const width = min(NR, n - j);
    if (!transB) {
      // Rows of B are contiguous in j: copy NR floats per depth step.
      let src = b + ((<usize>p0 * <usize>ldb + <usize>j) << 2);
      const srcStride = <usize>ldb << 2;
      if (width == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += srcStride;
          dst += <usize>NR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let jj = 0; jj < NR; jj++) {
            store<f32>(dst + (<usize>jj << 2), jj < width ? load<f32>(src + (<usize>jj << 2)) : 0);
          }
          src += srcStride;
          dst += <usize>NR << 2;
        }
      }
    } else if (width == NR) {
      // op(B)[p][j] = B[j][p]: transpose 4×4 blocks of the NR rows of B in registers.
      const rowStride = <usize>ldb << 2;
      const base = b + ((<usize>j * <usize>ldb + <usize>p0) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const out = dst + (<usize>(p * NR) << 2);
        const src = base + (<usize>p << 2);
        transpose4x4(src, rowStride, out, <usize>NR << 2);
        transpose4x4(src + 4 * rowStride, rowStride, out + 16, <usize>NR << 2);
      }
      for (; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(dst + (<usize>(p * NR + jj) << 2), load<f32>(base + <usize>jj * rowStride + (<usize>p << 2)));
        }
      }
      dst += (<usize>kc * <usize>NR) << 2;
    } else {
      // Edge panel of a transposed B: scalar, zero-padded past column n.
      for (let jj = 0; jj < NR; jj++) {
        let out = dst + (<usize>jj << 2);
        let src = b + ((<usize>(j + jj) * <usize>ldb + <usize>p0) << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(out, jj < width ? load<f32>(src) : 0);
          src += 4;
          out += <usize>NR << 2;
        }
      }
      dst += (<usize>kc * <usize>NR) << 2;
    }
  }
}

/**
 * Reads a 4×4 block (4 rows `srcStride` bytes apart) and writes its transpose as 4 rows
 * `dstStride` bytes apart: the SIMD core of packing a transposed operand.
 */
@inline function transpose4x4(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  storeTransposed4(dst, dstStride, v128.load(src), v128.load(src + srcStride), v128.load(src + 2 * srcStride), v128.load(src + 3 * srcStride));
}

/** Writes the 4×4 transpose of four registers as 4 rows `strideBytes` apart: row p holds lane p of each. */
@inline export function storeTransposed4(dst: usize, strideBytes: usize, a0: v128, a1: v128, a2: v128, a3: v128): void {
  const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + strideBytes, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * strideBytes, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * strideBytes, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** Packs op(A)[i0..i0+mc, p0..p0+kc] into MR-tall panels, zero-padding past row m. */
function packA(mc: i32, kc: i32, m: i32, a: usize, lda: i32, transA: bool, i0: i32, p0: i32): void {
  let dst = packedA;
  for (let ip = 0; ip < mc; ip += MR) {
    const i = i0 + ip;
    const height = min(MR, m - i);
    if (transA) {
      // op(A)[i][p] = A[p][i]: the MR values of one depth step are contiguous in A.
      let src = a + ((<usize>p0 * <usize>lda + <usize>i) << 2);
      const srcStride = <usize>lda << 2;
      if (height == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          src += srcStride;
          dst += <usize>MR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let ii = 0; ii < MR; ii++) {
            store<f32>(dst + (<usize>ii << 2), ii < height ? load<f32>(src + (<usize>ii << 2)) : 0);
          }
          src += srcStride;
          dst += <usize>MR << 2;
        }
      }
    } else if (height == MR) {
      // Rows of A are contiguous in p: transpose 4×4 blocks in registers (MR is 4).
      const rowStride = <usize>lda << 2;
      const base = a + ((<usize>i * <usize>lda + <usize>p0) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        transpose4x4(base + (<usize>p << 2), rowStride, dst + (<usize>(p * MR) << 2), <usize>MR << 2);
      }
      for (; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) {
          store<f32>(dst + (<usize>(p * MR + ii) << 2), load<f32>(base + <usize>ii * rowStride + (<usize>p << 2)));
        }
      }
      dst += (<usize>kc * <usize>MR) << 2;
    } else {
      for (let ii = 0; ii < MR; ii++) {
        let out = dst + (<usize>ii << 2);
        let src = a + ((<usize>(i + ii) * <usize>lda + <usize>p0) << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(out, ii < height ? load<f32>(src) : 0);
          src += 4;
          out += <usize>MR << 2;
        }
      }
      dst += (<usize>kc * <usize>MR) << 2;
    }
  }
}

/**
 * The 4×8 micro-kernel: C[0..4, 0..8] += alpha · Apanel · Bpanel over kc depth steps.
 * Eight f32x4 accumulators + two B vectors + one A splat + one product = 12 live v128
 * values, within what V8 keeps in registers; 5×8 or 3×12 tiles hold more live values, which
 * V8 spills inside the loop, and they run far slower (`npm run kernels:bench` measures the tile). Mul then add (no fused
 * multiply-add) keeps results deterministic. When `full` is false the tile goes to
 * edgeTile and the caller copies what fits.
 */
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, alpha: f32, full: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  if (full) {
    addTile(c, ldcBytes, va, c00, c01, c10, c11, c20, c21, c30, c31);
  } else {
    const t = edgeTile;
    v128.store(t, f32x4.mul(va, c00), 0);
    v128.store(t, f32x4.mul(va, c01), 16);
    v128.store(t, f32x4.mul(va, c10), 32);
    v128.store(t, f32x4.mul(va, c11), 48);
    v128.store(t, f32x4.mul(va, c20), 64);
    v128.store(t, f32x4.mul(va, c21), 80);
    v128.store(t, f32x4.mul(va, c30), 96);
    v128.store(t, f32x4.mul(va, c31), 112);
  }
}

/** C[0..4, 0..8] += alpha · the eight accumulators (the one way a whole tile is stored). */
@inline function addTile(
  c: usize, ldcBytes: usize, va: v128, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  let row = c;
  v128.store(row, f32x4.add(v128.load(row), f32x4.mul(va, c00)));
  v128.store(row, f32x4.add(v128.load(row, 16), f32x4.mul(va, c01)), 16);
  row += ldcBytes;
  v128.store(row, f32x4.add(v128.load(row), f32x4.mul(va, c10)));
  v128.store(row, f32x4.add(v128.load(row, 16), f32x4.mul(va, c11)), 16);
  row += ldcBytes;
  v128.store(row, f32x4.add(v128.load(row), f32x4.mul(va, c20)));
  v128.store(row, f32x4.add(v128.load(row, 16), f32x4.mul(va, c21)), 16);
  row += ldcBytes;
  v128.store(row, f32x4.add(v128.load(row), f32x4.mul(va, c30)));
  v128.store(row, f32x4.add(v128.load(row, 16), f32x4.mul(va, c31)), 16);
}

/** Adds the valid rows × cols of edgeTile into C (same arithmetic as the full-tile path). */
function addEdgeTile(rows: i32, cols: i32, c: usize, ldcBytes: usize): void {
  for (let r = 0; r < rows; r++) {
    const dst = c + <usize>r * ldcBytes;
    const src = edgeTile + (<usize>(r * NR) << 2);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}

/**
 * The 4×8 micro-kernel reading A and B in place (no packing): for operands that fit in cache,
 * packing costs as much as the product (a convolution's columns: K ≤ 256, N a few panels).
 * The same multiplies and adds in the same order as microKernel on packed panels, so the
 * result is bit for bit the packed path's.
 */
function directKernel(kc: i32, a: usize, ldaBytes: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize, alpha: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a0 = a;
  let pb = b;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a0 + ldaBytes);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a0 + 2 * ldaBytes);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a0 + 3 * ldaBytes);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a0 += 4;
    pb += ldbBytes;
  }
  addTile(c, ldcBytes, f32x4.splat(alpha), c00, c01, c10, c11, c20, c21, c30, c31);
}

/**
 * C (m×n) = alpha · op(A) · op(B) + beta · C, all row-major f32.
 * op(A) is m×k: A is m×k (lda ≥ k), or k×m when transA (lda ≥ m).
 * op(B) is k×n: B is k×n (ldb ≥ n), or n×k when transB (ldb ≥ k).
 */
export function sgemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0.0) return;
  const ldcBytes = <usize>ldc << 2;
  // Whole tiles, one depth block, no transposes: read in place, tile by tile, as the packed
  // path would visit them (the same sums, the same bits).
  if (!transA && !transB && k <= KC_MAX && m % MR == 0 && n % NR == 0) {
    const ldaBytes = <usize>lda << 2, ldbBytes = <usize>ldb << 2;
    for (let jr = 0; jr < n; jr += NR) {
      for (let ir = 0; ir < m; ir += MR) {
        directKernel(k, a + <usize>ir * ldaBytes, ldaBytes, b + (<usize>jr << 2), ldbBytes, c + <usize>ir * ldcBytes + (<usize>jr << 2), ldcBytes, alpha);
      }
    }
    return;
  }
  const kcSize = blockSize(k, KC_MAX, 1);
  const ncSize = blockSize(n, NC_MAX, NR);
  const mcSize = min(MC_MAX, ((m + MR - 1) / MR) * MR);
  ensureBuffers(<usize>(mcSize * kcSize) << 2, <usize>(kcSize * ncSize) << 2);
  for (let j0 = 0; j0 < n; j0 += ncSize) {
    const nc = min(ncSize, n - j0);
    const ncPadded = ((nc + NR - 1) / NR) * NR;
    for (let p0 = 0; p0 < k; p0 += kcSize) {
      const kc = min(kcSize, k - p0);
      packB(kc, ncPadded, n, b, ldb, transB, p0, j0);
      for (let i0 = 0; i0 < m; i0 += MC_MAX) {
        const mc = min(MC_MAX, m - i0);
        packA(mc, kc, m, a, lda, transA, i0, p0);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pb = packedB + ((<usize>jr * <usize>kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const pa = packedA + ((<usize>ir * <usize>kc) << 2);
            const cTile = c + ((<usize>(i0 + ir) * <usize>ldc + <usize>(j0 + jr)) << 2);
            const full = rows == MR && cols == NR;
            microKernel(kc, pa, pb, cTile, ldcBytes, alpha, full);
            if (!full) addEdgeTile(rows, cols, cTile, ldcBytes);
          }
        }
      }
    }
  }
}

