// Room: a small, deterministic room reverb for the stereo mix: six early reflections per side
// at different delays, then a four-line feedback delay network (Hadamard mixing, damped loops,
// RT60 0.8 s) whose lines are tapped differently for left and right. The two channels come
// out decorrelated, as from two ears in a room; no randomness, so the same input gives the
// same samples. Every loop runs over contiguous blocks no longer than the shortest delay line,
// so none carries a dependency from one frame to the next and the compiler vectorises them.

import Foundation

/// A stereo room reverb applied in place to interleaved stereo samples.
struct Room {
    /// Reverberation time to −60 dB, seconds.
    static let rt60 = 0.8
    /// Wet level relative to the dry signal (linear): early reflections and the diffuse tail.
    static let earlyLevel: Float = 0.35
    static let tailLevel: Float = 0.25
    /// Loop damping: each pass through a delay line is low-passed by (0.7, 0.3) (walls absorb highs).
    static let damping: (Float, Float) = (0.7, 0.3)
    /// Delay-line lengths at 44.1 kHz (mutually prime, 29–47 ms) and early reflection taps (ms)
    /// with their gains: left and right taps differ, which is what makes the channels differ.
    static let lineLengths = [1291, 1543, 1801, 2069]
    static let leftTaps: [(ms: Double, gain: Float)] = [(7.1, 0.60), (11.3, -0.45), (17.9, 0.38), (23.3, -0.30), (31.7, 0.24), (41.3, 0.18)]
    static let rightTaps: [(ms: Double, gain: Float)] = [(8.9, 0.60), (13.7, -0.45), (19.1, 0.38), (26.9, -0.30), (35.3, 0.24), (44.9, 0.18)]

    /// Adds the room to `samples` (interleaved stereo, `frames` frames) at `sampleRate`.
    /// Cost: about 25 multiply-adds a frame, in vectorised loops over blocks that stay in cache;
    /// memory: one mono copy of the input.
    static func apply(_ samples: inout [Float], frames: Int, sampleRate: Int) {
        guard frames > 0 else { return }
        let scale = Double(sampleRate) / 44_100
        let lengths = lineLengths.map { max(8, Int((Double($0) * scale).rounded())) }
        let gains = lengths.map { Float(pow(10, -3 * Double($0) / (rt60 * Double(sampleRate)))) }
        func taps(_ t: [(ms: Double, gain: Float)]) -> [(Int, Float)] {
            t.map { (max(1, Int($0.ms * Double(sampleRate) / 1000)), $0.gain * earlyLevel) }
        }
        let sides = [taps(leftTaps), taps(rightTaps)]
        let longest = sides.flatMap { $0.map(\.0) }.max()!
        // The dry mix in mono, after `longest` frames of silence so every tap reads in bounds.
        var mono = [Float](repeating: 0, count: longest + frames)
        samples.withUnsafeBufferPointer { x in
            mono.withUnsafeMutableBufferPointer { m in
                let dst = m.baseAddress! + longest
                for f in 0..<frames { dst[f] = 0.5 * (x[2 * f] + x[2 * f + 1]) }
            }
        }
        var lines = [Float](repeating: 0, count: lengths.reduce(0, +))
        let block = lengths.min()!
        var scratch = [Float](repeating: 0, count: 11 * block)
        var index = [Int](repeating: 0, count: 4)
        var previous = [Float](repeating: 0, count: 4)
        let (a, b) = damping
        let tail = tailLevel
        samples.withUnsafeMutableBufferPointer { x in
        mono.withUnsafeBufferPointer { m in
        lines.withUnsafeMutableBufferPointer { d in
        scratch.withUnsafeMutableBufferPointer { s in
            let base = [0, lengths[0], lengths[0] + lengths[1], lengths[0] + lengths[1] + lengths[2]].map { d.baseAddress! + $0 }
            let out = (0..<4).map { s.baseAddress! + $0 * block }          // what each line puts out
            let lp = (0..<4).map { s.baseAddress! + (4 + $0) * block }     // ... damped
            let early = (0..<2).map { s.baseAddress! + (8 + $0) * block }  // early reflections, left and right
            let input = s.baseAddress! + 10 * block                         // the network's input
            let dry = m.baseAddress! + longest
            let interleaved = x.baseAddress!
            var f = 0
            while f < frames {
                // A block no longer than the shortest line (so nothing read was written in it)
                // and not crossing any line's wrap-around.
                var n = min(block, frames - f)
                for i in 0..<4 { n = min(n, lengths[i] - index[i]) }
                // Early reflections: delayed, scaled copies of the dry mix, different per side.
                for side in 0..<2 {
                    let e = early[side]
                    for j in 0..<n { e[j] = 0 }
                    for (delay, g) in sides[side] {
                        let src = dry + (f - delay)
                        for j in 0..<n { e[j] += g * src[j] }
                    }
                }
                let el = early[0], er = early[1]
                for j in 0..<n { input[j] = 0.25 * (el[j] + er[j]) }
                for i in 0..<4 {
                    let src = base[i] + index[i], o = out[i], l = lp[i]
                    for j in 0..<n { o[j] = src[j] }
                    l[0] = a * o[0] + b * previous[i]
                    for j in 1..<max(1, n) { l[j] = a * o[j] + b * o[j - 1] }
                    previous[i] = o[n - 1]
                }
                let l0 = lp[0], l1 = lp[1], l2 = lp[2], l3 = lp[3]
                let w0 = base[0] + index[0], w1 = base[1] + index[1], w2 = base[2] + index[2], w3 = base[3] + index[3]
                let g0 = 0.5 * gains[0], g1 = 0.5 * gains[1], g2 = 0.5 * gains[2], g3 = 0.5 * gains[3]
                for j in 0..<n {
                    // Hadamard mix (orthogonal, /2), loop gain per line, the input added with signs.
                    let p = l0[j], q = l1[j], r = l2[j], t = l3[j], v = input[j]
                    w0[j] = g0 * (p + q + r + t) + v
                    w1[j] = g1 * (p - q + r - t) - v
                    w2[j] = g2 * (p + q - r - t) + v
                    w3[j] = g3 * (p - q - r + t) - v
                }
                let y = interleaved + 2 * f
                for j in 0..<n {
                    let p = l0[j], q = l1[j], r = l2[j], t = l3[j]
                    y[2 * j] += el[j] + tail * (p - r + 0.5 * q)
                    y[2 * j + 1] += er[j] + tail * (q - t + 0.5 * r)
                }
                for i in 0..<4 { index[i] = (index[i] + n) % lengths[i] }
                f += n
            }
        }}}}
    }
}
