// SeededGenerator: the one source of randomness in CharModel (init, batches, dropout, sampling).
// xoshiro256** seeded through splitmix64; its four words of state can be read and restored so a
// resumed run draws exactly the numbers the uninterrupted run would have drawn.

/// Deterministic xoshiro256** generator. Always passed `inout`; never global.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The four 64-bit state words. Restoring a saved value resumes the stream exactly.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "SeededGenerator state has 4 words")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
            if s0 | s1 | s2 | s3 == 0 { s0 = 1 } // the all-zero state is a fixed point
        }
    }

    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds all four words from `seed` with splitmix64 (never all zero).
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// Restores a generator from `state` (4 words).
    public init(state: [UInt64]) {
        (s0, s1, s2, s3) = (0, 0, 0, 0)
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform Float in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
