// Batch assembly (gathering shuffled rows) and the seeded synthetic datasets. Generating
// data inside the module keeps the samples identical on every machine.

import { rngNormal, rngUniform, rngBelow } from "./rng";

/** dst[r, :] = src[idx[start + r], :] for r < count; rows of `cols` f32. */
export function gatherRowsF32(src: usize, cols: i32, idx: usize, start: i32, count: i32, dst: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(idx + (<usize>(start + r) << 2));
    memory.copy(dst + <usize>r * rowBytes, src + row * rowBytes, rowBytes);
  }
}

/** dst[r, :] = f32(src[idx[start + r], :]) · scale, for rows of `cols` u8 (e.g. pixels / 255). */
export function gatherRowsU8(
  src: usize, cols: i32, idx: usize, start: i32, count: i32, scale: f32, dst: usize,
): void {
  const vscale = f32x4.splat(scale);
  for (let r = 0; r < count; r++) {
    const row = src + <usize>load<i32>(idx + (<usize>(start + r) << 2)) * <usize>cols;
    const out = dst + ((<usize>r * <usize>cols) << 2);
    let j = 0;
    for (; j + 16 <= cols; j += 16) {
      const bytes = v128.load(row + <usize>j);
      const lo = i16x8.extend_low_i8x16_u(bytes);
      const hi = i16x8.extend_high_i8x16_u(bytes);
      const o = out + (<usize>j << 2);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), vscale), 0);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), vscale), 16);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), vscale), 32);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), vscale), 48);
    }
    for (; j < cols; j++) {
      store<f32>(out + (<usize>j << 2), <f32>load<u8>(row + <usize>j) * scale);
    }
  }
}

/** dst[r] = labels[idx[start + r]]. */
export function gatherLabels(labels: usize, idx: usize, start: i32, count: i32, dst: usize): void {
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(idx + (<usize>(start + r) << 2));
    store<i32>(dst + (<usize>r << 2), load<i32>(labels + (row << 2)));
  }
}

/**
 * Interleaved spirals: `classes` arms of n/classes points each in 2-D, radius 0..1,
 * sweeping 1.75π each, plus Gaussian noise of std `noise`. Labels are arm indices.
 */
export function genSpirals(x: usize, y: usize, n: i32, classes: i32, noise: f64, state: usize): void {
  for (let i = 0; i < n; i++) {
    const c = <i32>rngBelow(state, <u32>classes);
    const t = rngUniform(state);
    const angle = 2.0 * Math.PI * <f64>c / <f64>classes + t * 1.75 * Math.PI;
    const r = 0.05 + 0.95 * t;
    const px = r * Math.cos(angle) + noise * rngNormal(state);
    const py = r * Math.sin(angle) + noise * rngNormal(state);
    storePoint(x, y, i, px, py, c);
  }
}

/** Two interleaving half-circles (as scikit-learn's make_moons), with Gaussian noise. */
export function genMoons(x: usize, y: usize, n: i32, noise: f64, state: usize): void {
  for (let i = 0; i < n; i++) {
    const c = <i32>rngBelow(state, 2);
    const theta = Math.PI * rngUniform(state);
    let px: f64, py: f64;
    if (c == 0) {
      px = Math.cos(theta);
      py = Math.sin(theta);
    } else {
      px = 1.0 - Math.cos(theta);
      py = 0.5 - Math.sin(theta);
    }
    storePoint(x, y, i, px + noise * rngNormal(state), py + noise * rngNormal(state), c);
  }
}

/** XOR: points uniform in [−1, 1]², class 1 where the signs of the coordinates differ. */
export function genXor(x: usize, y: usize, n: i32, noise: f64, state: usize): void {
  for (let i = 0; i < n; i++) {
    const px = 2.0 * rngUniform(state) - 1.0;
    const py = 2.0 * rngUniform(state) - 1.0;
    const c = (px > 0) != (py > 0) ? 1 : 0;
    storePoint(x, y, i, px + noise * rngNormal(state), py + noise * rngNormal(state), c);
  }
}

@inline function storePoint(x: usize, y: usize, i: i32, px: f64, py: f64, c: i32): void {
  store<f32>(x + (<usize>i << 3), <f32>px);
  store<f32>(x + (<usize>i << 3) + 4, <f32>py);
  store<i32>(y + (<usize>i << 2), c);
}
