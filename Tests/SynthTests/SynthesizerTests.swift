// Synthesizer: lengths, pitch, chords, rests, tempo, determinism, level, limits — measured on samples.

import ABCNotation
import XCTest
@testable import Synth

final class SynthesizerTests: XCTestCase {
    let rate = 22_050

    func testQuarterNoteAt60LastsOneSecondPlusTail() throws {
        for instrument in Instrument.allCases {
            let r = try Analysis.render(Analysis.score([(69, 0, 1)]), instrument, rate: rate)
            XCTAssertEqual(r.buffer.frames, rate + rate / 2, "\(instrument)")
            let x = r.buffer.samples
            // Sounding during the note, silent once the release has finished.
            // A pluck decays; the others sustain.
            XCTAssertGreaterThan(x[rate / 2..<rate].map(abs).max()!, instrument == .plucked ? 0.03 : 0.3, "\(instrument)")
            let releaseEnd = rate + Int(instrument.releaseSeconds * Double(rate)) + 1
            XCTAssertTrue(x[releaseEnd...].allSatisfy { $0 == 0 }, "\(instrument) rings past its release")
            XCTAssertLessThanOrEqual(instrument.releaseSeconds, RenderOptions.tailSeconds)
        }
    }

    func testA440MeasuresWithinOneHertzForEachInstrument() throws {
        // The accordion sounds two reeds ±5 cents apart by design (one peak would be either
        // reed): InstrumentTests.testAccordionReedsAreCentredOnThePitch measures their centre.
        for instrument in Instrument.allCases where instrument != .accordion {
            let r = try Analysis.render(Analysis.score([(69, 0, 1)]), instrument, rate: rate)
            let f = Analysis.peakFrequency(r.buffer.samples, range: rate / 10..<rate * 9 / 10, sampleRate: rate, low: 430, high: 450)
            XCTAssertEqual(f, 440, accuracy: 1, "\(instrument)")
        }
    }

    func testPitchHoldsAcrossTheRange() throws {
        // Karplus–Strong tuning depends on the fractional delay; check low, middle and high notes.
        for pitch in [45, 62, 81] {
            let r = try Analysis.render(Analysis.score([(pitch, 0, 1)]), .plucked, rate: rate)
            let expected = 440 * pow(2, Double(pitch - 69) / 12)
            let f = Analysis.peakFrequency(r.buffer.samples, range: rate / 10..<rate * 8 / 10, sampleRate: rate,
                                           low: expected * 0.985, high: expected * 1.015)
            XCTAssertEqual(f, expected, accuracy: expected * 0.002, "pitch \(pitch)")
        }
    }

    func testCMajorChordHoldsItsThreeFundamentals() throws {
        for instrument in Instrument.allCases {
            let r = try Analysis.render(Analysis.score([(60, 0, 1), (64, 0, 1), (67, 0, 1)]), instrument, rate: rate)
            let x = r.buffer.samples
            let range = rate / 10..<rate * 9 / 10
            let floor = [280.0, 300, 350, 365, 420, 450].map {
                Analysis.magnitude(x, range: range, sampleRate: rate, frequency: $0)
            }.max()!
            for f in [261.63, 329.63, 392.0] {
                let m = Analysis.magnitude(x, range: range, sampleRate: rate, frequency: f)
                XCTAssertGreaterThan(m, 10 * floor, "\(instrument) \(f) Hz")
            }
        }
    }

    func testRestIsSilence() throws {
        // Note, two beats of rest, note, at 60 qpm: silence from the end of the release to beat 3.
        for instrument in Instrument.allCases {
            let r = try Analysis.render(Analysis.score([(69, 0, 1), (72, 3, 1)]), instrument, rate: rate)
            let x = r.buffer.samples
            let quietFrom = rate + Int(instrument.releaseSeconds * Double(rate)) + 1
            XCTAssertTrue(x[quietFrom..<3 * rate].allSatisfy { $0 == 0 }, "\(instrument)")
            XCTAssertGreaterThan(x[3 * rate..<4 * rate].map(abs).max()!, 0.05)
            XCTAssertEqual(r.buffer.frames, 4 * rate + rate / 2)
        }
    }

