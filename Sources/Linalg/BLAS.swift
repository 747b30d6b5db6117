// BLAS: the one Swift file that imports COpenBLAS. Thin row-major wrappers over cblas_sgemm,
// cblas_sgemv plus OpenBLAS's core and thread queries. Each wrapper has a
// plain-loop twin with the same signature in Reference.swift; tests compare the two.
import COpenBLAS

/// Row-major single-precision BLAS (OpenBLAS). Pointers must cover the shapes given;
/// shapes are checked with preconditions (bugs, not user errors).
public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C. op(A) is m×k: A is stored m×k (lda ≥ k) when
    /// `transA == .none`, k×m (lda ≥ m) when `.transpose`; likewise op(B) is k×n. ldc ≥ n.
    /// With beta == 0, C is not read (NaNs in C do not propagate). Cost 2·m·n·k flops.
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        checkGemm(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, cblas(transA), cblas(transB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y with A stored m×n row-major (lda ≥ n).
    /// `.none`: x has n floats, y has m. `.transpose`: x has m, y has n. Cost 2·m·n flops.
    public static func sgemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n), "sgemv: bad shape m=\(m) n=\(n) lda=\(lda)")
        if m == 0 || n == 0 {
            // BLAS leaves y untouched here; mirror the twin: y = beta · y.
            let len = trans == .none ? m : n
            for i in 0 ..< len { y[i] = beta == 0 ? 0 : beta * y[i] }
            return
        }
        cblas_sgemv(CblasRowMajor, cblas(trans), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// The kernel family OpenBLAS chose when it loaded (for example "Haswell", "SkylakeX",
    /// "Prescott"). Set by `OPENBLAS_CORETYPE` before the process starts.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS's build configuration string (version, threading model, max threads).
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }

    /// Threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses for one call (process-wide).
    public static func setThreads(_ n: Int) {
        precondition(n >= 1)
        openblas_set_num_threads(Int32(n))
    }

    /// Runs `body` with OpenBLAS using `n` threads, then restores the previous count. Small
    /// products (a few rows, as in one LSTM time step) often run faster on one thread.
    public static func withThreads<R>(_ n: Int?, _ body: () throws -> R) rethrows -> R {
        guard let n, n != threads else { return try body() }
        let old = threads
        setThreads(n)
        defer { setThreads(old) }
        return try body()
    }

    private static func cblas(_ t: Transpose) -> CBLAS_TRANSPOSE {
        t == .none ? CblasNoTrans : CblasTrans
    }
}

/// Shared shape check for sgemm and its twin.
func checkGemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size")
    precondition(lda >= max(1, transA == .none ? k : m), "sgemm: lda \(lda) too small")
    precondition(ldb >= max(1, transB == .none ? n : k), "sgemm: ldb \(ldb) too small")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
}
