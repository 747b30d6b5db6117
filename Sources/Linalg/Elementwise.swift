// Elementwise: the nonlinearities of the LSTM and the output softmax, in place over raw
// float runs. Softmax and log-softmax subtract the row maximum first (stable for any logits).
import Foundation

public enum Elementwise {
    /// x ← 1 / (1 + e^(−x)), n floats.
    @inlinable
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0 ..< n { x[i] = sigmoid(x[i]) }
    }

    /// e^x without libm: Cephes's expf (range reduction by ln 2 in two parts, degree-6
    /// polynomial) made branch-free so loops over it vectorize. Relative error ≤ 2e-7 on
    /// [−87, 88]; the input is clamped there, so the result is always finite and positive.
    @inlinable @inline(__always)
    public static func exp(_ v: Float) -> Float {
        let x = min(max(v, -87.0), 88.0)
        // Round x·log2(e) to the nearest integer n by adding 1.5·2²³; n sits in the low mantissa bits.
        let shifted = x * 1.442_695_04 + 12_582_912.0
        let n = shifted - 12_582_912.0
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return y * scale
    }

    /// 1 / (1 + e^(−x)); branch-free, finite for every finite x (exactly 0 or 1 only far out).
    @inlinable @inline(__always)
    public static func sigmoid(_ v: Float) -> Float {
        1 / (1 + exp(-v))
    }

    /// x ← tanh(x), n floats.
    @inlinable
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0 ..< n { x[i] = tanh(x[i]) }
    }

    /// tanh through one `exp`: (1 − e^(−2|x|)) / (1 + e^(−2|x|)) with the sign of x, and a
    /// Taylor polynomial near 0 where that form would cancel; both computed and one selected,
    /// so loops vectorize. Absolute error < 2e-7 everywhere, relative < 1e-6 near 0.
    @inlinable @inline(__always)
    public static func tanh(_ v: Float) -> Float {
        let a = abs(v)
        let v2 = v * v
        let small = a * (1 - v2 * (1.0 / 3.0 - v2 * (2.0 / 15.0)))
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let r = a < 0.04 ? small : large
        return Float(sign: v.sign, exponentBitPattern: r.exponentBitPattern, significandBitPattern: r.significandBitPattern)
    }

    /// Row-wise softmax in place over `rows × cols` floats (row stride `cols`).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0 ..< rows {
            let row = x + r * cols
            var mx = -Float.infinity
            for j in 0 ..< cols { mx = max(mx, row[j]) }
            var sum: Float = 0
            for j in 0 ..< cols {
                let e = exp(row[j] - mx)
                row[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0 ..< cols { row[j] *= inv }
        }
    }

    /// Row-wise log-softmax in place: x − max − log Σ e^(x − max).
    public static func logSoftmax(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0 ..< rows {
            let row = x + r * cols
            var mx = -Float.infinity
            for j in 0 ..< cols { mx = max(mx, row[j]) }
            var sum: Float = 0
            for j in 0 ..< cols { sum += expf(row[j] - mx) }
            let logSum = logf(sum)
            // (x − max) first: subtracting max + logSum as one number loses digits when max is large.
            for j in 0 ..< cols { row[j] = (row[j] - mx) - logSum }
        }
    }

    /// Array conveniences (allocate; for tests and one-off use, not inner loops).
    public static func softmax(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { softmax($0.baseAddress!, rows: 1, cols: $0.count) }
        return y
    }

    public static func logSoftmax(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { logSoftmax($0.baseAddress!, rows: 1, cols: $0.count) }
        return y
    }
}
