// PackedWeights: a weight matrix W [N, K] (PyTorch [out, in], row-major) packed once per weight
// update for the small-M products of the LSTM time loop, the two products on it, their plain-loop
// twins, and the C cell. With AdamKernel.swift, the only Swift files that import CKernels.
// Shapes on the reference model: forward G[B×4H] += h[B×H]·W_hhᵀ, backward dh[B×H] = dG[B×4H]·W_hh,
// B = 8, H = 1024. Measured ~170–210 GFLOP/s per core (OpenBLAS: 35–50);
// `tunegen bench` times them inside training steps.
import CKernels

/// How packed weights are stored: fp32, or bf16 (the top 16 bits of an fp32, rounded to nearest
/// even: 8 exponent bits, 7 mantissa bits, relative error ≤ 2⁻⁸). bf16 halves the bytes each
/// product reads; the products widen every weight back to fp32 in registers and accumulate in
/// fp32, so only the weights are rounded, never the activations or the sums.
public enum WeightPrecision: String, Sendable, Hashable, Codable, CaseIterable {
    case fp32, bf16

    /// Bytes per stored weight.
    public var bytes: Int { self == .bf16 ? 2 : 4 }

    /// `x` as the weight this precision stores (bf16: rounded to nearest even; fp32: itself).
    public func rounded(_ x: Float) -> Float {
        self == .bf16 ? tg_float_from_bf16(tg_bf16_from_float(x)) : x
    }
}

/// W [N, K] row-major (PyTorch `[out, in]`) packed into panels of 32 columns for products with
/// few rows (M ≤ 8 is one pass; larger M is done in blocks of 8 rows).
///
/// Stored in `precision` (fp32 or bf16, see `WeightPrecision`). Two packings are kept: panels of Wᵀ for `packedMultiply` (A·Wᵀ), and, unless
/// `transposedProduct` is false, panels of W for `packedMultiplyTransposed` (G·W). Each holds
/// about N·K floats (N or K rounded up to 32). Packing reads W once and costs roughly as much as
/// one or two products; **repack after every weight update** (stale packs silently give old
/// weights).
public struct PackedWeights: Sendable {
    /// N: rows of W (outputs of the forward product, e.g. 4H).
    public let rows: Int
    /// K: columns of W (inputs of the forward product, e.g. H).
    public let columns: Int
    /// Whether the packing for `packedMultiplyTransposed` (G·W) is kept.
    public let transposedProduct: Bool
    /// How the weights are stored.
    public let precision: WeightPrecision
    /// fp32 panels of Wᵀ: panel q holds W[32q ..< 32q+32, k] at [q][k][j], zero-padded.
    var forwardPanels: [Float]
    /// fp32 panels of W: panel q holds W[n, 32q ..< 32q+32] at [q][n][j], zero-padded.
    var backwardPanels: [Float]
    /// bf16 panels, the same layout with each panel row's 32 words in the order the kernels
    /// unpack them (see kernels.c's `bf16_slot`). Empty for fp32 (and the fp32 ones for bf16).
    var forwardPanels16: [UInt16]
    var backwardPanels16: [UInt16]

    /// Storage for W [n, k], all zero until `pack(from:)`.
    public init(rows n: Int, columns k: Int, transposedProduct: Bool = true, precision: WeightPrecision = .fp32) {
        precondition(n > 0 && k > 0 && n <= Int(Int32.max) && k <= Int(Int32.max), "bad shape \(n)×\(k)")
        rows = n
        columns = k
        self.transposedProduct = transposedProduct
        self.precision = precision
        let forward = tg_packed_count(Int32(n), Int32(k)), backward = transposedProduct ? tg_packed_count(Int32(k), Int32(n)) : 0
        let fp32 = precision == .fp32
        forwardPanels = [Float](repeating: 0, count: fp32 ? forward : 0)
        backwardPanels = [Float](repeating: 0, count: fp32 ? backward : 0)
        forwardPanels16 = [UInt16](repeating: 0, count: fp32 ? 0 : forward)
        backwardPanels16 = [UInt16](repeating: 0, count: fp32 ? 0 : backward)
    }

    /// Packs W [rows, columns] row-major from `w` (`w.count == rows * columns`).
    public init(_ w: [Float], rows n: Int, columns k: Int, transposedProduct: Bool = true, precision: WeightPrecision = .fp32) {
        self.init(rows: n, columns: k, transposedProduct: transposedProduct, precision: precision)
        pack(from: w)
    }

    /// Bytes of weights one product reads (`packedMultiply`, or `packedMultiplyTransposed`).
    public var bytesPerProduct: Int { tg_packed_count(Int32(rows), Int32(columns)) * precision.bytes }

