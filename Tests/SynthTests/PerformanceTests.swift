// Performance: tempo by tune type, beat accents, hornpipe swing, humanize, inferred chords and
// their accompaniment, measured on the score and on the rendered audio.

import ABCNotation
import Foundation
import XCTest
@testable import Synth

final class PerformanceTests: XCTestCase {
    static func abc(_ header: String, _ body: String) -> String {
        "X:1\nT:Test\n\(header)\nL:1/8\nK:D\n\(body)\n"
    }

    // MARK: Tempo

    func testTempoFollowsTheTuneTypeWhenQIsAbsent() throws {
        let cases: [(String, Double)] = [
            ("R:reel\nM:C|", 224), ("R:Double Jig\nM:6/8", 174), ("R:slip jig\nM:9/8", 198),
            ("R:hornpipe\nM:C|", 184), ("R:polka\nM:2/4", 136), ("R:slide\nM:12/8", 198),
            ("R:waltz\nM:3/4", 144), ("R:mazurka\nM:3/4", 150), ("R:march\nM:2/4", 118), ("R:march\nM:6/8", 177),
            ("R:slow air\nM:3/4", 66), ("R:strathspey\nM:C", 116), ("R:Barndance\nM:C", 120),
            // No R: the meter decides.
            ("M:C|", 224), ("M:C", 224), ("M:6/8", 174), ("M:9/8", 198), ("M:2/4", 136), ("M:3/4", 144), ("M:12/8", 198),
            // Neither: the old default.
            ("M:5/4", 120), ("R:set dance\nM:7/8", 120),
        ]
        for (header, qpm) in cases {
            let tune = try Analysis.tune(Self.abc(header, "DEFG ABcd|"))
            let performance = Performance(tune: tune, score: tune.score().score)
            XCTAssertEqual(performance.tempo.quarterNotesPerMinute, qpm, accuracy: 1e-9, header)
            XCTAssertEqual(performance.score.tempos.first?.quarterNotesPerMinute ?? 0, qpm, accuracy: 1e-9, header)
        }
    }

    func testWrittenTempoAndTempoOptionWin() throws {
        let tune = try Analysis.tune(Self.abc("R:reel\nM:C|\nQ:1/2=80", "DEFG ABcd|"))
        XCTAssertEqual(Performance(tune: tune, score: tune.score().score).tempo.quarterNotesPerMinute, 160)
        let forced = Performance(tune: tune, score: tune.score().score, options: PerformanceOptions(tempo: 90))
        XCTAssertEqual(forced.score.tempos, [TempoChange(onset: 0, quarterNotesPerMinute: 90)])
        XCTAssertEqual(forced.tempo.source, "--tempo")
    }

    func testAReelWithoutQLastsWhatASessionPlays() throws {
        // 8 bars of a reel at 112 half notes a minute: 8 bars × 2 half notes / 112 = 8.57 s.
        let tune = try Analysis.tune(Self.abc("M:C|", String(repeating: "DEFG ABcd|", count: 8)))
        let p = Performance(tune: tune, score: tune.score().score)
        XCTAssertEqual(p.score.totalSeconds, 8 * 2 / 112 * 60, accuracy: 1e-9)
        XCTAssertEqual(p.summary.first, "tempo: 112 half notes a minute (M:C| (played as a reel))")
    }

    func testRhythmNamesAreRead() {
        XCTAssertEqual(TuneType(rhythm: "Slip-Jig"), .slipJig)
        XCTAssertEqual(TuneType(rhythm: "hop jig"), .slipJig)
        XCTAssertEqual(TuneType(rhythm: "single jig"), .jig)
        XCTAssertEqual(TuneType(rhythm: "Reel (single)"), .reel)
        XCTAssertEqual(TuneType(rhythm: "Highland"), .barndance)
        XCTAssertEqual(TuneType(rhythm: "schottische"), .barndance)
        XCTAssertEqual(TuneType(rhythm: "Air"), .air)
        XCTAssertNil(TuneType(rhythm: "set dance"))
        XCTAssertNil(TuneType(rhythm: ""))
    }

