// Room: the block-wise, SIMD reverb against a plain frame-by-frame twin written from the
// algorithm's definition (delay lines as "what was written N frames ago", no blocks, no ring
// buffers), on noise, clicks and silence, at several rates and lengths.

import XCTest
@testable import Synth

final class RoomTests: XCTestCase {
    /// The room, one frame at a time, straight from its definition: early reflections of the dry
    /// mono mix, four delay lines whose outputs are low-passed, Hadamard-mixed with their loop gains
    /// and fed back with the input, and both added to the dry signal.
    static func slowRoom(_ x: [Float], frames: Int, sampleRate: Int) -> [Float] {
        let rate = Double(sampleRate)
        let lengths = Room.lineLengths.map { max(8, Int((Double($0) * rate / 44_100).rounded())) }
        let loop = lengths.map { Float(pow(10, -3 * Double($0) / (Room.rt60 * rate))) }
        let taps = [Room.leftTaps, Room.rightTaps].map { side in
            side.map { (delay: max(1, Int($0.ms * rate / 1000)), gain: $0.gain * Room.earlyLevel) }
        }
        let (a, b) = Room.damping
        func dry(_ t: Int) -> Float { t < 0 ? 0 : 0.5 * (x[2 * t] + x[2 * t + 1]) }
        var written = [[Float]](repeating: [Float](repeating: 0, count: frames), count: 4)
        func lineOut(_ i: Int, _ t: Int) -> Float { t >= lengths[i] ? written[i][t - lengths[i]] : 0 }
        var y = x
        for t in 0..<frames {
            var early: [Float] = [0, 0]
            for side in 0..<2 {
                for tap in taps[side] { early[side] += tap.gain * dry(t - tap.delay) }
            }
            let input = 0.25 * (early[0] + early[1])
            var lp: [Float] = [0, 0, 0, 0]
            for i in 0..<4 { lp[i] = a * lineOut(i, t) + b * lineOut(i, t - 1) }
            let (p, q, r, s) = (lp[0], lp[1], lp[2], lp[3])
            written[0][t] = 0.5 * loop[0] * (p + q + r + s) + input
            written[1][t] = 0.5 * loop[1] * (p - q + r - s) - input
            written[2][t] = 0.5 * loop[2] * (p + q - r - s) + input
            written[3][t] = 0.5 * loop[3] * (p - q - r + s) - input
            y[2 * t] += early[0] + Room.tailLevel * (p - r + 0.5 * q)
            y[2 * t + 1] += early[1] + Room.tailLevel * (q - s + 0.5 * r)
        }
        return y
    }

    /// Clicks, a burst of seeded noise, a held tone and silence, different in the two channels.
    static func input(frames: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = [Float](repeating: 0, count: 2 * frames)
        for f in 0..<frames {
            let phase = Float(f % 97) / 97
            switch f * 8 / max(1, frames) {
            case 0: x[2 * f] = f % 301 == 0 ? 1 : 0; x[2 * f + 1] = f % 457 == 3 ? -0.8 : 0
            case 1, 2, 3: x[2 * f] = 0.5 * rng.nextSigned(); x[2 * f + 1] = 0.3 * rng.nextSigned()
            case 4, 5: x[2 * f] = 0.4 * (phase - 0.5); x[2 * f + 1] = -0.2 * (phase - 0.5)
            default: break   // silence: the tail rings on alone
            }
        }
        return x
    }

    func testRoomMatchesThePlainFrameByFrameTwin() {
        // Lengths: one frame, less than a block, a few blocks, and past every line's wrap-around
        // many times; odd rates change every delay.
        for (rate, frames) in [(44_100, 1), (44_100, 700), (44_100, 3 * 44_100 + 5), (22_050, 22_050),
                               (8_000, 8_000 + 3), (48_000, 2 * 48_000 + 7), (96_000, 9_601)] {
            let x = Self.input(frames: frames, seed: UInt64(rate + frames))
            var fast = x
            Room.apply(&fast, frames: frames, sampleRate: rate)
            let slow = Self.slowRoom(x, frames: frames, sampleRate: rate)
            var worst: Float = 0
            for i in slow.indices { worst = max(worst, abs(fast[i] - slow[i])) }
            let scale = max(1, slow.map(abs).max()!)
            XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "\(rate) Hz, \(frames) frames")
            XCTAssertTrue(fast.allSatisfy(\.isFinite))
        }
    }

    func testTwinIsNotTrivial() {
        // The comparison above means something only if the room changes the signal a lot: a click
        // comes back on each side at its first tap (7.1 ms left, 8.9 ms right at 44.1 kHz) and the
        // tail still rings half a second later.
        let frames = 44_100
        var x = [Float](repeating: 0, count: 2 * frames)
        x[0] = 1; x[1] = 1
        let y = Self.slowRoom(x, frames: frames, sampleRate: 44_100)
        XCTAssertEqual(y[2 * 313], 0.60 * Room.earlyLevel, accuracy: 1e-6)       // 7.1 ms left
        XCTAssertEqual(y[2 * 313 + 1], 0, accuracy: 1e-9)
        XCTAssertEqual(y[2 * 392 + 1], 0.60 * Room.earlyLevel, accuracy: 1e-6)   // 8.9 ms right
        let late = (22_050..<22_500).map { abs(y[2 * $0]) }.max()!
        XCTAssertGreaterThan(late, 5e-6)   // measured 2.1e-5
        var fast = x
        Room.apply(&fast, frames: frames, sampleRate: 44_100)
        XCTAssertEqual(fast[2 * 313], y[2 * 313], accuracy: 1e-7)
    }
}
