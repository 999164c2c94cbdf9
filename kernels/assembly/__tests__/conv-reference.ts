// References the convolution specs share: the host's output size and padding (TensorFlow's
// convention), and the direct convolution summed in f64.
import { getF32 } from "./helpers";

/** Output size along one axis. */
export function outSize(size: i32, k: i32, stride: i32, same: bool): i32 {
  return same ? (size + stride - 1) / stride : (size - k) / stride + 1;
}

/** Padding before along one axis ("same" puts an odd extra one after). */
export function padBefore(size: i32, k: i32, stride: i32, same: bool): i32 {
  if (!same) return 0;
  const out = outSize(size, k, stride, same);
  const total = max((out - 1) * stride + k - size, 0);
  return total / 2;
}

/** Output (b, oy, ox, fo) of the direct convolution, summed in f64. */
export function refConv(
  x: usize, h: i32, w: i32, c: i32, wt: usize, kh: i32, kw: i32, f: i32, stride: i32, pt: i32, pl: i32, b: i32, oy: i32, ox: i32, fo: i32,
): f64 {
  let acc: f64 = 0;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const iy = oy * stride - pt + ky, ix = ox * stride - pl + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      for (let ch = 0; ch < c; ch++) {
        acc += <f64>getF32(x, ((b * h + iy) * w + ix) * c + ch) * <f64>getF32(wt, ((ky * kw + kx) * c + ch) * f + fo);
      }
    }
  }
  return acc;
}
