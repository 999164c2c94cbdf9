// Parameter updates (SGD, momentum, Adam with decoupled weight decay) and learning-rate
// schedules. Schedules are computed here rather than in the host so that cos() and pow()
// come from the module and give the same bits on every machine.

/** w −= lr · (g + wd · w). */
export function sgdUpdate(w: usize, g: usize, n: i32, lr: f32, weightDecay: f32): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const step = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, step)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    store<f32>(w + o, wv - lr * (load<f32>(g + o) + weightDecay * wv));
  }
}

/** Heavy-ball momentum (PyTorch form): v = μ·v + (g + wd·w); w −= lr · v. */
export function momentumUpdate(
  w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, weightDecay: f32,
): void {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(mu);
  const vwd = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const grad = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    const vel = f32x4.add(f32x4.mul(vmu, v128.load(v + o)), grad);
    v128.store(v + o, vel);
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, vel)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const vel = mu * load<f32>(v + o) + (load<f32>(g + o) + weightDecay * wv);
    store<f32>(v + o, vel);
    store<f32>(w + o, wv - lr * vel);
  }
}

/** Adam's bias correction 1 / (1 − βᵗ) for step t (1-based), pow in f64 from the module, as f32. */
export function adamCorrection(beta: f32, t: i32): f32 {
  return <f32>(1.0 / (1.0 - Math.pow(<f64>beta, <f64>t)));
}

/**
 * Adam with decoupled weight decay (AdamW): w ·= (1 − lr·wd); m, v moving moments;
 * w −= lr · m̂ / (√v̂ + eps), with bias corrections for step t (1-based).
 */
export function adamUpdate(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, t: i32,
): void {
  adamUpdateCorrected(w, g, m, v, n, lr, beta1, beta2, eps, weightDecay, adamCorrection(beta1, t), adamCorrection(beta2, t));
}

/**
 * adamUpdate with its bias corrections c1 = adamCorrection(β1, t) and c2 = adamCorrection(β2, t)
 * given: an optimiser over many parameter tensors computes them once a step (two pows cost
 * more than the update of a small tensor).
 */
export function adamUpdateCorrected(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, c1: f32, c2: f32,
): void {
  const decay = f32x4.splat(1 - lr * weightDecay);
  const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(1 - beta1);
  const vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(1 - beta2);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps), vlr = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vb2c, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, vc2)), veps);
    const step = f32x4.div(f32x4.mul(mv, vc1), denom);
    v128.store(w + o, f32x4.sub(f32x4.mul(v128.load(w + o), decay), f32x4.mul(vlr, step)));
  }
  const d: f32 = <f32>1 - lr * weightDecay;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const mv = beta1 * load<f32>(m + o) + (1 - beta1) * gv;
    const vv = beta2 * load<f32>(v + o) + (1 - beta2) * (gv * gv);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    const step = (mv * c1) / (Mathf.sqrt(vv * c2) + eps);
    store<f32>(w + o, load<f32>(w + o) * d - lr * step);
  }
}

export const SCHEDULE_CONSTANT: i32 = 0;
export const SCHEDULE_STEP: i32 = 1;
export const SCHEDULE_COSINE: i32 = 2;

/**
 * Learning rate for a step. constant: base. step: base · gamma^⌊epoch / every⌋.
 * cosine: base · ½ (1 + cos(π · step / totalSteps)), annealed per step to 0.
 */
export function scheduleLr(
  kind: i32, base: f64, epoch: i32, step: i32, totalSteps: i32, every: i32, gamma: f64,
): f64 {
  if (kind == SCHEDULE_STEP) return base * Math.pow(gamma, <f64>(epoch / max(every, 1)));
  if (kind == SCHEDULE_COSINE) {
    return base * 0.5 * (1.0 + Math.cos(Math.PI * <f64>step / <f64>max(totalSteps, 1)));
  }
  return base;
}