    /// Repacks from W [rows, columns] row-major. Call after every change to W.
    public mutating func pack(from w: UnsafePointer<Float>) {
        let n = Int32(rows), k = Int32(columns)
        switch precision {
        case .fp32:
            forwardPanels.withUnsafeMutableBufferPointer { tg_pack_transposed(w, n, k, $0.baseAddress!) }
            if transposedProduct {
                backwardPanels.withUnsafeMutableBufferPointer { tg_pack_plain(w, n, k, $0.baseAddress!) }
            }
        case .bf16:
            forwardPanels16.withUnsafeMutableBufferPointer { tg_pack_transposed_bf16(w, n, k, $0.baseAddress!) }
            if transposedProduct {
                backwardPanels16.withUnsafeMutableBufferPointer { tg_pack_plain_bf16(w, n, k, $0.baseAddress!) }
            }
        }
    }

    /// Repacks from W [rows, columns] row-major.
    public mutating func pack(from w: [Float]) {
        precondition(w.count == rows * columns, "W has \(w.count) floats, expected \(rows)×\(columns)")
        w.withUnsafeBufferPointer { pack(from: $0.baseAddress!) }
    }

    /// The forward (or backward) panels in whichever precision they are stored, with the flag
    /// the kernels take (1 for bf16).
    func withPanels<R>(backward: Bool, _ body: (UnsafeRawPointer, Int32) -> R) -> R {
        switch precision {
        case .fp32:
            return (backward ? backwardPanels : forwardPanels).withUnsafeBytes { body($0.baseAddress!, 0) }
        case .bf16:
            return (backward ? backwardPanels16 : forwardPanels16).withUnsafeBytes { body($0.baseAddress!, 1) }
        }
    }

    /// The forward and (unless `transposedProduct` is false: nil) backward panels, writable,
    /// with the kernels' precision flag, for an update that packs as it goes (`AdamKernel`).
    mutating func withMutablePanels<R>(_ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer?, Int32) -> R) -> R {
        let backward = transposedProduct
        switch precision {
        case .fp32:
            return forwardPanels.withUnsafeMutableBytes { f in
                backwardPanels.withUnsafeMutableBytes { b in body(f.baseAddress!, backward ? b.baseAddress! : nil, 0) }
            }
        case .bf16:
            return forwardPanels16.withUnsafeMutableBytes { f in
                backwardPanels16.withUnsafeMutableBytes { b in body(f.baseAddress!, backward ? b.baseAddress! : nil, 1) }
            }
        }
    }

    /// Threads used by default: 2 when the machine has at least 2 processors.
    public static let defaultThreads: Int = KernelInfo.processors >= 2 ? 2 : 1
}

/// C[M×N] (+)= A[M×K] · Wᵀ, W = `w` [N, K]. Forward step: `gates += h · W_hhᵀ`.
/// - a: M rows of K floats, row `r` at `a + r * aStride` (default K).
/// - c: M rows of N floats, row `r` at `c + r * cStride` (default N); overwritten unless `accumulate`.
/// - threads: 1, or 2 to split the output columns with the persistent worker (falls back to 1 if the
///   worker is busy with another caller, or if the product is tiny).
public func packedMultiply(
    _ a: UnsafePointer<Float>, rows m: Int, _ w: PackedWeights, into c: UnsafeMutablePointer<Float>,
    accumulate: Bool, aStride: Int? = nil, cStride: Int? = nil, threads: Int = PackedWeights.defaultThreads
) {
    let lda = aStride ?? w.columns, ldc = cStride ?? w.rows
    precondition(m >= 0 && m <= Int(Int32.max) && lda >= w.columns && ldc >= w.rows, "bad shape or stride")
    w.withPanels(backward: false) { panels, bf16 in
        tg_gemm_packed(Int32(m), Int32(w.rows), Int32(w.columns), a, Int32(lda), panels, bf16,
                       c, Int32(ldc), accumulate ? 1 : 0, Int32(threads))
    }
}

