// Elementwise: exp, sigmoid and tanh for the LSTM cell and the output softmax, each defined
// once, on eight lanes; the scalar functions are lane 0 of the eight-lane ones, so a scalar tail
// computes exactly what a full lane does. The formulas are those of the C cell in CKernels
// (kernels.c): its portable path gives the same bits, its AVX-512 path (fused multiply-adds, n
// rounded down from x·log2e + ½) agrees within a few ulp (LinalgTests/ElementwiseTests).
import Foundation

public enum Elementwise {
    /// Eight floats from `p` (any alignment).
    @inlinable @inline(__always)
    public static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores eight floats at `p` (any alignment).
    @inlinable @inline(__always)
    public static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// e^x, lane-wise, without libm: Cephes's expf. x is clamped to [−87, 88] (NaN stays NaN);
    /// n = x·log2e rounded to the nearest integer (adding 1.5·2²³ leaves n in the low mantissa
    /// bits); r = x − n·ln2 with ln2 in two parts; e^r by a degree-6 polynomial; 2ⁿ built in the
    /// exponent bits. Relative error ≤ 2e-7; finite and positive for every non-NaN input.
    @inlinable @inline(__always)
    public static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let x = v.replacing(with: -87, where: v .< -87).replacing(with: 88, where: v .> 88)
        let shifted = x * 1.442_695_04 + 12_582_912.0
        let n = shifted - 12_582_912.0
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((bits &- 0x4B40_0000 &+ 127) &<< 23, to: SIMD8<Float>.self)
        return y * scale
    }

    /// 1 / (1 + e^(−x)), lane-wise; finite for every finite x (exactly 0 or 1 only far out).
    @inlinable @inline(__always)
    public static func sigmoid(_ v: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-v))
    }

    /// tanh, lane-wise: Cephes's tanhf. For |x| < 0.625 the odd polynomial x + x·z·P(z), z = x²;
    /// above, 1 − 2 / (e^(2|x|) + 1) with the sign of x. Both are computed and one selected, so
    /// loops vectorize. Absolute error < 2e-7, relative < 1e-6.
    @inlinable @inline(__always)
    public static func tanh(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let vb = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(vb & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let z = v * v
        var y = SIMD8<Float>(repeating: -5.704_988_727_45e-3)
        y = y * z + 2.063_908_879_54e-2
        y = y * z - 5.373_971_555_31e-2
        y = y * z + 1.333_144_220_36e-1
        y = y * z - 3.333_328_194_22e-1
        let small = y * z * v + v
        let t = 1 - 2 / (exp(a + a) + 1)
        let large = unsafeBitCast(unsafeBitCast(t, to: SIMD8<UInt32>.self) | (vb & 0x8000_0000), to: SIMD8<Float>.self)
        return large.replacing(with: small, where: a .< 0.625)
    }

    /// Scalar e^x: lane 0 of `exp(_: SIMD8<Float>)`.
    @inlinable @inline(__always)
    public static func exp(_ v: Float) -> Float { exp(SIMD8(repeating: v))[0] }

    /// Scalar sigmoid: lane 0 of `sigmoid(_: SIMD8<Float>)`.
    @inlinable @inline(__always)
    public static func sigmoid(_ v: Float) -> Float { sigmoid(SIMD8(repeating: v))[0] }

    /// Scalar tanh: lane 0 of `tanh(_: SIMD8<Float>)`.
    @inlinable @inline(__always)
    public static func tanh(_ v: Float) -> Float { tanh(SIMD8(repeating: v))[0] }

    /// q[0..<n] = softmax(z[0..<n] / temperature) = e^((z − max)/t) / Σ e^((z − max)/t), stable
    /// for any finite logits (temperature > 0; 1 divides by nothing). Returns the max of z and the
    /// sum, so a caller forms log Σ e^z = log(sum) + max at temperature 1. Exponentials eight at a
    /// time, the sum in index order. `q` may be `z`. Cost: n exps. The one softmax of the project:
    /// training's cross-entropy and the sampler both use it.
    @inlinable
    @discardableResult
    public static func softmax(_ z: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>, count n: Int,
                               temperature t: Float = 1) -> (max: Float, sum: Float) {
        var mx = -Float.infinity
        for j in 0 ..< n { mx = max(mx, z[j]) }
        let m8 = SIMD8(repeating: mx), t8 = SIMD8(repeating: t)
        var j = 0
        while j + 8 <= n {
            store8(exp(t == 1 ? load8(z + j) - m8 : (load8(z + j) - m8) / t8), q + j)
            j += 8
        }
        while j < n {
            q[j] = exp(t == 1 ? z[j] - mx : (z[j] - mx) / t)
            j += 1
        }
        var sum: Float = 0
        for k in 0 ..< n { sum += q[k] }
        let inv = 1 / sum
        for k in 0 ..< n { q[k] *= inv }
        return (mx, sum)
    }
}
