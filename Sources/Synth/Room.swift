// Room: a small, deterministic room reverb for the stereo mix: six early reflections per side
// at different delays, then a four-line feedback delay network (Hadamard mixing, damped loops,
// RT60 0.8 s) whose lines are tapped differently for left and right. The two channels come
// out decorrelated, as from two ears in a room; no randomness, so the same input gives the
// same samples. The signal is processed in blocks no longer than the shortest delay line, so
// nothing read in a block was written in it and every loop runs over eight frames at a time
// (SIMD8) with no dependency from one frame to the next. It streams: the synthesizer hands it
// each stretch of the dry mix as soon as no note can still add to it, while it is in cache.

import CSynthKernels
import Foundation

/// A stereo room reverb: planar dry frames in, piece by piece, the dry signal plus the room out
/// (interleaved stereo or mono).
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

    /// The room at one sample rate, in frames.
    struct Geometry {
        /// Delay-line lengths (4) and the gain each line's loop applies per pass (RT60).
        let lengths: [Int]
        let gains: [Float]
        /// Early reflections per side (left, right): delay in frames (≥ 1) and gain (× `earlyLevel`).
        let taps: [[(delay: Int, gain: Float)]]
        /// The longest tap delay.
        let longest: Int

        init(sampleRate: Int) {
            let scale = Double(sampleRate) / 44_100
            lengths = Room.lineLengths.map { max(8, Int((Double($0) * scale).rounded())) }
            gains = lengths.map { Float(pow(10, -3 * Double($0) / (Room.rt60 * Double(sampleRate)))) }
            func frames(_ t: [(ms: Double, gain: Float)]) -> [(delay: Int, gain: Float)] {
                t.map { (max(1, Int($0.ms * Double(sampleRate) / 1000)), $0.gain * Room.earlyLevel) }
            }
            taps = [frames(Room.leftTaps), frames(Room.rightTaps)]
            longest = taps.flatMap { $0.map(\.delay) }.max()!
        }
    }

    /// 2 when the synth's C loops (CSynthKernels: the room's and the plucked string's) run with
    /// AVX2, 0 for the baseline x86-64 build.
    static var kernelLevel: Int { Int(tg_room_kernel_level()) }

    /// For tests: the baseline build of those loops whatever the CPU has (true), or as it allows.
    static func useBaselineKernels(_ on: Bool) { tg_room_force_level(on ? 0 : -1) }

    /// The room's state between pieces of the signal: the delay network, a window of the dry mix
    /// in mono, scratch for one block, and the peak of everything written so far.
    let geometry: Geometry
    private var network: DelayNetwork?
    private let block: Int
    /// The dry mix in mono, from `geometry.longest` frames before the block (silence before the
    /// start) so every tap reads in bounds; room for eight blocks, then the last `longest` frames
    /// move back to the front (blocks are short where lines wrap: the move happens once in 8+).
    private var history: [Float]
    private var at: Int
    private var scratch: [Float]
    private var meter = PeakMeter()

    init(sampleRate: Int) {
        geometry = Geometry(sampleRate: sampleRate)
        network = DelayNetwork(geometry: geometry)
        block = geometry.lengths.min()!
        history = [Float](repeating: 0, count: geometry.longest + 8 * block)
        at = geometry.longest
        scratch = [Float](repeating: 0, count: 2 * block)
    }

    /// The peak |sample| of the finite samples written so far and whether all were finite (see
    /// `PeakMeter`), for the level stage.
    var reading: (peak: Float, finite: Bool) { meter.reading }

    /// Adds the room to the next `count` frames of the dry signal, `left` and `right` (planar), and
    /// writes the result to `out`: interleaved stereo (`channels` 2) or its mono mix (1,
    /// (left + right) / 2 after the room). Feeding a signal in pieces of any length gives the same
    /// samples as feeding it whole.
    /// Per block: the dry mix in mono → early reflections → in one loop, each line's output
    /// low-passed, the Hadamard mix fed back into the lines with the input, both sides written.
    /// Cost: about 25 multiply-adds a frame, in SIMD loops over blocks that stay in cache.
    mutating func process(left: UnsafePointer<Float>, right: UnsafePointer<Float>, count: Int,
                          into out: UnsafeMutablePointer<Float>, channels: Int) {
        precondition(channels == 1 || channels == 2, "Room.process: \(channels) channels")
        guard count > 0 else { return }
        let block = self.block, longest = geometry.longest
        let delays = geometry.taps.map { $0.map(\.delay) }, gains = geometry.taps.map { $0.map(\.gain) }
        // The state moves into locals for the loop and back after it (each array stays uniquely
        // referenced, so nothing is copied).
        var network = self.network!, history = self.history, scratch = self.scratch
        self.network = nil; self.history = []; self.scratch = []
        var meter = self.meter, at = self.at
        let capacity = history.count
        history.withUnsafeMutableBufferPointer { h in
        scratch.withUnsafeMutableBufferPointer { s in
            let s = s.baseAddress!, h = h.baseAddress!
            let early = (left: s, right: s + block)   // each side's reflections
            var f = 0
            while f < count {
                let n = network.blockLength(atMost: min(block, count - f))
                if at + n > capacity {
                    h.update(from: h + at - longest, count: longest)
                    at = longest
                }
                let dry = h + at
                Self.monoMix(left + f, right + f, count: n, into: dry)
                Self.reflect(dry, count: n, delays: delays[0], gains: gains[0], into: early.left)
                Self.reflect(dry, count: n, delays: delays[1], gains: gains[1], into: early.right)
                network.step(count: n, dry: (left + f, right + f), early: early, into: out + f * channels,
                             channels: channels, meter: &meter)
                at += n
                f += n
            }
        }}
        self.network = network; self.history = history; self.scratch = scratch
        self.meter = meter; self.at = at
    }

    /// Adds the room to `samples` (interleaved stereo, `frames` frames) at `sampleRate`, in place:
    /// `process` on the whole signal. Returns the peak |sample| of the result's finite samples
    /// (and of any samples after the frames) and whether all are finite.
    @discardableResult
    static func apply(_ samples: inout [Float], frames: Int, sampleRate: Int) -> (peak: Float, finite: Bool) {
        guard frames > 0 else { return (0, true) }
        precondition(samples.count >= 2 * frames, "Room.apply: \(samples.count) samples for \(frames) stereo frames")
        let left = (0..<frames).map { samples[2 * $0] }, right = (0..<frames).map { samples[2 * $0 + 1] }
        var room = Room(sampleRate: sampleRate)
        samples.withUnsafeMutableBufferPointer { room.process(left: left, right: right, count: frames, into: $0.baseAddress!, channels: 2) }
        var meter = room.meter
        for i in 2 * frames..<samples.count { meter.add(samples[i]) }
        return meter.reading
    }

    /// (left + right) / 2 of `count` planar frames into `mono[0..<count]`.
    static func monoMix(_ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, count n: Int,
                        into mono: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= n { store8(0.5 * (load8(left + j) + load8(right + j)), mono + j); j += 8 }
        while j < n { mono[j] = 0.5 * (left[j] + right[j]); j += 1 }
    }

    /// One side's reflections: out[j] = Σ gain_k · dry[j − delay_k], summed from zero in tap order
    /// (`tg_room_reflect`: AVX2 where the CPU has it).
    static func reflect(_ dry: UnsafePointer<Float>, count n: Int, delays: [Int], gains: [Float],
                        into out: UnsafeMutablePointer<Float>) {
        precondition(delays.count == 6 && gains.count == 6, "Room: six taps a side")
        tg_room_reflect(Int32(n), dry, delays, gains, out)
    }

    /// The four delay lines of the feedback network (one buffer, line k from `offsets[k]`), where
    /// each is read and written, and the last sample each put out (for the damping filter across blocks).
    struct DelayNetwork {
        let lengths: [Int]
        let gains: [Float]
        let offsets: [Int]
        var lines: [Float]
        var index = [0, 0, 0, 0]
        var previous = SIMD4<Float>()

        init(geometry: Geometry) {
            lengths = geometry.lengths
            gains = geometry.gains
            offsets = [0, lengths[0], lengths[0] + lengths[1], lengths[0] + lengths[1] + lengths[2]]
            lines = [Float](repeating: 0, count: lengths.reduce(0, +))
        }

        /// The next block's length: at most `limit`, and not crossing any line's wrap-around.
        func blockLength(atMost limit: Int) -> Int {
            var n = limit
            for i in 0..<4 { n = min(n, lengths[i] - index[i]) }
            return n
        }

        /// One block of the network, frame by frame the room's definition: each line's output
        /// low-passed, a · x[j] + b · x[j−1] (walls absorb highs); written back where it was read,
        /// the Hadamard mix of those (orthogonal, /2) times each line's loop gain, plus the input
        /// (a quarter of both sides' reflections) with alternating signs; and the output, the dry
        /// frames plus each side's reflections and tail (left hears lines 0 and 2 and half of 1,
        /// right 1 and 3 and half of 2, at `tailLevel`), interleaved (`channels` 2) or as
        /// (left + right) / 2 (1), every sample then shown to `meter` (from cache). Then every line
        /// moves on `count`. The loop is `tg_room_step` (CSynthKernels): one pass, frames from the
        /// last to the first so x[j−1] is read before it is overwritten, eight frames at a time
        /// with AVX2 where the CPU has it (the baseline x86-64 build has SSE2's eight 128-bit
        /// registers' worth of room only for four, and spilled).
        mutating func step(count n: Int, dry: (UnsafePointer<Float>, UnsafePointer<Float>),
                           early: (left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>),
                           into y: UnsafeMutablePointer<Float>, channels: Int, meter: inout PeakMeter) {
            guard n > 0 else { return }
            let (a, b) = Room.damping
            let g0 = 0.5 * gains[0], g1 = 0.5 * gains[1], g2 = 0.5 * gains[2], g3 = 0.5 * gains[3]
            let before = [previous[0], previous[1], previous[2], previous[3]]
            let o = offsets, at = index
            lines.withUnsafeMutableBufferPointer { d in
                let w0 = d.baseAddress! + o[0] + at[0], w1 = d.baseAddress! + o[1] + at[1]
                let w2 = d.baseAddress! + o[2] + at[2], w3 = d.baseAddress! + o[3] + at[3]
                previous = SIMD4(w0[n - 1], w1[n - 1], w2[n - 1], w3[n - 1])
                tg_room_step(Int32(n), dry.0, dry.1, early.left, early.right, w0, w1, w2, w3, before,
                             a, b, g0, g1, g2, g3, Room.tailLevel, y, Int32(channels))
            }
            var m = meter   // a local copy stays in registers through the loop
            let samples = n * channels
            var j = 0
            while j + 16 <= samples { m.add(load16(y + j)); j += 16 }
            while j < samples { m.add(y[j]); j += 1 }
            meter = m
            for i in 0..<4 { index[i] = (index[i] + n) % lengths[i] }
        }
    }
}
