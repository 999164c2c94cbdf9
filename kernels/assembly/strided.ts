// One strided copy for every view ctx.nn makes explicit: transpose, narrow, broadcast-expand
// and concatenation. Both sides are described by strides (elements), so it gathers and scatters.

/**
 * Copies `rank`-dimensional data from src to dst. meta holds i32 × 4·rank: the shape, src's
 * strides, dst's strides, then room for the counter.
 */
export function stridedCopy(src: usize, dst: usize, meta: usize, rank: i32): void {
  const r4 = <usize>rank << 2;
  const shape = meta, stridesS = meta + r4, stridesD = meta + 2 * r4, counter = meta + 3 * r4;
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const ss = load<i32>(stridesS + last), sd = load<i32>(stridesD + last);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) {
    rows *= load<i32>(shape + (<usize>d << 2));
    store<i32>(counter + (<usize>d << 2), 0);
  }
  let offS = 0, offD = 0;
  for (let row = 0; row < rows; row++) {
    const s = src + (<usize>offS << 2), d = dst + (<usize>offD << 2);
    if (ss == 1 && sd == 1) {
      memory.copy(d, s, <usize>n << 2);
    } else {
      for (let i = 0; i < n; i++) store<f32>(d + (<usize>(i * sd) << 2), load<f32>(s + (<usize>(i * ss) << 2)));
    }
    for (let k = rank - 2; k >= 0; k--) {
      const kp = <usize>k << 2;
      const c = load<i32>(counter + kp) + 1;
      if (c < load<i32>(shape + kp)) {
        store<i32>(counter + kp, c);
        offS += load<i32>(stridesS + kp);
        offD += load<i32>(stridesD + kp);
        break;
      }
      store<i32>(counter + kp, 0);
      offS -= (c - 1) * load<i32>(stridesS + kp);
      offD -= (c - 1) * load<i32>(stridesD + kp);
    }
  }
}
