// Room: a small, deterministic room reverb for the stereo mix: six early reflections per side
// at different delays, then a four-line feedback delay network (Hadamard mixing, damped loops,
// RT60 0.8 s) whose lines are tapped differently for left and right. The two channels come
// out decorrelated, as from two ears in a room; no randomness, so the same input gives the
// same samples. Cost: about 30 multiply-adds a frame.

import Foundation

/// A stereo room reverb applied in place to interleaved stereo samples.
struct Room {
    /// Reverberation time to −60 dB, seconds.
    static let rt60 = 0.8
    /// Wet level relative to the dry signal (linear): early reflections and the diffuse tail.
    static let earlyLevel: Float = 0.35
    static let tailLevel: Float = 0.25
    /// Delay-line lengths at 44.1 kHz (mutually prime, 29–47 ms) and early reflection taps (ms)
    /// with their gains: left and right taps differ, which is what makes the channels differ.
    static let lineLengths = [1291, 1543, 1801, 2069]
    static let leftTaps: [(ms: Double, gain: Float)] = [(7.1, 0.60), (11.3, -0.45), (17.9, 0.38), (23.3, -0.30), (31.7, 0.24), (41.3, 0.18)]
    static let rightTaps: [(ms: Double, gain: Float)] = [(8.9, 0.60), (13.7, -0.45), (19.1, 0.38), (26.9, -0.30), (35.3, 0.24), (44.9, 0.18)]

    /// Adds the room to `samples` (interleaved stereo, `frames` frames) at `sampleRate`.
    static func apply(_ samples: inout [Float], frames: Int, sampleRate: Int) {
        guard frames > 0 else { return }
        let scale = Double(sampleRate) / 44_100
        let lengths = lineLengths.map { max(8, Int((Double($0) * scale).rounded())) }
        let gains = lengths.map { Float(pow(10, -3 * Double($0) / (rt60 * Double(sampleRate)))) }
        let lt = leftTaps.map { (max(1, Int($0.ms * Double(sampleRate) / 1000)), $0.gain * earlyLevel) }
        let rt = rightTaps.map { (max(1, Int($0.ms * Double(sampleRate) / 1000)), $0.gain * earlyLevel) }
        let historySize = 1 << Int(ceil(log2(Double((lt + rt).map(\.0).max()! + 1))))
        let hmask = historySize - 1
        var history = [Float](repeating: 0, count: historySize)
        // The four delay lines, end to end in one buffer.
        var lines = [Float](repeating: 0, count: lengths.reduce(0, +))
        var idx = [Int](repeating: 0, count: 4)
        var lp = [Float](repeating: 0, count: 4)
        let damp: Float = 0.35
        let g0 = gains[0], g1 = gains[1], g2 = gains[2], g3 = gains[3]
        let n0 = lengths[0], n1 = lengths[1], n2 = lengths[2], n3 = lengths[3]
        let tail = tailLevel
        samples.withUnsafeMutableBufferPointer { x in
            history.withUnsafeMutableBufferPointer { h in
                lines.withUnsafeMutableBufferPointer { d in
                    let d0 = d.baseAddress!, d1 = d0 + n0, d2 = d1 + n1, d3 = d2 + n2
                    var i0 = idx[0], i1 = idx[1], i2 = idx[2], i3 = idx[3]
                    var l0 = lp[0], l1 = lp[1], l2 = lp[2], l3 = lp[3]
                    for f in 0..<frames {
                        let left = x[2 * f], right = x[2 * f + 1]
                        let input = 0.5 * (left + right)
                        h[f & hmask] = input
                        var el: Float = 0, er: Float = 0
                        for (d, g) in lt { el += g * h[(f - d) & hmask] }
                        for (d, g) in rt { er += g * h[(f - d) & hmask] }
                        // Damped line outputs (one-pole low-pass in each loop: walls absorb highs).
                        let o0 = d0[i0], o1 = d1[i1], o2 = d2[i2], o3 = d3[i3]
                        l0 += (1 - damp) * (o0 - l0); l1 += (1 - damp) * (o1 - l1)
                        l2 += (1 - damp) * (o2 - l2); l3 += (1 - damp) * (o3 - l3)
                        // Hadamard mix (orthogonal, /2), loop gain per line, input fed with the early sum.
                        let s = 0.25 * (el + er)
                        let a = 0.5 * (l0 + l1 + l2 + l3), b = 0.5 * (l0 - l1 + l2 - l3)
                        let c = 0.5 * (l0 + l1 - l2 - l3), e = 0.5 * (l0 - l1 - l2 + l3)
                        d0[i0] = g0 * a + s; d1[i1] = g1 * b - s
                        d2[i2] = g2 * c + s; d3[i3] = g3 * e - s
                        i0 += 1; if i0 == n0 { i0 = 0 }
                        i1 += 1; if i1 == n1 { i1 = 0 }
                        i2 += 1; if i2 == n2 { i2 = 0 }
                        i3 += 1; if i3 == n3 { i3 = 0 }
                        x[2 * f] = left + el + tail * (l0 - l2 + 0.5 * l1)
                        x[2 * f + 1] = right + er + tail * (l1 - l3 + 0.5 * l2)
                    }
                    idx = [i0, i1, i2, i3]
                    lp = [l0, l1, l2, l3]
                }
            }
        }
    }
}
