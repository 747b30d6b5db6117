// The level stage (peak normalisation, non-finite guard) against plain per-sample loops, on
// lengths around the 16-sample SIMD width, with NaN and infinities anywhere; and the peak the room
// measures while writing against the peak of what it wrote.

import XCTest
@testable import Synth

final class LevelTests: XCTestCase {
    /// The level stage written as plainly as possible: replace, find the peak, scale and clamp.
    static func slowNormalise(_ x: inout [Float], to target: Float) -> (Float, Int) {
        var replaced = 0
        for i in x.indices where !x[i].isFinite { x[i] = 0; replaced += 1 }
        var peak: Float = 0
        for s in x { peak = max(peak, abs(s)) }
        guard peak > 0 else { return (peak, replaced) }
        let g = target / peak
        for i in x.indices { x[i] = min(target, max(-target, x[i] * g)) }
        return (peak, replaced)
    }

    static func noise(_ count: Int, seed: UInt64, poison: Int) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = (0..<count).map { _ in 3 * rng.nextSigned() }
        for k in 0..<poison where count > 0 {
            x[Int(rng.next() % UInt64(count))] = [Float.nan, .infinity, -.infinity][k % 3]
        }
        return x
    }

    func testNormaliseMatchesThePlainLoopsBitForBit() {
        for count in [0, 1, 15, 16, 17, 31, 33, 1_000, 4_099] {
            for poison in [0, 1, 3] {
                let x = Self.noise(count, seed: UInt64(count * 10 + poison), poison: poison)
                var fast = x, slow = x
                let (fastPeak, fastReplaced) = Synthesizer.normalise(&fast, to: RenderOptions.targetPeak)
                let (slowPeak, slowReplaced) = Self.slowNormalise(&slow, to: RenderOptions.targetPeak)
                XCTAssertEqual(fastPeak, slowPeak, "\(count) samples, \(poison) non-finite")
                XCTAssertEqual(fastReplaced, slowReplaced, "\(count) samples, \(poison) non-finite")
                XCTAssertEqual(fast.map(\.bitPattern), slow.map(\.bitPattern), "\(count) samples, \(poison) non-finite")
                XCTAssertTrue(fast.allSatisfy { $0.isFinite && abs($0) <= RenderOptions.targetPeak })
            }
        }
    }

    func testTheRoomMeasuresThePeakOfWhatItWrites() {
        for (frames, poison) in [(1, 0), (9, 0), (5_000, 0), (5_000, 1), (44_100, 2)] {
            var x = Self.noise(2 * frames, seed: UInt64(frames), poison: poison)
            let measured = Room.apply(&x, frames: frames, sampleRate: 44_100)
            let direct = x.withUnsafeBufferPointer(Synthesizer.peakAndFiniteness)
            XCTAssertEqual(measured.finite, poison == 0, "\(frames) frames")
            XCTAssertEqual(measured.finite, direct.finite, "\(frames) frames")
            if poison == 0 {
                XCTAssertEqual(measured.peak, direct.peak, "\(frames) frames")
                XCTAssertEqual(measured.peak, x.map(abs).max()!, "\(frames) frames")
            }
        }
    }
}
