// Row-wise softmax and log-softmax over the last dimension, with their backward passes. The
// row maximum is subtracted first (no overflow); exponentials are the polynomial of
// transcendental.ts; sums run in rowSum's fixed order.
import { expV, logV, loadTail, storeTail } from "./transcendental";
import { rowSum } from "./reduce";

@inline function rowMax(p: usize, n: i32): f32 {
  let m = load<f32>(p);
  for (let i = 1; i < n; i++) m = max(m, load<f32>(p + (<usize>i << 2)));
  return m;
}

/** y[r] = exp(x[r] − max x[r]); returns the row's sum. */
@inline function shiftedExp(x: usize, y: usize, n: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, expV(f32x4.sub(v128.load(x + o), vm)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, expV(f32x4.sub(loadTail(x + o, n - i), vm)), n - i);
  }
  return rowSum(y, n);
}

/** Softmax (log = false) or log-softmax (log = true) of each of `rows` rows of `cols`. */
export function softmaxRows(x: usize, y: usize, rows: i32, cols: i32, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const xr = x + off, yr = y + off;
    const m = rowMax(xr, cols);
    const s = shiftedExp(xr, yr, cols, m);
    if (log) {
      const shift = m + f32x4.extract_lane(logV(f32x4.splat(s)), 0);
      for (let i = 0; i < cols; i++) store<f32>(yr + (<usize>i << 2), load<f32>(xr + (<usize>i << 2)) - shift);
    } else {
      const inv = f32x4.splat(1 / s);
      let i = 0;
      for (; i + 4 <= cols; i += 4) v128.store(yr + (<usize>i << 2), f32x4.mul(v128.load(yr + (<usize>i << 2)), inv));
      for (; i < cols; i++) store<f32>(yr + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) * (1 / s));
    }
  }
}

/**
 * Backward of softmaxRows from its output y. softmax: dx = y · (dy − Σ dy·y);
 * log-softmax: dx = dy − e^y · Σ dy. dx may be dy's buffer. `scratch` holds cols floats.
 */
export function softmaxRowsBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32, log: bool, scratch: usize): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const yr = y + off, dyr = dy + off, dxr = dx + off;
    if (log) {
      const s = f32x4.splat(rowSum(dyr, cols));
      let i = 0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(dxr + o, f32x4.sub(v128.load(dyr + o), f32x4.mul(expV(v128.load(yr + o)), s)));
      }
      if (i < cols) {
        const o = <usize>i << 2, c = cols - i;
        storeTail(dxr + o, f32x4.sub(loadTail(dyr + o, c), f32x4.mul(expV(loadTail(yr + o, c)), s)), c);
      }
    } else {
      let i = 0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(scratch + o, f32x4.mul(v128.load(dyr + o), v128.load(yr + o)));
      }
      for (; i < cols; i++) {
        const o = <usize>i << 2;
        store<f32>(scratch + o, load<f32>(dyr + o) * load<f32>(yr + o));
      }
      const s = rowSum(scratch, cols);
      const vs = f32x4.splat(s);
      i = 0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(dxr + o, f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(dyr + o), vs)));
      }
      for (; i < cols; i++) {
        const o = <usize>i << 2;
        store<f32>(dxr + o, load<f32>(yr + o) * (load<f32>(dyr + o) - s));
      }
    }
  }
}

/**
 * Mean negative log-likelihood of integer labels under row-wise log-probabilities: writes
 * −(1/rows) Σ_r logp[r, label_r] (summed in f64, in row order) to out. Returns the first row
 * whose label is outside [0, cols), or −1.
 */
export function nllLoss(logp: usize, labels: usize, rows: i32, cols: i32, out: usize): i32 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    if (label < 0 || label >= cols) return r;
    total += <f64>load<f32>(logp + ((<usize>r * <usize>cols + <usize>label) << 2));
  }
  store<f32>(out, <f32>(-total / <f64>rows));
  return -1;
}

/** dlogp (zeroed) gets −g/rows at each row's label. */
export function nllLossBackward(labels: usize, rows: i32, cols: i32, g: usize, dlogp: usize): void {
  // The upstream gradient is read where it lies, not passed by value: a captured step (nn.graph)
  // replays this call with whatever the tensor at g then holds.
  const v = -load<f32>(g) / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    store<f32>(dlogp + ((<usize>r * <usize>cols + <usize>label) << 2), v);
  }
}
