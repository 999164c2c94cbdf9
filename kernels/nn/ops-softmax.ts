// Softmax and log-softmax along a dimension (rows of the last one in wasm; another dimension
// is moved last and back), and the losses built on them: cross-entropy of logits with Int32
// labels (log-softmax then NLL) and mean squared error.
import { defineTensorOps, type Engine, type Tensor } from "./tensor.ts";
import { normalizeDim, sameShape } from "./shape.ts";
import { transpose } from "./ops-layout.ts";
import { sub, pow } from "./ops-elementwise.ts";
import { mean } from "./ops-reduce.ts";

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const e = x.engine;
  const cols = x.shape[x.shape.length - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const y = e.make(x.shape);
  e.k.softmaxRows(x.ptr, y.ptr, rows, cols, log ? 1 : 0);
  return e.record(y, [x], (g) => [softmaxRowsGrad(y, g, log)]);
}

/** The gradient wrt softmaxRows' input, from its output y (rows of the last dimension) and g, the gradient wrt y. */
function softmaxRowsGrad(y: Tensor, g: Tensor, log: boolean): Tensor {
  const e = y.engine;
  const cols = y.shape[y.shape.length - 1]!;
  const rows = cols === 0 ? 0 : y.size / cols;
  const dx = e.make(y.shape);
  const scratch = e.make([cols]);
  e.k.softmaxRowsBackward(y.ptr, g.ptr, dx.ptr, rows, cols, log ? 1 : 0, scratch.ptr);
  scratch.dispose();
  return dx;
}

function alongDim(x: Tensor, dim: number, log: boolean, what: string): Tensor {
  x.check(what);
  if (x.shape.length === 0) throw new RangeError(`${what}: needs a tensor of rank ≥ 1`);
  const d = normalizeDim(dim, x.shape.length, what);
  const last = x.shape.length - 1;
  if (d === last) return softmaxLast(x, log);
  return transpose(softmaxLast(transpose(x, d, last), log), d, last);
}

export const softmax = (x: Tensor, dim: number) => alongDim(x, dim, false, "softmax");
export const logSoftmax = (x: Tensor, dim: number) => alongDim(x, dim, true, "logSoftmax");

/** The loss tensor (no tape node), with the labels in wasm attached to it as its first buffer. */
function nllLossOf(e: Engine, logp: Tensor, labels: Int32Array, what: string): Tensor {
  if (logp.shape.length !== 2) throw new RangeError(`${what}: expects [N, C] ${what === "nllLoss" ? "log-probabilities" : "logits"}, got [${logp.shape}]`);
  const [rows, cols] = logp.shape as [number, number];
  if (!(labels instanceof Int32Array)) throw new TypeError(`${what}: labels must be an Int32Array`);
  if (labels.length !== rows) throw new RangeError(`${what}: ${labels.length} labels for ${rows} rows`);
  const y = e.make([]);
  const held = e.make([rows], true);
  y.attached = [held];
  e.writeI32(held.ptr, labels);
  const outside = (bad: number) => new RangeError(`${what}: label ${labels[bad]} of row ${bad} is outside [0, ${cols})`);
  const bad = e.k.nllLoss(logp.ptr, held.ptr, rows, cols, y.ptr);
  if (bad >= 0) {
    y.dispose();
    throw outside(bad);
  }
  e.onReplayResult((again) => {
    if (again >= 0) throw outside(again);
  });
  return y;
}

/** Mean negative log-likelihood of `labels` under row-wise log-probabilities logp [N, C] (PyTorch's nll_loss). */
export function nllLoss(logp: Tensor, labels: Int32Array): Tensor {
  const e = logp.check("nllLoss").engine;
  const y = nllLossOf(e, logp, labels, "nllLoss");
  const [rows, cols] = logp.shape as [number, number];
  const held = y.attached![0]!;
  return e.record(y, [logp], (g) => {
    const dx = e.zerosLike(logp.shape);
    e.k.nllLossBackward(held.ptr, rows, cols, g.ptr, dx.ptr);
    return [dx];
  });
}

/**
 * Cross-entropy of logits [N, C] against class indices, averaged over N (PyTorch's
 * cross_entropy). One tape node running log-softmax's and NLL's kernels in turn, forward and
 * backward: the bits of nllLoss(logSoftmax(x)) without a second node and its gradient tensor,
 * which showed in small models' steps.
 */
export function crossEntropy(logits: Tensor, labels: Int32Array): Tensor {
  const e = logits.check("crossEntropy").engine;
  if (logits.shape.length !== 2) return nllLoss(logSoftmax(logits, -1), labels);
  const [rows, cols] = logits.shape as [number, number];
  const logp = e.make(logits.shape, true);
  e.k.softmaxRows(logits.ptr, logp.ptr, rows, cols, 1);
  let y: Tensor;
  try {
    y = nllLossOf(e, logp, labels, "crossEntropy");
  } catch (err) {
    logp.dispose();
    throw err;
  }
  y.attached!.push(logp);
  const held = y.attached![0]!;
  return e.record(y, [logits], (g) => {
    const dlogp = e.zerosLike(logits.shape);
    e.k.nllLossBackward(held.ptr, rows, cols, g.ptr, dlogp.ptr);
    const dx = softmaxRowsGrad(logp, dlogp, true);
    dlogp.dispose();
    return [dx];
  });
}

/** Mean squared error over every element (PyTorch's mse_loss, reduction "mean"). */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) throw new RangeError(`mseLoss: shapes [${pred.shape}] and [${target.shape}] differ`);
  return mean(pow(sub(pred, target), 2));
}

defineTensorOps({ softmax, logSoftmax });
