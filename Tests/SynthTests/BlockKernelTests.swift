// The synthesizer's block-wise loops against plain frame-by-frame twins: the plucked string's
// all-pass solved eight frames at a time, the oscillator's fixed-point phases and table pairs, the
// release ramp, the room fed in pieces and its C loops with and without AVX2, and the streamed mix
// against a whole-buffer render.

import XCTest
import ABCNotation
@testable import Synth

final class BlockKernelTests: XCTestCase {
    /// The Karplus–Strong loop one frame at a time, as written before the block form.
    static func plainString(line: [Float], c: Float, half: Float, chunks: [Int]) -> [Float] {
        var line = line
        var idx = 0, prev: Float = 0, apIn: Float = 0, apOut: Float = 0
        var out: [Float] = []
        for count in chunks {
            for _ in 0..<count {
                let x = line[idx]
                out.append(x)
                let avg = half * (x + prev)
                let ap = c * avg + apIn - c * apOut
                apIn = avg; apOut = ap
                line[idx] = ap
                prev = x
                idx += 1
                if idx == line.count { idx = 0 }
            }
        }
        return out
    }

    func testPluckedStringMatchesThePlainRecurrence() {
        var rng = SplitMix64(seed: 7)
        // Line lengths from the shortest (2) to a low string; chunks of odd sizes so runs end
        // everywhere: before eight frames, mid-block, at the line's wrap.
        for n in [2, 3, 7, 8, 9, 16, 17, 61, 100, 1_003] {
            for c: Float in [-0.05, 0.3, 0.82] {
                let line = (0..<n).map { _ in rng.nextSigned() }
                let chunks = [1, 7, 8, 9, 4_096, 13, 2_000, 31]
                let plain = Self.plainString(line: line, c: c, half: 0.4995, chunks: chunks)
                var string = NoteRenderer.PluckedString(n: n, c: c, half: 0.4995)
                var l = line
                var out = [Float](repeating: 0, count: NoteRenderer.chunk)
                var work = [Float](repeating: 0, count: NoteRenderer.chunk)
                var fast: [Float] = []
                for count in chunks {
                    out.withUnsafeMutableBufferPointer { o in
                        l.withUnsafeMutableBufferPointer { lp in
                            work.withUnsafeMutableBufferPointer { string.run(o, count: count, line: lp, work: $0.baseAddress!) }
                        }
                    }
                    fast += out[0..<count]
                }
                XCTAssertEqual(fast.count, plain.count)
                let scale = plain.map(abs).max()!
                var worst: Float = 0
                for i in plain.indices { worst = max(worst, abs(fast[i] - plain[i])) }
                XCTAssertLessThanOrEqual(worst, 2e-6 * scale, "n \(n), c \(c)")
                // Not trivial: the string rings and loses energy.
                let late = plain.suffix(500).map(abs).max()!
                XCTAssertGreaterThan(late, 0, "n \(n), c \(c)")
            }
        }
    }

    /// A voice with no vibrato and no noise: the oscillator is the table read at phases k · inc
    /// (32-bit fixed point), interpolated between the pair's value and slope.
    func testOscillatorReadsTheTableAtFixedPointPhases() {
        var voice = NoteRenderer.voicing(.whistle)
        voice.noise = 0; voice.burst = 0; voice.vibratoDepth = 0
        // A plain sine as (value, slope) pairs, the layout NoteRenderer's tables have.
        let size = NoteRenderer.tableSize
        var table = [Float](repeating: 0, count: 2 * size)
        for i in 0..<size {
            let v = Float(sin(2 * Double.pi * Double(i) / Double(size)))
            let w = Float(sin(2 * Double.pi * Double((i + 1) % size) / Double(size)))
            table[2 * i] = v; table[2 * i + 1] = w - v
        }
        let f = 440.0
        var osc = NoteRenderer.Oscillator(table: table, frequency: f, rate: 44_100, level: 0.5, voice: voice,
                                          bite: 1, vibratoDelay: 0, rng: SplitMix64(seed: 3))
        var out = [Float](repeating: 0, count: 4_096)
        var got: [Float] = []
        for count in [4_096, 4_096, 1_000] {
            out.withUnsafeMutableBufferPointer { osc.run($0, count: count) }
            got += out[0..<count]
        }
        let inc = UInt32((f / 44_100 * 4_294_967_296).rounded())
        var phase: UInt32 = 0
        var worst: Float = 0
        var mismatches = 0
        for k in got.indices {
            let i = Int(phase >> 21)
            let frac = Float(Int32(phase & 0x1F_FFFF)) * (1 / Float(1 << 21))
            let plain = (table[2 * i] + frac * table[2 * i + 1]) * 0.5
            if got[k] != plain { mismatches += 1 }
            worst = max(worst, abs(got[k] - 0.5 * Float(sin(2 * Double.pi * f * Double(k) / 44_100))))
            phase &+= inc
        }
        XCTAssertEqual(mismatches, 0)
        // And it is the sine it should be: linear interpolation of a 2048-point sine is within
        // 1.2e-6 of it (π²/2 / 2048², times the level), plus the phase's rounding.
        XCTAssertLessThan(worst, 2e-5)
    }