    // MARK: Accents and swing

    func testStressedBeatsByMeter() {
        func db(_ meter: Meter, _ positions: [Double]) -> [Double] {
            let feel = MeterFeel(meter: meter, pickupBeats: 0)
            return positions.map { feel.decibels(atBeat: $0) }
        }
        let frac = { (n: Int, d: Int) in Meter.fraction(numerators: [n], denominator: d) }
        // 6/8: eighths 1 and 4 stressed (1 most).
        XCTAssertEqual(db(frac(6, 8), [0, 0.5, 1, 1.5, 2, 2.5]), [0, -5, -5, -1.5, -5, -5])
        // 9/8: eighths 1, 4, 7.
        XCTAssertEqual(db(frac(9, 8), [0, 0.5, 1.5, 2, 3, 4]), [0, -5, -2, -5, -2, -5])
        // C| and 4/4: 1 and 3 (in quarters 0 and 2), then 2 and 4, eighths off the beat.
        XCTAssertEqual(db(.cut, [0, 0.5, 1, 2, 3, 3.5]), [0, -5, -3, -1.5, -3, -5])
        XCTAssertEqual(db(frac(4, 4), [0, 1, 2, 3]), [0, -3, -1.5, -3])
        // 2/4 and 3/4.
        XCTAssertEqual(db(frac(2, 4), [0, 0.5, 1, 1.5]), [0, -5, -1.5, -5])
        XCTAssertEqual(db(frac(3, 4), [0, 1, 2, 2.5]), [0, -3, -3, -5])
        // The pickup moves the grid: with a quarter-note pickup in 6/8... beat 1 is the downbeat.
        XCTAssertEqual(MeterFeel(meter: frac(6, 8), pickupBeats: 0.5).decibels(atBeat: 0.5), 0)
        XCTAssertEqual(MeterFeel(meter: frac(6, 8), pickupBeats: 0.5).decibels(atBeat: 0), -5)
    }

    func testPickupIsReadFromTheFirstBar() throws {
        XCTAssertEqual(try Analysis.tune(Self.abc("M:6/8", "A|dfe d2A|")).pickupBeats, 0.5)
        XCTAssertEqual(try Analysis.tune(Self.abc("M:C|", "AF|DAFA DAFA|")).pickupBeats, 1)
        XCTAssertEqual(try Analysis.tune(Self.abc("M:C|", "|DAFA DAFA|")).pickupBeats, 0)
        XCTAssertEqual(try Analysis.tune(Self.abc("M:C|", "DAFA DAFA|")).pickupBeats, 0)
        XCTAssertEqual(try Analysis.tune(Self.abc("M:none", "DAFA|")).pickupBeats, 0)
    }

    /// Downbeat notes are 5 dB louder than notes off the beat, measured on the audio.
    func testDownbeatIsLouderThanOffbeatsByTheStatedAmount() throws {
        let tune = try Analysis.tune(Self.abc("M:C|\nQ:1/4=120", "AAAA AAAA|AAAA AAAA|"))
        let p = Performance(tune: tune, score: tune.score().score)
        let rate = 22_050
        let x = try Analysis.render(p.score, .whistle, rate: rate).buffer.samples
        let eighth = rate / 4   // 0.25 s at 120 quarter notes a minute
        // The middle of each note, after the previous note's release (80 ms) has ended.
        func window(_ k: Int) -> Range<Int> { (k * eighth + 2 * eighth / 5)..<(k * eighth + 9 * eighth / 10) }
        func level(_ k: Int) -> Double { Analysis.rms(x, window(k)) }
        let down = 20 * log10(level(8) / level(9))       // bar 2's downbeat against the eighth after it
        XCTAssertEqual(down, -MeterFeel.offbeatDecibels, accuracy: 0.5)
        let half = 20 * log10(level(8) / level(12))      // against beat 3 (the half-bar)
        XCTAssertEqual(half, 1.5, accuracy: 0.5)
        // Without lift every note is equal.
        let plain = Performance(tune: tune, score: tune.score().score, options: PerformanceOptions(lift: false))
        let y = try Analysis.render(plain.score, .whistle, rate: rate).buffer.samples
        XCTAssertEqual(20 * log10(Analysis.rms(y, window(8)) / Analysis.rms(y, window(9))), 0, accuracy: 0.2)
    }

