// The numeric core's exports as the host sees them: pointers are byte offsets into the
// instance's memory, booleans are 0/1.

type Ptr = number;

export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): Ptr;
  allocF32(count: number): Ptr;
  memoryBytes(): number;
  /** Back to the state just after instantiation (reset.ts); the host restores the static data. */
  resetKernels(): void;
  heapBase(): number;
  /** Where the heap has reached: the same on fresh and reset instances after the same allocations. */
  heapTop(): number;
  sgemm(
    transA: number, transB: number, m: number, n: number, k: number,
    alpha: number, a: Ptr, lda: number, b: Ptr, ldb: number,
    beta: number, c: Ptr, ldc: number,
  ): void;
  biasAdd(z: Ptr, bias: Ptr, rows: number, cols: number): void;
  biasGrad(dz: Ptr, dbias: Ptr, rows: number, cols: number): void;
  reluForward(z: Ptr, a: Ptr, n: number): void;
  reluBackward(da: Ptr, a: Ptr, dz: Ptr, n: number): void;
  tanhForward(z: Ptr, a: Ptr, n: number): void;
  tanhBackward(da: Ptr, a: Ptr, dz: Ptr, n: number): void;
  sigmoidForward(z: Ptr, a: Ptr, n: number): void;
  sigmoidBackward(da: Ptr, a: Ptr, dz: Ptr, n: number): void;
  activationForward(kind: number, z: Ptr, a: Ptr, n: number): void;
  activationBackward(kind: number, da: Ptr, a: Ptr, dz: Ptr, n: number): void;
  softmaxCrossEntropy(logits: Ptr, labels: Ptr, rows: number, cols: number, dLogits: Ptr, gradScale: number): number;
  mseOneHot(out: Ptr, labels: Ptr, rows: number, cols: number, dOut: Ptr, gradScale: number): number;
  mseTargets(out: Ptr, targets: Ptr, rows: number, cols: number, dOut: Ptr, gradScale: number): number;
  argmaxCorrect(logits: Ptr, labels: Ptr, rows: number, cols: number): number;
  sgdUpdate(w: Ptr, g: Ptr, n: number, lr: number, weightDecay: number): void;
  momentumUpdate(w: Ptr, g: Ptr, v: Ptr, n: number, lr: number, mu: number, weightDecay: number): void;
  adamUpdate(
    w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, t: number,
  ): void;
  /** adamUpdate with its two bias corrections given (adamCorrection of β1 and β2 at the step). */
  adamUpdateCorrected(
    w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
  ): void;
  adamCorrection(beta: number, t: number): number;
  scheduleLr(kind: number, base: number, epoch: number, step: number, totalSteps: number, every: number, gamma: number): number;
  rngSeed(state: Ptr, seed: number, stream: number): void;
  rngNextU32(state: Ptr): number;
  rngUniform(state: Ptr): number;
  rngBelow(state: Ptr, bound: number): number;
  rngNormal(state: Ptr): number;
  shuffleI32(values: Ptr, n: number, state: Ptr): void;
  iotaI32(values: Ptr, n: number): void;
  initHe(w: Ptr, count: number, fanIn: number, state: Ptr): void;
  initXavier(w: Ptr, count: number, fanIn: number, fanOut: number, state: Ptr): void;
  gatherRowsF32(src: Ptr, cols: number, idx: Ptr, start: number, count: number, dst: Ptr): void;
  gatherRowsU8(src: Ptr, cols: number, idx: Ptr, start: number, count: number, scale: number, dst: Ptr): void;
  gatherLabels(labels: Ptr, idx: Ptr, start: number, count: number, dst: Ptr): void;
  genSpirals(x: Ptr, y: Ptr, n: number, classes: number, noise: number, state: Ptr): void;
  genMoons(x: Ptr, y: Ptr, n: number, noise: number, state: Ptr): void;
  genXor(x: Ptr, y: Ptr, n: number, noise: number, state: Ptr): void;
  im2col(x: Ptr, n: number, h: number, w: number, c: number, kh: number, kw: number, stride: number, padTop: number, padLeft: number, outH: number, outW: number, col: Ptr): void;
  convForwardRows(x: Ptr, n: number, h: number, w: number, c: number, kh: number, kw: number, stride: number, padTop: number, padLeft: number, outH: number, outW: number, wt: Ptr, f: number, out: Ptr): void;
  col2im(col: Ptr, n: number, h: number, w: number, c: number, kh: number, kw: number, stride: number, padTop: number, padLeft: number, outH: number, outW: number, dx: Ptr): void;
  maxPoolForward(x: Ptr, n: number, h: number, w: number, c: number, size: number, stride: number, outH: number, outW: number, y: Ptr, argmax: Ptr): void;
  maxPoolBackward(dy: Ptr, argmax: Ptr, outCount: number, dx: Ptr, inCount: number): void;
  avgPoolForward(x: Ptr, n: number, h: number, w: number, c: number, size: number, stride: number, outH: number, outW: number, y: Ptr): void;
  avgPoolBackward(dy: Ptr, n: number, h: number, w: number, c: number, size: number, stride: number, outH: number, outW: number, dx: Ptr): void;
  dropoutForward(x: Ptr, y: Ptr, mask: Ptr, n: number, rate: number, state: Ptr): void;
  dropoutBackward(dy: Ptr, mask: Ptr, dx: Ptr, n: number): void;
  // ctx.nn (kernels/nn/): unary.ts, elementwise.ts, reduce.ts, softmax.ts, strided.ts, gemm-batched.ts, fill.ts
  unaryForward(kind: number, x: Ptr, y: Ptr, n: number): void;
  unaryBackward(kind: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  affine(x: Ptr, y: Ptr, n: number, a: number, b: number): void;
  powScalar(x: Ptr, y: Ptr, n: number, p: number): void;
  powScalarBackward(x: Ptr, dy: Ptr, dx: Ptr, n: number, p: number): void;
  binaryBroadcast(op: number, a: Ptr, b: Ptr, out: Ptr, meta: Ptr, rank: number): void;
  sumAxis(src: Ptr, dst: Ptr, outer: number, n: number, inner: number): void;
  axpy(y: Ptr, x: Ptr, n: number, a: number): void;
  sumSquares(x: Ptr, n: number): number;
  maxAxis(src: Ptr, dst: Ptr, argmax: Ptr, outer: number, n: number, inner: number): void;
  maxAxisBackward(dy: Ptr, argmax: Ptr, dx: Ptr, outer: number, n: number, inner: number): void;
  softmaxRows(x: Ptr, y: Ptr, rows: number, cols: number, log: number): void;
  softmaxRowsBackward(y: Ptr, dy: Ptr, dx: Ptr, rows: number, cols: number, log: number, scratch: Ptr): void;
  nllLoss(logp: Ptr, labels: Ptr, rows: number, cols: number, out: Ptr): number;
  nllLossBackward(labels: Ptr, rows: number, cols: number, g: Ptr, dlogp: Ptr): void;
  stridedCopy(src: Ptr, dst: Ptr, meta: Ptr, rank: number): void;
  sgemmBatched(
    count: number, transA: number, transB: number, m: number, n: number, k: number,
    alpha: number, a: Ptr, strideA: number, lda: number, b: Ptr, strideB: number, ldb: number,
    beta: number, c: Ptr, strideC: number, ldc: number,
  ): void;
  fillF32(dst: Ptr, n: number, value: number): void;
  fillNormal(dst: Ptr, n: number, state: Ptr, mean: number, std: number): void;
  fillUniform(dst: Ptr, n: number, state: Ptr, lo: number, hi: number): void;
  firstIndexOutside(idx: Ptr, n: number, bound: number): number;
  embeddingBackward(dy: Ptr, idx: Ptr, count: number, cols: number, dTable: Ptr): void;
}

/** Unary op ids shared with kernels/assembly/unary.ts. */
export const UNARY_ID = { exp: 0, log: 1, tanh: 2, sigmoid: 3, gelu: 4, relu: 5, sqrt: 6 } as const;
/** Binary op ids shared with kernels/assembly/elementwise.ts. */
export const BINARY_ID = { add: 0, sub: 1, mul: 2, div: 3 } as const;

/** Activation ids shared with kernels/assembly/activations.ts. */
export const ACTIVATION_ID = { relu: 0, tanh: 1, sigmoid: 2, identity: 3 } as const;
/** Schedule ids shared with kernels/assembly/optim.ts. */
export const SCHEDULE_ID = { constant: 0, step: 1, cosine: 2 } as const;
/** Bytes of one PRNG state (kernels/assembly/rng.ts). */
export const RNG_STATE_BYTES = 16;
