// Eight-lane versions of the elementwise kernels (exp, sigmoid, tanh) for the LSTM cell.
// Same formulas and the same operation order as the scalar versions in Elementwise.swift, so a
// lane gives bit-for-bit the scalar result; they exist because the compiler does not vectorize
// the scalar loops on its own (it cannot prove the cell's pointers do not alias).

extension Elementwise {
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

    /// Lane-wise `exp(_: Float)`.
    @inlinable @inline(__always)
    public static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let x = pointwiseMin(pointwiseMax(v, SIMD8(repeating: -87.0)), SIMD8(repeating: 88.0))
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

    /// Lane-wise `sigmoid(_: Float)`.
    @inlinable @inline(__always)
    public static func sigmoid(_ v: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-v))
    }

    /// Lane-wise `tanh(_: Float)`.
    @inlinable @inline(__always)
    public static func tanh(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let vb = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(vb & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let v2 = v * v
        let small = a * (1 - v2 * (1.0 / 3.0 - v2 * (2.0 / 15.0)))
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let r = large.replacing(with: small, where: a .< 0.04)
        return unsafeBitCast(unsafeBitCast(r, to: SIMD8<UInt32>.self) | (vb & 0x8000_0000), to: SIMD8<Float>.self)
    }
}
