// Matrix products on the packed SGEMM: matmul batched over leading dimensions (broadcast as
// PyTorch does) and linear (x·Wᵀ + b, PyTorch's F.linear). Gradients are SGEMMs with the
// transposes absorbed by packing; a broadcast operand's gradient sums over the batch in
// batch order (a C stride of 0).
import { defineTensorOps, type Tensor } from "./tensor.ts";
import { broadcastShapes, sameShape, sizeOf, type Shape } from "./shape.ts";
import { expand, reshape } from "./ops-layout.ts";

export function matmul(a: Tensor, b: Tensor): Tensor {
  const e = a.check("matmul").engine;
  b.check("matmul");
  if (a.shape.length === 0 || b.shape.length === 0) throw new RangeError(`matmul: operands need rank ≥ 1 (got [${a.shape}] and [${b.shape}])`);
  // Vectors as PyTorch treats them: a [k] on the left is [1, k], on the right [k, 1]; that dimension is dropped again.
  if (a.shape.length === 1 || b.shape.length === 1) {
    const a2 = a.shape.length === 1 ? reshape(a, [1, a.shape[0]!]) : a;
    const b2 = b.shape.length === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
    const y = matmul(a2, b2);
    const shape = y.shape.slice();
    if (b.shape.length === 1) shape.pop();
    if (a.shape.length === 1) shape.splice(shape.length - (b.shape.length === 1 ? 1 : 2), 1);
    return reshape(y, shape);
  }
  const m = a.shape[a.shape.length - 2]!, k = a.shape[a.shape.length - 1]!;
  const k2 = b.shape[b.shape.length - 2]!, n = b.shape[b.shape.length - 1]!;
  if (k !== k2) throw new RangeError(`matmul: [${a.shape}] @ [${b.shape}]: inner dimensions ${k} and ${k2} differ`);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  // [..., m, k] @ [k, n]: one product of the rows of every batch at once.
  if (batchB.length === 0) {
    const rows = sizeOf(batchA) * m;
    const y = e.make([...batchA, m, n]);
    e.k.sgemm(0, 0, rows, n, k, 1, a.ptr, k, b.ptr, n, 0, y.ptr, n);
    return e.record(y, [a, b], (g) => [
      a.requiresGrad ? gemm(g, a.shape, 0, 1, rows, k, n, g.ptr, n, b.ptr, n) : null,
      b.requiresGrad ? gemm(g, b.shape, 1, 0, k, n, rows, a.ptr, k, g.ptr, n) : null,
    ]);
  }
  const batch = broadcastShapes(batchA, batchB, "matmul");
  const count = sizeOf(batch);
  // Operands whose batch is neither the whole batch nor a single matrix are expanded first.
  const fits = (s: number[]) => sameShape(s, batch) || sizeOf(s) === 1;
  if (!fits(batchA)) return matmul(expand(a, [...batch, m, k]), b);
  if (!fits(batchB)) return matmul(a, expand(b, [...batch, k, n]));
  const strideA = sizeOf(batchA) === 1 ? 0 : m * k;
  const strideB = sizeOf(batchB) === 1 ? 0 : k * n;
  const y = e.make([...batch, m, n]);
  e.k.sgemmBatched(count, 0, 0, m, n, k, 1, a.ptr, strideA, k, b.ptr, strideB, n, 0, y.ptr, m * n, n);
  return e.record(y, [a, b], (g) => {
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (a.requiresGrad) {
      ga = e.make(a.shape);
      e.k.sgemmBatched(count, 0, 1, m, k, n, 1, g.ptr, m * n, n, b.ptr, strideB, n, 0, ga.ptr, strideA, k);
    }
    if (b.requiresGrad) {
      gb = e.make(b.shape);
      e.k.sgemmBatched(count, 1, 0, k, n, m, 1, a.ptr, strideA, k, g.ptr, m * n, n, 0, gb.ptr, strideB, n);
    }
    return [ga, gb];
  });
}

/** A new tensor of `shape` = op(A)·op(B) (rows×cols, depth). */
function gemm(like: Tensor, shape: Shape, transA: number, transB: number, rows: number, cols: number, depth: number, a: number, lda: number, b: number, ldb: number): Tensor {
  const out = like.engine.make(shape);
  like.engine.k.sgemm(transA, transB, rows, cols, depth, 1, a, lda, b, ldb, 0, out.ptr, cols);
  return out;
}

/** x·Wᵀ + b for x [..., in], W [out, in], b [out] (PyTorch's F.linear): no transposed copy of W. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const e = x.check("linear").engine;
  weight.check("linear");
  if (weight.shape.length !== 2) throw new RangeError(`linear: weight must be [out, in], got [${weight.shape}]`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== inF) throw new RangeError(`linear: input [${x.shape}] does not end in ${inF} features (weight [${weight.shape}])`);
  if (bias && (bias.check("linear").shape.length !== 1 || bias.shape[0] !== outF)) throw new RangeError(`linear: bias must be [${outF}], got [${bias.shape}]`);
  const rows = x.size / inF;
  const outShape = x.shape.slice();
  outShape[outShape.length - 1] = outF;
  const y = e.adopt(outShape);
  e.k.sgemm(0, 1, rows, outF, inF, 1, x.ptr, inF, weight.ptr, inF, 0, y.ptr, outF);
  if (bias) e.k.biasAdd(y.ptr, bias.ptr, rows, outF);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return e.record(y, inputs, (g) => {
    const grads: (Tensor | null)[] = [
      x.requiresGrad ? gemm(g, x.shape, 0, 0, rows, inF, outF, g.ptr, outF, weight.ptr, inF) : null,
      weight.requiresGrad ? gemm(g, [outF, inF], 1, 0, outF, inF, rows, g.ptr, outF, x.ptr, inF) : null,
    ];
    if (bias) {
      let gb: Tensor | null = null;
      if (bias.requiresGrad) {
        gb = e.make([outF]);
        // sumAxis, not biasGrad: at one output feature it sums the rows in four lanes, biasGrad in
        // row order, and ctx.nn's bits must not change under a model.
        e.k.sumAxis(g.ptr, gb.ptr, 1, rows, outF);
      }
      grads.push(gb);
    }
    return grads;
  });
}

defineTensorOps({ matmul });
