// Max and average pooling over NHWC windows (no padding: out = ⌊(in − size) / stride⌋ + 1).
// Max pooling records, per output, the flat input index of its first maximum, so the backward
// pass routes each gradient to exactly one input, the same one on every machine.

export function maxPoolForward(
  x: usize, n: i32, h: i32, w: i32, c: i32, size: i32, stride: i32, outH: i32, outW: i32, y: usize, argmax: usize,
): void {
  let o: usize = 0;
  const lanes = i32x4(0, 1, 2, 3);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let ch = 0;
        // Four channels at once: the window's first tap, then each later tap replaces the lanes
        // where it is strictly greater (the same first maximum as one channel at a time).
        for (; ch + 4 <= c; ch += 4) {
          const first = ((b * h + oy * stride) * w + ox * stride) * c + ch;
          let best = v128.load(x + (<usize>first << 2));
          let bestAt = i32x4.add(i32x4.splat(first), lanes);
          for (let ky = 0; ky < size; ky++) {
            const row = (b * h + oy * stride + ky) * w;
            for (let kx = ky == 0 ? 1 : 0; kx < size; kx++) {
              const at = (row + ox * stride + kx) * c + ch;
              const v = v128.load(x + (<usize>at << 2));
              const greater = f32x4.gt(v, best);
              best = v128.bitselect(v, best, greater);
              bestAt = v128.bitselect(i32x4.add(i32x4.splat(at), lanes), bestAt, greater);
            }
          }
          v128.store(y + (o << 2), best);
          v128.store(argmax + (o << 2), bestAt);
          o += 4;
        }
        for (; ch < c; ch++) {
          let best: f32 = -Infinity;
          let bestAt: i32 = -1;
          for (let ky = 0; ky < size; ky++) {
            const row = (b * h + oy * stride + ky) * w;
            for (let kx = 0; kx < size; kx++) {
              const at = (row + ox * stride + kx) * c + ch;
              const v = load<f32>(x + (<usize>at << 2));
              // Strictly greater: the first maximum wins; a NaN is taken only when nothing else was.
              if (v > best || bestAt < 0) {
                best = v;
                bestAt = at;
              }
            }
          }
          store<f32>(y + (o << 2), best);
          store<i32>(argmax + (o << 2), bestAt);
          o++;
        }
      }
    }
  }
}

/** dx = 0, then dx[argmax[o]] += dy[o] for every output o, in order. */
export function maxPoolBackward(dy: usize, argmax: usize, outCount: i32, dx: usize, inCount: i32): void {
  memory.fill(dx, 0, <usize>inCount << 2);
  for (let o = 0; o < outCount; o++) {
    const at = <usize>load<i32>(argmax + (<usize>o << 2)) << 2;
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + (<usize>o << 2)));
  }
}

/** y = mean of each window, channels four lanes at a time. */
export function avgPoolForward(x: usize, n: i32, h: i32, w: i32, c: i32, size: i32, stride: i32, outH: i32, outW: i32, y: usize): void {
  const scale = f32x4.splat(<f32>1 / <f32>(size * size));
  const scaleS: f32 = <f32>1 / <f32>(size * size);
  let out = y;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          let acc = f32x4.splat(0);
          for (let ky = 0; ky < size; ky++) {
            const row = (b * h + oy * stride + ky) * w;
            for (let kx = 0; kx < size; kx++) acc = f32x4.add(acc, v128.load(x + ((<usize>((row + ox * stride + kx) * c + ch)) << 2)));
          }
          v128.store(out + (<usize>ch << 2), f32x4.mul(acc, scale));
        }
        for (; ch < c; ch++) {
          let acc: f32 = 0;
          for (let ky = 0; ky < size; ky++) {
            const row = (b * h + oy * stride + ky) * w;
            for (let kx = 0; kx < size; kx++) acc += load<f32>(x + ((<usize>((row + ox * stride + kx) * c + ch)) << 2));
          }
          store<f32>(out + (<usize>ch << 2), acc * scaleS);
        }
        out += <usize>c << 2;
      }
    }
  }
}

/** dx = 0, then each window's inputs get its output gradient / size², windows in order. */
export function avgPoolBackward(dy: usize, n: i32, h: i32, w: i32, c: i32, size: i32, stride: i32, outH: i32, outW: i32, dx: usize): void {
  memory.fill(dx, 0, (<usize>n * <usize>h * <usize>w * <usize>c) << 2);
  const scale: f32 = <f32>1 / <f32>(size * size);
  let g = dy;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ky = 0; ky < size; ky++) {
          const row = (b * h + oy * stride + ky) * w;
          for (let kx = 0; kx < size; kx++) {
            const at = dx + ((<usize>((row + ox * stride + kx) * c)) << 2);
            for (let ch = 0; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<f32>(at + o, load<f32>(at + o) + load<f32>(g + o) * scale);
            }
          }
        }
        g += <usize>c << 2;
      }
    }
  }
}
