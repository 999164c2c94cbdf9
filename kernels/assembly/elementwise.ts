// Binary operations with broadcasting (add, sub, mul, div). The host describes the output's
// shape and each operand's strides (0 along a broadcast dimension) in a small i32 block; the
// last dimension runs on four lanes, the others through a counter.

export const BINARY_ADD: i32 = 0;
export const BINARY_SUB: i32 = 1;
export const BINARY_MUL: i32 = 2;
export const BINARY_DIV: i32 = 3;

@inline function applyV(op: i32, a: v128, b: v128): v128 {
  if (op == BINARY_ADD) return f32x4.add(a, b);
  if (op == BINARY_SUB) return f32x4.sub(a, b);
  if (op == BINARY_MUL) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

@inline function apply(op: i32, a: f32, b: f32): f32 {
  if (op == BINARY_ADD) return a + b;
  if (op == BINARY_SUB) return a - b;
  if (op == BINARY_MUL) return a * b;
  return a / b;
}

/** out[0..n) = a ∘ b where a, b step by sa, sb ∈ {0, 1} elements (0: one value repeated). */
function innerRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (sa == 1) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, v128.load(a + o), vb));
    }
  } else if (sb == 1) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, va, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), apply(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
  }
}

/**
 * out = a ∘ b, out contiguous with `rank` dimensions. meta holds i32 × 4·rank: the shape, a's
 * strides, b's strides (elements; 0 where broadcast), then room for the counter.
 */
export function binaryBroadcast(op: i32, a: usize, b: usize, out: usize, meta: usize, rank: i32): void {
  const r4 = <usize>rank << 2;
  const shape = meta, stridesA = meta + r4, stridesB = meta + 2 * r4, counter = meta + 3 * r4;
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const sa = load<i32>(stridesA + last), sb = load<i32>(stridesB + last);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) {
    rows *= load<i32>(shape + (<usize>d << 2));
    store<i32>(counter + (<usize>d << 2), 0);
  }
  let offA = 0, offB = 0;
  for (let row = 0; row < rows; row++) {
    innerRow(op, a + (<usize>offA << 2), sa, b + (<usize>offB << 2), sb, out + (<usize>(row * n) << 2), n);
    // Odometer over the outer dimensions, last fastest.
    for (let d = rank - 2; d >= 0; d--) {
      const dp = <usize>d << 2;
      const c = load<i32>(counter + dp) + 1;
      if (c < load<i32>(shape + dp)) {
        store<i32>(counter + dp, c);
        offA += load<i32>(stridesA + dp);
        offB += load<i32>(stridesB + dp);
        break;
      }
      store<i32>(counter + dp, 0);
      offA -= (c - 1) * load<i32>(stridesA + dp);
      offB -= (c - 1) * load<i32>(stridesB + dp);
    }
  }
}