/// D[M×K] (+)= G[M×N] · W, W = `w` [N, K]. Backward step: `dh = dG · W_hh`.
/// Needs `w.transposedProduct`. Strides and threads as in `packedMultiply`
/// (G row stride default N, D row stride default K).
public func packedMultiplyTransposed(
    _ g: UnsafePointer<Float>, rows m: Int, _ w: PackedWeights, into d: UnsafeMutablePointer<Float>,
    accumulate: Bool, gStride: Int? = nil, dStride: Int? = nil, threads: Int = PackedWeights.defaultThreads
) {
    precondition(w.transposedProduct, "PackedWeights built with transposedProduct: false")
    let ldg = gStride ?? w.rows, ldd = dStride ?? w.columns
    precondition(m >= 0 && m <= Int(Int32.max) && ldg >= w.rows && ldd >= w.columns, "bad shape or stride")
    w.withPanels(backward: true) { panels, bf16 in
        tg_gemm_packed(Int32(m), Int32(w.columns), Int32(w.rows), g, Int32(ldg), panels, bf16,
                       d, Int32(ldd), accumulate ? 1 : 0, Int32(threads))
    }
}

/// Plain-loop twin of `packedMultiply`: C[M×N] (+)= A[M×K]·Wᵀ with W [N, K] row-major, dense rows.
public func referenceMultiply(
    _ a: UnsafePointer<Float>, rows m: Int, _ w: UnsafePointer<Float>, n: Int, k: Int,
    into c: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    for r in 0..<m {
        for j in 0..<n {
            var s: Float = 0
            for kk in 0..<k { s += a[r * k + kk] * w[j * k + kk] }
            c[r * n + j] = accumulate ? c[r * n + j] + s : s
        }
    }
}

/// Plain-loop twin of `packedMultiplyTransposed`: D[M×K] (+)= G[M×N]·W with W [N, K] row-major.
public func referenceMultiplyTransposed(
    _ g: UnsafePointer<Float>, rows m: Int, _ w: UnsafePointer<Float>, n: Int, k: Int,
    into d: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    for r in 0..<m {
        for kk in 0..<k {
            var s: Float = 0
            for j in 0..<n { s += g[r * n + j] * w[j * k + kk] }
            d[r * k + kk] = accumulate ? d[r * k + kk] + s : s
        }
    }
}

/// One LSTM time step's elementwise part, gate order i, f, g, o (AVX-512 when available, ~15–30 µs
/// for B = 8, H = 1024, where a libm loop takes ~400–800 µs; max relative error ~2e-7).
/// - gates: row r (r < b) at `gates + r * gatesStride` (default 4H) holds the pre-activations
///   (x·W_ihᵀ + b_ih + b_hh + h·W_hhᵀ) and is overwritten with sigmoid(i), sigmoid(f), tanh(g),
///   sigmoid(o): the cache the backward pass needs.
/// - cellIn / cellOut: dense [b × H]; c = f ⊙ cIn + i ⊙ g. They may be the same buffer.
/// - hiddenOut: h = o ⊙ tanh(c), row r at `hiddenOut + r * hiddenStride` (default H).
/// - tanhCell: dense [b × H], receives tanh(c) for the backward pass; may be nil.
public func lstmCellForward(
    batch b: Int, hidden h: Int, gates: UnsafeMutablePointer<Float>, gatesStride: Int? = nil,
    cellIn: UnsafePointer<Float>, cellOut: UnsafeMutablePointer<Float>,
    hiddenOut: UnsafeMutablePointer<Float>, hiddenStride: Int? = nil, tanhCell: UnsafeMutablePointer<Float>?
) {
    let ldg = gatesStride ?? 4 * h, ldh = hiddenStride ?? h
    precondition(b >= 0 && h > 0 && ldg >= 4 * h && ldh >= h && ldg <= Int(Int32.max), "bad shape or stride")
    tg_lstm_cell_forward(Int32(b), Int32(h), gates, Int32(ldg), cellIn, cellOut, hiddenOut, Int32(ldh), tanhCell)
}

/// What the kernels run on, for verbose output and tests.
public enum KernelInfo {
    /// Instruction set of the kernels in use: "avx512" (AVX-512F and BW), "avx2", or "portable".
    public static var level: String {
        switch tg_kernel_level() {
        case 1: return "avx512"
        case 2: return "avx2"
        default: return "portable"
        }
    }

    /// Forces a kernel path (tests): nil for automatic, "portable", "avx2" or "avx512"
    /// (ignored when the CPU lacks it). Process-wide; not for use while products run.
    public static func force(_ level: String?) {
        switch level {
        case "portable": tg_force_level(0)
        case "avx512": tg_force_level(1)
        case "avx2": tg_force_level(2)
        default: tg_force_level(-1)
        }
    }

    /// Whether the CPU has the instructions of a kernel path ("avx512", "avx2"; "portable" always).
    public static func supports(_ level: String) -> Bool {
        switch level {
        case "avx512": return tg_cpu_level() == 1
        case "avx2": return tg_cpu_level() != 0
        default: return true
        }
    }

    /// Online processors.
    public static var processors: Int { Int(tg_processor_count()) }
}