    func testLengthFollowsTheTempoMapAndTotalBeats() throws {
        // 2 beats at 60 (2 s) then 2 beats at 120 (1 s); totalBeats 6 adds a trailing rest (1 s).
        var score = Analysis.score([(69, 0, 4)])
        score.tempos = [TempoChange(onset: 0, quarterNotesPerMinute: 60), TempoChange(onset: 2, quarterNotesPerMinute: 120)]
        XCTAssertEqual(try Analysis.render(score, rate: rate).buffer.frames, 3 * rate + rate / 2)
        score.totalBeats = 6
        XCTAssertEqual(try Analysis.render(score, rate: rate).buffer.frames, 4 * rate + rate / 2)
    }

    func testNoteStartsAtItsOnsetUnderATempoChange() throws {
        var score = Analysis.score([(69, 3, 1)])
        score.tempos = [TempoChange(onset: 0, quarterNotesPerMinute: 60), TempoChange(onset: 2, quarterNotesPerMinute: 120)]
        let x = try Analysis.render(score, .bowed, rate: rate).buffer.samples
        let onset = Int(score.seconds(atBeat: 3) * Double(rate))   // 2.5 s
        XCTAssertTrue(x[..<onset].allSatisfy { $0 == 0 })
        XCTAssertNotEqual(x[onset + 2], 0)
    }

    func testTwoVoicesAreMixedAndPanned() throws {
        let score = Score(voices: [
            VoiceEvents(id: "1", notes: [NoteEvent(pitch: 69, onset: 0, duration: 1)]),
            VoiceEvents(id: "2", notes: [NoteEvent(pitch: 64, onset: 0, duration: 1)]),
        ], tempos: [TempoChange(onset: 0, quarterNotesPerMinute: 60)])
        let b = try Analysis.render(score, .bowed, rate: rate, channels: 2).buffer
        XCTAssertEqual(b.channels, 2)
        let left = b.channel(0), right = b.channel(1)
        let range = rate / 10..<rate * 9 / 10
        // Voice 1 (A4, 440 Hz) leans left, voice 2 (E4, 329.6 Hz) leans right; both are in both channels.
        let l440 = Analysis.magnitude(left, range: range, sampleRate: rate, frequency: 440)
        let r440 = Analysis.magnitude(right, range: range, sampleRate: rate, frequency: 440)
        let le = Analysis.magnitude(left, range: range, sampleRate: rate, frequency: 329.63)
        let re = Analysis.magnitude(right, range: range, sampleRate: rate, frequency: 329.63)
        XCTAssertGreaterThan(l440, r440 * 1.5)
        XCTAssertGreaterThan(re, le * 1.5)
        XCTAssertGreaterThan(r440, 0.2 * l440)
    }

    func testSameInputGivesIdenticalSamples() throws {
        let score = SynthBenchmark.tune(bars: 2)
        for instrument in Instrument.allCases {
            let a = try Analysis.render(score, instrument, rate: 16_000, channels: 2, chords: true)
            let b = try Analysis.render(score, instrument, rate: 16_000, channels: 2, chords: true)
            XCTAssertEqual(a.buffer, b.buffer, "\(instrument)")
        }
        let seeded = try Analysis.render(score, .plucked, rate: 16_000, seed: 7)
        XCTAssertNotEqual(seeded.buffer, try Analysis.render(score, .plucked, rate: 16_000).buffer)
    }

    func testPeakIsNormalisedToMinusOneDBFS() throws {
        // Twelve loud notes at once would peak far above 1 before normalisation.
        let notes = (0..<12).map { (48 + $0 * 3, 0.0, 1.0) }
        let r = try Analysis.render(Analysis.score(notes, velocity: 127), .bowed, rate: rate, channels: 2)
        XCTAssertGreaterThan(r.rawPeak, 1)
        XCTAssertEqual(r.buffer.peak, RenderOptions.targetPeak, accuracy: 1e-4)
        XCTAssertTrue(r.buffer.samples.allSatisfy { $0.isFinite && abs($0) <= RenderOptions.targetPeak })
        XCTAssertTrue(r.warnings.isEmpty, "\(r.warnings)")
    }

