// Losses with their gradients, and accuracy. Per-row sums run in a fixed order and are
// accumulated in f64, so the reported loss is the same on every machine.

/**
 * Softmax cross-entropy over rows×cols logits with integer labels. Writes
 * dLogits = (softmax − onehot) · gradScale and returns Σ_rows −log softmax[label].
 * Stable: exponents are taken of (z − max z).
 */
export function softmaxCrossEntropy(
  logits: usize, labels: usize, rows: i32, cols: i32, dLogits: usize, gradScale: f32,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const z = logits + ((<usize>r * <usize>cols) << 2);
    const d = dLogits + ((<usize>r * <usize>cols) << 2);
    let maxZ = load<f32>(z);
    for (let j = 1; j < cols; j++) maxZ = max(maxZ, load<f32>(z + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Mathf.exp(load<f32>(z + (<usize>j << 2)) - maxZ);
      store<f32>(d + (<usize>j << 2), e);
      sum += <f64>e;
    }
    const label = load<i32>(labels + (<usize>r << 2));
    total += Math.log(sum) - <f64>(load<f32>(z + (<usize>label << 2)) - maxZ);
    const inv = <f32>(1.0 / sum);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const p = load<f32>(d + o) * inv;
      store<f32>(d + o, (j == label ? p - 1 : p) * gradScale);
    }
  }
  return total;
}

/**
 * Mean squared error against one-hot targets of integer labels (the classic MSE classifier
 * loss). Writes dOut = 2 (out − target) · gradScale and returns Σ_rows Σ_cols (out − target)².
 */
export function mseOneHot(
  out: usize, labels: usize, rows: i32, cols: i32, dOut: usize, gradScale: f32,
): f64 {
  let total: f64 = 0;
  const two: f32 = <f32>2 * gradScale;
  for (let r = 0; r < rows; r++) {
    const o = out + ((<usize>r * <usize>cols) << 2);
    const d = dOut + ((<usize>r * <usize>cols) << 2);
    const label = load<i32>(labels + (<usize>r << 2));
    let rowSum: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const diff = load<f32>(o + (<usize>j << 2)) - (j == label ? <f32>1 : <f32>0);
      rowSum += diff * diff;
      store<f32>(d + (<usize>j << 2), diff * two);
    }
    total += <f64>rowSum;
  }
  return total;
}

/**
 * Mean squared error against real-valued targets (regression), rows×cols each. Writes
 * dOut = 2 (out − target) · gradScale and returns Σ_rows Σ_cols (out − target)².
 */
export function mseTargets(
  out: usize, targets: usize, rows: i32, cols: i32, dOut: usize, gradScale: f32,
): f64 {
  let total: f64 = 0;
  const two: f32 = <f32>2 * gradScale;
  for (let r = 0; r < rows; r++) {
    const base = (<usize>r * <usize>cols) << 2;
    let rowSum: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const o = base + (<usize>j << 2);
      const diff = load<f32>(out + o) - load<f32>(targets + o);
      rowSum += diff * diff;
      store<f32>(dOut + o, diff * two);
    }
    total += <f64>rowSum;
  }
  return total;
}

/** Number of rows whose first maximal logit is at the label's column. */
export function argmaxCorrect(logits: usize, labels: usize, rows: i32, cols: i32): i32 {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const z = logits + ((<usize>r * <usize>cols) << 2);
    let best = 0;
    let bestV = load<f32>(z);
    for (let j = 1; j < cols; j++) {
      const v = load<f32>(z + (<usize>j << 2));
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    if (best == load<i32>(labels + (<usize>r << 2))) correct++;
  }
  return correct;
}