    func testHornpipeEighthsSwingTwoToOne() throws {
        let tune = try Analysis.tune(Self.abc("R:hornpipe\nM:C|", "AF|DAFA d2 (3ABc|"))
        let notes = Performance(tune: tune, score: tune.score().score).score.voices[0].notes
        // Pickup AF: on the grid from the pickup, so A long, F short.
        XCTAssertEqual(notes[0].duration / notes[1].duration, MeterFeel.hornpipeSwing, accuracy: 1e-9)
        // D A F A: onsets 1, 1+2/3, 2, 2+2/3 (beats); each pair 2:1.
        let third: Double = 2.0 / 3
        let expected: [Double] = [1, 1 + third, 2, 2 + third]
        for (n, e) in zip(notes[2...5], expected) { XCTAssertEqual(n.onset, e, accuracy: 1e-9, "straight pairs swung") }
        XCTAssertEqual(notes[2].duration / notes[3].duration, 2, accuracy: 1e-9)
        // d2 (a quarter) and the triplet stay as written.
        XCTAssertEqual(notes[6].onset, 3)
        XCTAssertEqual(notes[6].duration, 1)
        for n in notes[7...9] { XCTAssertEqual(n.duration, 1.0 / 3, accuracy: 1e-9, "triplets even") }
        // A reel is not swung.
        let reel = try Analysis.tune(Self.abc("R:reel\nM:C|", "AF|DAFA d2 (3ABc|"))
        XCTAssertEqual(Performance(tune: reel, score: reel.score().score).score.voices[0].notes[3].onset, 1.5)
    }

    func testHumanizeIsSeededAndOffByDefault() throws {
        let tune = try Analysis.tune(Self.abc("M:6/8", String(repeating: "dfe dAF|", count: 4)))
        let score = tune.score().score
        let a = Performance(tune: tune, score: score, options: PerformanceOptions(humanize: 7)).score
        let b = Performance(tune: tune, score: score, options: PerformanceOptions(humanize: 7)).score
        let c = Performance(tune: tune, score: score, options: PerformanceOptions(humanize: 8)).score
        let plain = Performance(tune: tune, score: score).score
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(plain, Performance(tune: tune, score: score).score)
        let qpm = 174.0
        for (h, p) in zip(a.voices[0].notes, plain.voices[0].notes) {
            XCTAssertLessThanOrEqual(abs(h.onset - p.onset) * 60 / qpm, Performance.humanizeTiming + 1e-9)
            XCTAssertEqual(h.end, p.end, accuracy: 1e-9)
            XCTAssertLessThanOrEqual(abs(Double(h.velocity) / Double(p.velocity) - 1), Performance.humanizeVelocity + 0.02)
        }
        XCTAssertTrue(zip(a.voices[0].notes, plain.voices[0].notes).contains { $0.onset != $1.onset })
    }

    // MARK: Chords

    static func inferred(_ abc: String) throws -> (Performance, [String]) {
        let tune = try Analysis.tune(abc)
        let p = Performance(tune: tune, score: tune.score().score, options: PerformanceOptions(chords: true))
        return (p, p.chordNames)
    }

    func testAnArpeggiatedReelGetsDGAD() throws {
        let (p, names) = try Self.inferred(Self.abc("M:C|", "|D2FA d2AF|G2Bd g2dB|A2ce a2ec|d2AF D4|"))
        XCTAssertTrue(p.chordsInferred)
        XCTAssertEqual(names, ["D", "G", "A", "D"])
        XCTAssertEqual(p.summary.last, "chords: D G A D (inferred from the melody)")
    }