    func testVibratoPhasorKeepsItsRateAndStaysOnTheUnitCircle() {
        // The phasor the oscillator uses for its vibrato, run for ten minutes of blocks.
        let voice = NoteRenderer.voicing(.bowed)
        let osc = NoteRenderer.Oscillator(table: [0, 0], frequency: 440, rate: 44_100, level: 1, voice: voice,
                                          bite: 1, vibratoDelay: 0, rng: SplitMix64(seed: 0))
        var c = 1.0, s = 0.0, worst = 0.0
        let blocks = 600 * 44_100 / 8
        for b in 1...blocks {
            let nc = c * osc.vibCos - s * osc.vibSin, ns = s * osc.vibCos + c * osc.vibSin
            let g = 1.5 - 0.5 * (nc * nc + ns * ns)
            c = nc * g; s = ns * g
            if b % 997 == 0 || b == blocks {
                let exact = sin(2 * Double.pi * voice.vibratoRate * Double(8 * b) / 44_100)
                worst = max(worst, abs(s - exact))
            }
        }
        XCTAssertLessThan(worst, 1e-9)   // -180 dB against the vibrato's own amplitude
    }

    func testReleaseRampMatchesItsFormula() {
        for (noteFrames, releaseFrames) in [(10, 7), (100, 1_323), (5_000, 13_230), (3, 1)] {
            let env = Envelope(attack: 0.004, decay: 0.01, sustain: 0.7, noteFrames: noteFrames,
                               releaseFrames: releaseFrames, rate: 44_100)
            let total = noteFrames + releaseFrames
            var x = [Float](repeating: 1, count: total)
            var from = 0
            for piece in [5, 4_096, 17, 100_000] where from < total {
                let n = min(piece, total - from)
                x.withUnsafeMutableBufferPointer { p in
                    let slice = UnsafeMutableBufferPointer(rebasing: p[from..<(from + n)])
                    env.apply(slice, from: from, count: n)
                }
                from += n
            }
            let step = env.releaseStart / Float(max(1, releaseFrames))
            for i in 0..<total {
                let plain = i < noteFrames ? env.gain(at: i) : max(0, env.releaseStart - Float(i - noteFrames + 1) * step)
                XCTAssertEqual(x[i], plain, accuracy: 1e-6, "frame \(i) of \(noteFrames)+\(releaseFrames)")
            }
            XCTAssertEqual(x[total - 1], 0, accuracy: 1e-6)
        }
    }

    func testRoomFedInPiecesIsTheRoomFedWhole() {
        let frames = 3 * 44_100 + 11
        let x = RoomTests.input(frames: frames, seed: 5)
        var whole = x
        let wholeReading = Room.apply(&whole, frames: frames, sampleRate: 44_100)
        let left = (0..<frames).map { x[2 * $0] }, right = (0..<frames).map { x[2 * $0 + 1] }
        var room = Room(sampleRate: 44_100)
        var pieces = [Float](repeating: 0, count: 2 * frames)
        var mono = [Float](repeating: 0, count: frames)
        var monoRoom = Room(sampleRate: 44_100)
        var f = 0, k = 0
        let sizes = [1, 7, 1_291, 5_000, 3, 64, 44_100]
        while f < frames {
            let n = min(sizes[k % sizes.count], frames - f)
            left.withUnsafeBufferPointer { l in right.withUnsafeBufferPointer { r in
                pieces.withUnsafeMutableBufferPointer {
                    room.process(left: l.baseAddress! + f, right: r.baseAddress! + f, count: n, into: $0.baseAddress! + 2 * f, channels: 2)
                }
                mono.withUnsafeMutableBufferPointer {
                    monoRoom.process(left: l.baseAddress! + f, right: r.baseAddress! + f, count: n, into: $0.baseAddress! + f, channels: 1)
                }
            }}
            f += n; k += 1
        }
        XCTAssertEqual(pieces.map(\.bitPattern), whole.map(\.bitPattern))
        XCTAssertEqual(room.reading.peak, wholeReading.peak)
        XCTAssertTrue(room.reading.finite)
        XCTAssertTrue(mono == (0..<frames).map { 0.5 * (whole[2 * $0] + whole[2 * $0 + 1]) })
        XCTAssertEqual(monoRoom.reading.peak, mono.map(abs).max()!)
    }

