// Sums along one axis and the vector updates gradients need. Each sum's order depends only on
// the shape: a row sums in four fixed lanes (lane j takes elements ≡ j mod 4), combined as
// (l0 + l1) + (l2 + l3), then the tail in order; a middle axis adds its rows in order.

/** The sum of n contiguous floats in the fixed order above. */
@inline export function rowSum(p: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

/** dst[o, i] = Σ_k src[o, k, i] for src viewed as outer × n × inner (contiguous). */
export function sumAxis(src: usize, dst: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) store<f32>(dst + (<usize>o << 2), rowSum(src + (<usize>(o * n) << 2), n));
    return;
  }
  const innerBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const d = dst + <usize>o * innerBytes;
    const s0 = src + <usize>o * <usize>n * innerBytes;
    if (n == 0) {
      memory.fill(d, 0, innerBytes);
      continue;
    }
    memory.copy(d, s0, innerBytes);
    for (let k = 1; k < n; k++) axpy(d, s0 + <usize>k * innerBytes, inner, 1);
  }
}

/** y += a · x over n floats. */
export function axpy(y: usize, x: usize, n: i32, a: f32): void {
  const va = f32x4.splat(a);
  let i = 0;
  if (a == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + (a == 1 ? load<f32>(x + o) : a * load<f32>(x + o)));
  }
}

/** Σ x² over n floats, in f64 and in index order (for gradient-norm clipping). */
export function sumSquares(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** The largest value of each row of src (outer × n × inner) along the middle axis, and its first index. */
export function maxAxis(src: usize, dst: usize, argmax: usize, outer: i32, n: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = src + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      let best = load<f32>(base);
      let at = 0;
      for (let k = 1; k < n; k++) {
        const v = load<f32>(base + ((<usize>k * <usize>inner) << 2));
        // NaN wins (as torch.max): once best is NaN nothing replaces it.
        if (v > best || (v != v && best == best)) {
          best = v;
          at = k;
        }
      }
      const out = (<usize>o * <usize>inner + <usize>i) << 2;
      store<f32>(dst + out, best);
      store<i32>(argmax + out, at);
    }
  }
}

/** dx (zeroed, outer × n × inner) receives dy at each row's argmax. */
export function maxAxisBackward(dy: usize, argmax: usize, dx: usize, outer: i32, n: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (<usize>o * <usize>inner + <usize>i) << 2;
      const k = load<i32>(argmax + at);
      const target = dx + ((<usize>o * <usize>n * <usize>inner + <usize>k * <usize>inner + <usize>i) << 2);
      store<f32>(target, load<f32>(dy + at));
    }
  }
}