    /// Harvest Home (D major hornpipe, corpus tune 32): D under the D arpeggio bars, A where the
    /// melody outlines A (bar 3), home to D at the end; only the chords of D major a player uses.
    func testHarvestHomeGetsDAndA() throws {
        let abc = """
            X:32
            T:Harvest Home
            M:C|
            L:1/8
            K:D Major
            AF|DAFA DAFA|defe dcBA|eAfA gAfA|(3efe (3dcB (3ABA (3GFE|!
            DAFA DAFA|defe dcBA|eAfA gece|d2dc d2:|!
            """
        let tune = try Analysis.tune(abc)
        let p = Performance(tune: tune, score: tune.score().score, options: PerformanceOptions(chords: true))
        let symbols = ChordInference(key: tune.key, feel: p.meter).infer(tune.score().score)
        func chord(atBar bar: Int, half: Int = 0) -> String? {
            let beat = 1 + Double(bar - 1) * 4 + Double(half) * 2 + 0.01
            return symbols.first { $0.onset <= beat && beat < $0.onset + $0.duration }?.name
        }
        print("Harvest Home:", symbols.map { "\($0.name)@\($0.onset)" }.joined(separator: " "))
        XCTAssertEqual(chord(atBar: 1), "D")
        XCTAssertEqual(chord(atBar: 1, half: 1), "D")
        XCTAssertEqual(chord(atBar: 3), "A")
        XCTAssertEqual(chord(atBar: 8, half: 1), "D")
        XCTAssertEqual(chord(atBar: 16, half: 1), "D")
        XCTAssertTrue(Set(symbols.map(\.name)).isSubset(of: ["D", "G", "A", "Bm", "Em"]), "\(symbols.map(\.name))")
        XCTAssertTrue(symbols.map(\.name).contains("A"))
        // No chord under the pickup.
        XCTAssertEqual(symbols.first?.onset, 1)
    }

    /// The Kesh (G major jig): G, then D under "A3 ABd", and home to G at the end.
    func testTheKeshGetsGAndD() throws {
        let abc = """
            X:79
            T:Kesh
            M:6/8
            L:1/8
            K:G Major
            D|G3 GAB|A3 ABd|edd gdd|edB dBA|!
            G3 GAB|A3 ABd|edd gdB|AGF G2:|!
            """
        let tune = try Analysis.tune(abc)
        let feel = MeterFeel(meter: tune.meter, pickupBeats: tune.pickupBeats)
        let symbols = ChordInference(key: tune.key, feel: feel).infer(tune.score().score)
        func chord(atBar bar: Int, half: Int = 0) -> String? {
            let beat = 0.5 + Double(bar - 1) * 3 + Double(half) * 1.5 + 0.01
            return symbols.first { $0.onset <= beat && beat < $0.onset + $0.duration }?.name
        }
        XCTAssertEqual(chord(atBar: 1), "G")
        XCTAssertEqual(chord(atBar: 2), "D")
        XCTAssertEqual(chord(atBar: 8, half: 1), "G")
        XCTAssertTrue(Set(symbols.map(\.name)).isSubset(of: ["G", "C", "D", "Em", "Am", "Bm"]), "\(symbols.map(\.name))")
    }

    func testMinorAndModalKeysUseTheirOwnChords() throws {
        // E dorian: Em and D (the ♭VII), never a D# or F#m… from E major.
        let (_, names) = try Self.inferred("X:1\nM:C|\nL:1/8\nK:Edor\n|E2BE dEBE|D2AD FDAD|E2BE dEBE|B2AF E4|\n")
        XCTAssertEqual(names.first, "Em")
        XCTAssertTrue(names.contains("D"), "\(names)")
        XCTAssertEqual(names.last, "Em")
    }

    func testWrittenChordSymbolsArePlayedNotInferred() throws {
        let (p, names) = try Self.inferred(Self.abc("M:C|", "|\"G\"D2FA d2AF|\"Em\"G2Bd g2dB|"))
        XCTAssertFalse(p.chordsInferred)
        XCTAssertEqual(names, ["G", "Em"])
        XCTAssertEqual(p.summary.last, "chords: G Em (from the tune's chord symbols)")
    }