    func testRoomGivesTheSameBitsWithAndWithoutAVX2() throws {
        guard Room.kernelLevel == 2 else { throw XCTSkip("this CPU has no AVX2: there is only the baseline build to run") }
        for (rate, frames) in [(44_100, 3 * 44_100 + 5), (8_000, 8_003), (96_000, 9_601)] {
            let x = RoomTests.input(frames: frames, seed: UInt64(frames))
            var wide = x, base = x
            let wideReading = Room.apply(&wide, frames: frames, sampleRate: rate)
            Room.useBaselineKernels(true)
            defer { Room.useBaselineKernels(false) }
            XCTAssertEqual(Room.kernelLevel, 0)
            let baseReading = Room.apply(&base, frames: frames, sampleRate: rate)
            Room.useBaselineKernels(false)
            XCTAssertTrue(wide.map(\.bitPattern) == base.map(\.bitPattern), "\(rate) Hz")
            XCTAssertEqual(wideReading.peak, baseReading.peak)
            XCTAssertNotEqual(wide, x)
        }
    }

    func testPluckedStringGivesTheSameBitsWithAndWithoutAVX2() throws {
        guard Room.kernelLevel == 2 else { throw XCTSkip("this CPU has no AVX2: there is only the baseline build to run") }
        func ring(baseline: Bool) -> [Float] {
            Room.useBaselineKernels(baseline)
            defer { Room.useBaselineKernels(false) }
            var rng = SplitMix64(seed: 11)
            var line = (0..<1_003).map { _ in rng.nextSigned() }
            var string = NoteRenderer.PluckedString(n: line.count, c: 0.6, half: 0.4995)
            var out = [Float](repeating: 0, count: NoteRenderer.chunk), work = out
            var all: [Float] = []
            for count in [4_096, 17, 4_000] {
                out.withUnsafeMutableBufferPointer { o in
                    line.withUnsafeMutableBufferPointer { l in
                        work.withUnsafeMutableBufferPointer { string.run(o, count: count, line: l, work: $0.baseAddress!) }
                    }
                }
                all += out[0..<count]
            }
            return all
        }
        let wide = ring(baseline: false), base = ring(baseline: true)
        XCTAssertTrue(wide.map(\.bitPattern) == base.map(\.bitPattern))
    }

    func testMixWindowKeepsOpenFramesWhenItMovesAndGrows() {
        let w = MixWindow(channels: 2, capacity: 8)
        w.reserve(keep: 0, upTo: 6)
        for f in 0..<6 { w.pointer(channel: 0, frame: f).pointee = Float(f); w.pointer(channel: 1, frame: f).pointee = -Float(f) }
        w.reserve(keep: 4, upTo: 12)     // moves: frames 4, 5 kept, 6..<12 zeroed
        XCTAssertEqual(w.start, 4)
        XCTAssertEqual(w.pointer(channel: 0, frame: 5).pointee, 5)
        XCTAssertEqual(w.pointer(channel: 1, frame: 4).pointee, -4)
        XCTAssertEqual(w.pointer(channel: 1, frame: 11).pointee, 0)
        w.pointer(channel: 0, frame: 11).pointee = 11
        w.reserve(keep: 5, upTo: 40)     // grows past double: frames 5..<12 kept
        XCTAssertGreaterThanOrEqual(w.capacity, 35)
        XCTAssertEqual(w.pointer(channel: 0, frame: 5).pointee, 5)
        XCTAssertEqual(w.pointer(channel: 0, frame: 11).pointee, 11)
        XCTAssertEqual(w.pointer(channel: 1, frame: 5).pointee, -5)
        XCTAssertEqual(w.pointer(channel: 0, frame: 39).pointee, 0)
    }