    func testNonFiniteSamplesAreReplacedAndReported() {
        var x: [Float] = [0.5, .nan, -2, .infinity, 1]
        let (peak, replaced) = Synthesizer.normalise(&x, to: 0.891)
        XCTAssertEqual(replaced, 2)
        XCTAssertEqual(peak, 2)
        XCTAssertEqual(x, [0.22275, 0, -0.891, 0, 0.4455].map { Float($0) })
    }

    func testExtremePitchesStayFiniteAndTooHighOnesAreReported() throws {
        for instrument in Instrument.allCases {
            let r = try Analysis.render(Analysis.score([(0, 0, 0.5), (127, 0.5, 0.5), (105, 1, 0.5)]), instrument, rate: 8_000)
            XCTAssertTrue(r.buffer.samples.allSatisfy(\.isFinite))
            XCTAssertEqual(r.buffer.peak, RenderOptions.targetPeak, accuracy: 1e-4, "\(instrument)")
            XCTAssertTrue(r.warnings.contains { $0.contains("2 notes above 3076 Hz") }, "\(r.warnings)")
            let wide = try Analysis.render(Analysis.score([(0, 0, 0.5), (127, 0.5, 0.5)]), instrument, rate: 44_100)
            XCTAssertEqual(wide.warnings, [])
        }
    }

    func testEmptyScoreIsTheTailOfSilence() throws {
        let r = try Analysis.render(Score(voices: []), rate: rate)
        XCTAssertEqual(r.buffer.frames, rate / 2)
        XCTAssertTrue(r.buffer.samples.allSatisfy { $0 == 0 })
    }

