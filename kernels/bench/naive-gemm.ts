// The plain JavaScript peer: the i-p-j loop a researcher would write, with the same
// transpose forms. A floor to show what the kernels buy.

export function naiveSgemm(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number,
  transA: boolean, transB: boolean,
): void {
  C.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const a = transA ? A[p * m + i]! : A[i * k + p]!;
      if (transB) {
        for (let j = 0; j < n; j++) C[row + j]! += a * B[j * k + p]!;
      } else {
        const bRow = p * n;
        for (let j = 0; j < n; j++) C[row + j]! += a * B[bRow + j]!;
      }
    }
  }
}