    /// The render as it was before streaming: every note summed into a whole-length interleaved
    /// buffer, the room over all of it, then the level stage.
    static func wholeBufferRender(_ score: Score, options o: RenderOptions) throws -> [Float] {
        var warnings: [String] = []
        let end = try Synthesizer.validate(score, limits: o.limits, warnings: &warnings)
        var segments = Synthesizer.segments(for: score, options: o, warnings: &warnings)
        segments.sort { ($0.start, $0.voice, $0.pitch) < ($1.start, $1.voice, $1.pitch) }
        let rate = Double(o.sampleRate)
        let frames = Int((end * rate).rounded()) + Int((o.tail * rate).rounded())
        let channels = o.room ? 2 : o.channels
        let positions = Synthesizer.positions(score: score, options: o)
        var out = [Float](repeating: 0, count: frames * channels)
        var renderer = NoteRenderer(sampleRate: o.sampleRate, seed: o.seed)
        for seg in segments {
            let start = Int((seg.start * rate).rounded())
            guard start < frames else { continue }
            let release: Double = switch seg.sound { case .instrument(let i): i.releaseSeconds; case .pad: 0.3 }
            let p = seg.voice < 0 ? 0 : positions[seg.voice]
            let angle = (p + 1) * Double.pi / 4
            let (gl, gr) = channels == 2 ? (Float(cos(angle)), Float(sin(angle))) : (1, 0)
            var (dl, dr) = (0, 0)
            if o.room, o.channels == 2, seg.voice >= 0 {
                let d = Int((abs(p) * Synthesizer.spacedPairSeconds * rate).rounded())
                (dl, dr) = p < 0 ? (0, d) : (d, 0)
            }
            renderer.render(sound: seg.sound, pitch: seg.pitch, noteFrames: max(1, Int((seg.duration * rate).rounded())),
                            releaseFrames: Int((release * rate).rounded()), level: seg.level, noiseKey: seg.key) { src, offset in
                for i in 0..<src.count {
                    let f = start + offset + i
                    if channels == 1 {
                        if f < frames { out[f] += src[i] }
                    } else {
                        if f + dl < frames { out[2 * (f + dl)] += gl * src[i] }
                        if f + dr < frames { out[2 * (f + dr) + 1] += gr * src[i] }
                    }
                }
            }
        }
        if o.room {
            Room.apply(&out, frames: frames, sampleRate: o.sampleRate)
            if o.channels == 1 { out = (0..<frames).map { 0.5 * (out[2 * $0] + out[2 * $0 + 1]) } }
        }
        _ = Synthesizer.normalise(&out, to: RenderOptions.targetPeak)
        return out
    }

    func testStreamedMixIsTheWholeBufferRender() throws {
        // Two voices, chords, a note held for 1.5 s (longer than the window's first 32,768 frames,
        // so it grows) and a run of short overlapping notes, in every channel layout.
        var melody: [NoteEvent] = [NoteEvent(pitch: 62, onset: 0, duration: 3, velocity: 90)]
        for k in 0..<16 { melody.append(NoteEvent(pitch: 64 + k % 7, onset: 3 + Double(k) * 0.25, duration: 0.25, velocity: 70 + k)) }
        let bass = (0..<4).map { NoteEvent(pitch: 43 + $0 % 3, onset: Double($0) * 2, duration: 2, velocity: 80) }
        let score = Score(voices: [VoiceEvents(id: "1", name: "M", notes: melody,
                                               chordSymbols: [ChordSymbolEvent(name: "G", onset: 0, duration: 8)]),
                                   VoiceEvents(id: "2", name: "B", notes: bass)],
                          tempos: [TempoChange(onset: 0, quarterNotesPerMinute: 120)], totalBeats: 8)
        for instrument in [Instrument.plucked, .bowed] {
            for (room, channels) in [(true, 2), (true, 1), (false, 2), (false, 1)] {
                var o = RenderOptions(instrument: instrument, channels: channels, chords: true, seed: 4, room: room)
                o.accompanimentVoiceID = "2"
                let streamed = try Synthesizer(options: o).render(score).buffer.samples
                let whole = try Self.wholeBufferRender(score, options: o)
                XCTAssertEqual(streamed.count, whole.count)
                XCTAssertTrue(streamed.map(\.bitPattern) == whole.map(\.bitPattern),
                              "\(instrument), room \(room), \(channels) channels")
            }
        }
    }
}