    func testUnplayableNotesAreRejected() {
        let bad: [(NoteEvent, String)] = [
            (NoteEvent(pitch: 69, onset: 0, duration: .nan), "duration nan"),
            (NoteEvent(pitch: 69, onset: .nan, duration: 1), "onset nan"),
            (NoteEvent(pitch: 69, onset: .infinity, duration: 1), "onset inf"),
            (NoteEvent(pitch: 69, onset: -1, duration: 1), "onset -1"),
            (NoteEvent(pitch: 69, onset: 0, duration: -0.5), "duration -0.5"),
            (NoteEvent(pitch: 128, onset: 0, duration: 1), "pitch 128"),
            (NoteEvent(pitch: -1, onset: 0, duration: 1), "pitch -1"),
            (NoteEvent(pitch: 60, onset: 0, duration: 1, gracePitches: [300]), "grace 300"),
        ]
        for (note, label) in bad {
            let score = Score(voices: [VoiceEvents(id: "T", notes: [note])], totalBeats: 1)
            XCTAssertThrowsError(try Analysis.render(score), label) { error in
                guard case RenderError.invalidNote(voice: "T", index: 0, _) = error else { return XCTFail("\(label): \(error)") }
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
        var nanTempo = Analysis.score([(69, 0, 1)])
        nanTempo.tempos = [TempoChange(onset: 0, quarterNotesPerMinute: .nan)]
        XCTAssertThrowsError(try Analysis.render(nanTempo))
        var nanLength = Analysis.score([(69, 0, 1)])
        nanLength.totalBeats = .nan
        XCTAssertThrowsError(try Analysis.render(nanLength))
    }

    func testAbsurdLengthIsRefusedBeforeAllocating() {
        // Ten hours of music at 192 kHz stereo would be 55 GB of Float: refused by the limit.
        let score = Analysis.score([(69, 36_000, 1)])
        XCTAssertThrowsError(try Synthesizer(options: RenderOptions(sampleRate: 192_000)).render(score)) { error in
            guard case RenderError.tooLong = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("10 h"), "\(error)")
        }
    }

    func testSampleBudgetIsEnforced() {
        // 25 minutes is within maxSeconds, but at 192 kHz stereo it needs 576M samples.
        let score = Analysis.score([(69, 1_499, 1)])
        XCTAssertThrowsError(try Synthesizer(options: RenderOptions(sampleRate: 192_000)).render(score)) { error in
            guard case RenderError.tooManySamples = error else { return XCTFail("\(error)") }
        }
    }

    func testNotesStartAndStopWithoutClicks() throws {
        // The largest step between neighbouring samples at a note's start and after its end is no
        // larger than the steps inside the sounding note.
        for instrument in Instrument.allCases {
            let x = try Analysis.render(Analysis.score([(69, 0, 1), (64, 2, 0.5)]), instrument, rate: rate).buffer.samples
            func maxStep(_ r: Range<Int>) -> Float { r.dropFirst().map { abs(x[$0] - x[$0 - 1]) }.max()! }
            let steady = maxStep(rate / 5..<rate * 4 / 5)
            // A pluck's first milliseconds are bright by nature (the noise burst) and it decays, so its
            // ramp is compared with the burst just after the ramp, not with the later ringing.
            let attackBound = instrument == .plucked ? maxStep(rate / 250..<rate / 30) * 1.01 : steady * 1.01
            XCTAssertLessThanOrEqual(maxStep(0..<rate / 500), attackBound, "\(instrument) attack")
            XCTAssertLessThanOrEqual(maxStep(rate..<rate * 3 / 2), steady * 1.01, "\(instrument) release")
            XCTAssertEqual(x[2 * rate - 1], 0)
            XCTAssertLessThan(abs(x[2 * rate + 1]), 0.05, "\(instrument) second note starts from zero")
        }
    }

    func testBenchmarkRuns() throws {
        let r = try SynthBenchmark.run(score: SynthBenchmark.tune(bars: 1), sampleRate: 8_000, repeats: 1)
        XCTAssertEqual(r.audioSeconds, 2 + RenderOptions().tail)   // the benchmark renders the default sound: in a room
        XCTAssertGreaterThan(r.speed, 0)
        XCTAssertEqual(SynthBenchmark.tune().totalSeconds, 66)
    }

    func testGraceNotesAndChordSymbolsCountAgainstTheEventBudget() {
        var options = RenderOptions(sampleRate: 8_000)
        options.limits.maxNotes = 100
        var score = Analysis.score([(69, 0, 1)])
        score.voices[0].notes[0].gracePitches = [Int](repeating: 71, count: 100)
        XCTAssertThrowsError(try Synthesizer(options: options).render(score)) { error in
            guard case RenderError.tooManyNotes(count: 101, limit: 100) = error else { return XCTFail("\(error)") }
        }
        score.voices[0].notes[0].gracePitches = []
        score.voices[0].chordSymbols = (0..<100).map { ChordSymbolEvent(name: "G", onset: Double($0) / 100, duration: 0.01) }
        XCTAssertThrowsError(try Synthesizer(options: options).render(score))
    }

    func testTooManySimultaneousNotesAreRefused() {
        var options = RenderOptions(sampleRate: 8_000)
        options.limits.maxSimultaneousNotes = 4
        let chord = Analysis.score((0..<5).map { (60 + $0, 0.0, 1.0) })
        XCTAssertThrowsError(try Synthesizer(options: options).render(chord)) { error in
            guard case RenderError.tooManySimultaneousNotes(count: 5, _, limit: 4) = error else { return XCTFail("\(error)") }
        }
        // Back-to-back notes never overlap.
        XCTAssertNoThrow(try Synthesizer(options: options).render(Analysis.score((0..<8).map { (60, Double($0), 1.0) })))
    }

    func testRateAndChannelsAreValidated() {
        for rate in [7_999, 192_001, 0, -44_100] {
            XCTAssertThrowsError(try Synthesizer(options: RenderOptions(sampleRate: rate)).render(Score(voices: [])))
        }
        for channels in [0, 3] {
            XCTAssertThrowsError(try Synthesizer(options: RenderOptions(sampleRate: 8_000, channels: channels)).render(Score(voices: [])))
        }
        XCTAssertNoThrow(try Synthesizer(options: RenderOptions(sampleRate: 8_000)).render(Score(voices: [])))
        XCTAssertNoThrow(try Synthesizer(options: RenderOptions(sampleRate: 192_000)).render(Score(voices: [])))
    }

    func testTrillAlternatesWithTheWholeToneAbove() throws {
        var score = Analysis.score([(69, 0, 1)])
        score.voices[0].notes[0].marks = ["trill"]
        let x = try Analysis.render(score, .flute, rate: rate).buffer.samples
        let range = rate / 10..<rate * 9 / 10
        let b = Analysis.magnitude(x, range: range, sampleRate: rate, frequency: 493.88)
        let plain = try Analysis.render(Analysis.score([(69, 0, 1)]), .flute, rate: rate).buffer.samples
        XCTAssertGreaterThan(b, 20 * Analysis.magnitude(plain, range: range, sampleRate: rate, frequency: 493.88))
        // With ornaments off the trill is a plain note.
        let off = try Synthesizer(options: RenderOptions(instrument: .flute, sampleRate: rate, channels: 1, ornaments: false, room: false)).render(score)
        XCTAssertEqual(off.buffer.samples, plain)
    }

    func testGraceNoteSoundsBeforeTheMainNote() throws {
        var score = Analysis.score([(69, 0, 1)])
        score.voices[0].notes[0].gracePitches = [76]
        score.voices[0].notes[0].marks = ["grace"]
        let x = try Analysis.render(score, .bowed, rate: rate).buffer.samples
        // The grace (E5, 659 Hz) sounds in the first 50 ms; the length of the note is unchanged.
        XCTAssertEqual(x.count, rate + rate / 2)
        let early = 0..<rate / 20
        let g = Analysis.magnitude(x, range: early, sampleRate: rate, frequency: 659.26)
        let a = Analysis.magnitude(x, range: early, sampleRate: rate, frequency: 440)
        XCTAssertGreaterThan(g, a)
    }

    func testChordPadAddsTheChordAndSkipsUnknownNames() throws {
        var score = Analysis.score([(69, 0, 2)])
        score.voices[0].chordSymbols = [ChordSymbolEvent(name: "G", onset: 0, duration: 1),
                                         ChordSymbolEvent(name: "Xq", onset: 1, duration: 1)]
        let without = try Analysis.render(score, .flute, rate: rate)
        let with = try Analysis.render(score, .flute, rate: rate, chords: true)
        let range = rate / 10..<rate * 9 / 10
        let g2 = 97.999   // pad bass for G (MIDI 43)
        XCTAssertGreaterThan(Analysis.magnitude(with.buffer.samples, range: range, sampleRate: rate, frequency: g2),
                             10 * Analysis.magnitude(without.buffer.samples, range: range, sampleRate: rate, frequency: g2))
        XCTAssertTrue(with.warnings.contains { $0.contains("Xq") }, "\(with.warnings)")
        XCTAssertTrue(without.warnings.isEmpty)
    }

    func testChordNames() {
        XCTAssertEqual(ChordName("G"), ChordName(root: 7, intervals: [0, 4, 7], bass: nil))
        XCTAssertEqual(ChordName("Am")?.intervals, [0, 3, 7])
        XCTAssertEqual(ChordName("D7")?.intervals, [0, 4, 7, 10])
        XCTAssertEqual(ChordName("Em/B").map { [$0.root, $0.bass!] }, [4, 11])
        XCTAssertEqual(ChordName("F#m").map { [$0.root] + $0.intervals }, [6, 0, 3, 7])
        XCTAssertEqual(ChordName("Bb")?.root, 10)
        XCTAssertEqual(ChordName("\"Cmaj7\"")?.intervals, [0, 4, 7, 11])
        for junk in ["", "H", "Gxyz", "G/", "G/Q", "m", "/B"] { XCTAssertNil(ChordName(junk), junk) }
        XCTAssertEqual(ChordName("Em/B")?.padPitches, [47, 52, 55, 59])
    }
}

final class TempoMapTests: XCTestCase {
    func testEqualsScoreSecondsBitForBit() {
        var rng = SplitMix64(seed: 42)
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + Double(rng.next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
        }
        for trial in 0..<40 {
            let count = trial % 7
            var tempos = (0..<count).map { _ in
                TempoChange(onset: (uniform(0...20) * 4).rounded() / 4, quarterNotesPerMinute: uniform(30...240))
            }
            if trial % 3 == 0, !tempos.isEmpty { tempos[0].onset = 0 }
            var score = Score(voices: [], tempos: tempos)
            if trial % 5 == 4 { score.tempos = tempos }   // unsorted, as a caller may set them
            let map = TempoMap(score)
            for beat in [0, 0.25, 1, 2, 3.5, 7, 19.75, 20, 25] + (0..<20).map({ _ in uniform(0...30) }) {
                XCTAssertEqual(map.seconds(atBeat: beat), score.seconds(atBeat: beat), "trial \(trial) beat \(beat)")
            }
        }
    }
}
