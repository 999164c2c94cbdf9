// A batch of SGEMMs in one call (ctx.nn's matmul over leading dimensions). A stride of 0
// repeats an operand; a C stride of 0 sums every product into one C (the gradient of a
// broadcast operand), in batch order.
import { sgemm } from "./gemm";

export function sgemmBatched(
  count: i32, transA: bool, transB: bool, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, strideA: i32, lda: i32, b: usize, strideB: i32, ldb: i32,
  beta: f32, c: usize, strideC: i32, ldc: i32,
): void {
  for (let i = 0; i < count; i++) {
    const betaI: f32 = strideC == 0 && i > 0 ? 1 : beta;
    sgemm(
      transA, transB, m, n, k, alpha,
      a + ((<usize>i * <usize>strideA) << 2), lda,
      b + ((<usize>i * <usize>strideB) << 2), ldb,
      betaI, c + ((<usize>i * <usize>strideC) << 2), ldc,
    );
  }
}