    func testReelVampAndJigOomPahPah() throws {
        // Reel: bass on 1 and 3 (E2…D#3), chord on 2 and 4.
        let (reel, _) = try Self.inferred(Self.abc("M:C|", "|D2FA d2AF|"))
        let acc = try XCTUnwrap(reel.score.voices.first { $0.id == Performance.accompanimentVoiceID }).notes
        let bass = acc.filter { $0.pitch < 52 }.map(\.onset)
        XCTAssertEqual(bass, [0, 2])
        XCTAssertEqual(Set(acc.filter { $0.pitch >= 52 }.map { ($0.onset).rounded() }), [1, 3])
        // Jig: each dotted quarter is bass + chord + chord (eighths).
        let (jig, _) = try Self.inferred(Self.abc("M:6/8", "|dfe dAF|"))
        let jacc = try XCTUnwrap(jig.score.voices.first { $0.id == Performance.accompanimentVoiceID }).notes
        XCTAssertEqual(jacc.filter { $0.pitch < 52 }.map(\.onset), [0, 1.5])
        XCTAssertEqual(Set(jacc.filter { $0.pitch >= 52 }.map { ($0.onset * 2).rounded() / 2 }), [0.5, 1, 2, 2.5])
        // The accompaniment is heard: its bass (D3, 146.8 Hz) is there with it and not without.
        let rate = 22_050
        let tune = try Analysis.tune(Self.abc("M:6/8", "|dfe dAF|"))
        let without = Performance(tune: tune, score: tune.score().score).score
        func bassLevel(_ score: Score) throws -> Double {
            let x = try Analysis.render(score, .flute, rate: rate).buffer.samples
            return Analysis.magnitude(x, range: 0..<rate / 2, sampleRate: rate, frequency: NoteRenderer.frequency(50))
        }
        let withChords = try bassLevel(jig.score), withoutChords = try bassLevel(without)
        XCTAssertGreaterThan(withChords, 5 * withoutChords)
    }

    // MARK: Space

    func testRoomMakesTheChannelsDifferAndDryKeepsThemTogether() throws {
        let tune = try Analysis.tune(Self.abc("M:6/8", String(repeating: "dfe dAF|GBd gfe|", count: 4)))
        let score = Performance(tune: tune, score: tune.score().score).score
        for instrument in Instrument.allCases {
            let room = try Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: 22_050)).render(score).buffer
            let c = Analysis.correlation(room.channel(0), room.channel(1))
            print("\(instrument): stereo correlation \(c) in a room")
            XCTAssertLessThan(c, 0.8, "\(instrument): correlation \(c)")
            let dry = try Synthesizer(options: RenderOptions(instrument: instrument, sampleRate: 22_050, room: false)).render(score).buffer
            XCTAssertGreaterThan(Analysis.correlation(dry.channel(0), dry.channel(1)), 0.999, "\(instrument)")
            XCTAssertEqual(room.duration - dry.duration, RenderOptions.roomTailSeconds - RenderOptions.tailSeconds, accuracy: 1e-3)
        }
    }

    func testRoomIsDeterministicAndDecays() throws {
        let score = Analysis.score([(69, 0, 1)], qpm: 60)
        let options = RenderOptions(instrument: .whistle, sampleRate: 22_050)
        let a = try Synthesizer(options: options).render(score).buffer
        let b = try Synthesizer(options: options).render(score).buffer
        XCTAssertEqual(a.samples, b.samples)
        let left = a.channel(0)
        // The reverb rings after the note (1 s + 0.08 s release) and has fallen by the end.
        let after = Analysis.rms(left, 24_000..<26_000)
        let end = Analysis.rms(left, (left.count - 1000)..<left.count)
        XCTAssertGreaterThan(after, 1e-3)
        XCTAssertLessThan(end, after / 10)
    }
}
