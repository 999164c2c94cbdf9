// Bias add (forward) and bias gradient (column sums of dZ, backward). Rows are summed in
// ascending order, so the gradient does not depend on how the caller splits work.

/** Z[r, :] += bias for every row r of the rows×cols matrix Z. */
export function biasAdd(z: usize, bias: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = z + ((<usize>r * <usize>cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

/** dBias[j] = Σ_r dZ[r, j], overwriting dBias. */
export function biasGrad(dz: usize, dbias: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let acc = f32x4.splat(0);
    let p = dz + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += stride;
    }
    v128.store(dbias + (<usize>j << 2), acc);
  }
  for (; j < cols; j++) {
    let acc: f32 = 0;
    let p = dz + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += stride;
    }
    store<f32>(dbias + (<usize>j << 2), acc);
  }
}
