// The experiment's own SIMD kernels (AssemblyScript, compiled by discalc with its release
// flags): random Fourier features and a full-batch logistic-regression step on them.
// Everything transcendental (cos, log, exp) is AssemblyScript's own code compiled into this
// module, so a seed gives the same bits on every machine.

/** Bytes for the host to fill; the stub runtime never frees, and one trial owns the instance. */
export function alloc(bytes: i32): usize {
  return heap.alloc(<usize>bytes);
}

// xorshift32 state for the feature draws.
let state: u32 = 1;

export function seedRandom(seed: u32): void {
  state = seed * 2654435761 + 0x9e3779b9;
  if (state == 0) state = 1;
}

function nextUnit(): f64 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return (<f64>state + 1.0) / 4294967297.0;
}

/** omega[d×D] ~ N(0, gamma) (Box–Muller), phase[D] ~ U(0, 2π). */
export function drawFeatures(omega: usize, phase: usize, d: i32, D: i32, gamma: f64): void {
  const scale = Math.sqrt(2.0 * gamma);
  for (let i = 0; i < d * D; i++) {
    const z = Math.sqrt(-2.0 * Math.log(nextUnit())) * Math.cos(2.0 * Math.PI * nextUnit());
    store<f32>(omega + (<usize>i << 2), <f32>(z * scale));
  }
  for (let j = 0; j < D; j++) store<f32>(phase + (<usize>j << 2), <f32>(2.0 * Math.PI * nextUnit()));
}

/** out[n×D] = sqrt(2/D) · cos(x[n×d] · omega + phase). */
export function featurize(x: usize, n: i32, d: i32, omega: usize, phase: usize, D: i32, out: usize): void {
  const norm = Math.sqrt(2.0 / <f64>D);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < D; j++) {
      let acc: f64 = <f64>load<f32>(phase + (<usize>j << 2));
      for (let k = 0; k < d; k++) {
        acc += <f64>load<f32>(x + ((<usize>(r * d + k)) << 2)) * <f64>load<f32>(omega + ((<usize>(k * D + j)) << 2));
      }
      store<f32>(out + ((<usize>(r * D + j)) << 2), <f32>(norm * Math.cos(acc)));
    }
  }
}

/** Σ_j a[j]·b[j] over D floats, four lanes at a time, lanes summed in a fixed order. */
@inline function dot(a: usize, b: usize, D: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= D; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>j << 2)), v128.load(b + (<usize>j << 2))));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < D; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

/**
 * One full-batch gradient step of L2-regularised logistic regression on features f[n×D] with
 * labels y[n] ∈ {0, 1}: w (D floats) and bias b (one float at bias) are updated in place,
 * grad (D floats) is scratch. Returns the mean log-loss before the step.
 */
export function logisticStep(f: usize, y: usize, n: i32, D: i32, w: usize, bias: usize, grad: usize, lr: f32, l2: f32): f64 {
  memory.fill(grad, 0, <usize>D << 2);
  let gb: f32 = 0;
  let loss: f64 = 0;
  const b = load<f32>(bias);
  for (let r = 0; r < n; r++) {
    const row = f + ((<usize>(r * D)) << 2);
    const z = dot(row, w, D) + b;
    const p = <f32>(1.0 / (1.0 + Math.exp(-<f64>z)));
    const t = <f32>load<i32>(y + (<usize>r << 2));
    // log-loss, stable in both tails
    loss += <f64>(z > 0 ? (1 - t) * z : -t * z) + Math.log(1.0 + Math.exp(-Math.abs(<f64>z)));
    const e = v128.splat<f32>(p - t);
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const g = grad + (<usize>j << 2);
      v128.store(g, f32x4.add(v128.load(g), f32x4.mul(e, v128.load(row + (<usize>j << 2)))));
    }
    for (; j < D; j++) store<f32>(grad + (<usize>j << 2), load<f32>(grad + (<usize>j << 2)) + (p - t) * load<f32>(row + (<usize>j << 2)));
    gb += p - t;
  }
  const scale = lr / <f32>n;
  for (let j = 0; j < D; j++) {
    const o = <usize>j << 2;
    const wj = load<f32>(w + o);
    store<f32>(w + o, wj - scale * load<f32>(grad + o) - lr * l2 * wj);
  }
  store<f32>(bias, b - scale * gb);
  return loss / <f64>n;
}

/** Fraction of rows whose predicted class (z > 0) matches the label. */
export function accuracy(f: usize, y: usize, n: i32, D: i32, w: usize, bias: usize): f64 {
  let correct = 0;
  const b = load<f32>(bias);
  for (let r = 0; r < n; r++) {
    const z = dot(f + ((<usize>(r * D)) << 2), w, D) + b;
    if ((z > 0 ? 1 : 0) == load<i32>(y + (<usize>r << 2))) correct++;
  }
  return <f64>correct / <f64>n;
}
