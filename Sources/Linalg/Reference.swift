// Reference: plain-loop twins of every BLAS wrapper, same signatures and semantics. Slow and
// obvious on purpose; the tests hold the BLAS path to these.

/// Plain Swift loops computing exactly what `BLAS` computes (up to float rounding order).
public enum Reference {
    /// Twin of `BLAS.sgemm`. Accumulates in Double, so it is also the more accurate one.
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        checkGemm(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        for i in 0 ..< m {
            for j in 0 ..< n {
                var sum = 0.0
                for p in 0 ..< k {
                    let aip = transA == .none ? a[i * lda + p] : a[p * lda + i]
                    let bpj = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(aip) * Double(bpj)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }

    /// Twin of `BLAS.sgemv`.
    public static func sgemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n))
        let (outLen, inLen) = trans == .none ? (m, n) : (n, m)
        for i in 0 ..< outLen {
            var sum = 0.0
            for j in 0 ..< inLen {
                let aij = trans == .none ? a[i * lda + j] : a[j * lda + i]
                sum += Double(aij) * Double(x[j])
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(y[i])
            y[i] = Float(Double(alpha) * sum + old)
        }
    }
}
