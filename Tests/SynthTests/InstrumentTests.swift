// Instruments measured: vibrato rate and depth (and that it grows after the onset), attack
// times, spectral centroids, the accordion's reed beating, and that the instruments differ.
// The figures are printed (for the README) and asserted against the stated design values.

import ABCNotation
import Foundation
import XCTest
@testable import Synth

final class InstrumentTests: XCTestCase {
    static let rate = 22_050

    /// A4 held for `seconds` at 60 quarter notes a minute, dry, mono.
    static func note(_ instrument: Instrument, seconds: Double = 3) throws -> [Float] {
        try Analysis.render(Analysis.score([(69, 0, seconds)], qpm: 60), instrument, rate: rate).buffer.samples
    }

    static func vibrato(_ instrument: Instrument, from: Double, to: Double) throws -> (rate: Double, depthCents: Double, meanHz: Double) {
        let x = try note(instrument)
        let track = Analysis.frequencyTrack(x, sampleRate: rate, f0: 440, from: Int(from * Double(rate)), to: Int(to * Double(rate)),
                                            hop: 32, window: 512)
        return Analysis.vibrato(track)
    }

    func testBowedVibratoGrowsToItsStatedRateAndDepth() throws {
        let v = try Self.vibrato(.bowed, from: 1.0, to: 2.9)
        print("bowed vibrato: \(v.rate) Hz, ±\(v.depthCents) cents, mean \(v.meanHz) Hz")
        XCTAssertEqual(v.rate, 5.8, accuracy: 0.3)
        XCTAssertEqual(v.depthCents, 18, accuracy: 3)
        XCTAssertEqual(v.meanHz, 440, accuracy: 1)
        // Before it starts (0.2 s × 0.8…1.2) there is none: the first 0.15 s are steady.
        let early = Analysis.frequencyTrack(try Self.note(.bowed), sampleRate: Self.rate, f0: 440, from: 1000, to: Int(0.15 * Double(Self.rate)) + 512,
                                            hop: 32, window: 512).map(\.1)
        XCTAssertLessThan(1200 * log2(early.max()! / early.min()!) / 2, 3)
    }

    func testFluteAndWhistleVibrato() throws {
        let flute = try Self.vibrato(.flute, from: 1.2, to: 2.9)
        print("flute vibrato: \(flute.rate) Hz, ±\(flute.depthCents) cents")
        XCTAssertEqual(flute.rate, 5.0, accuracy: 0.3)
        XCTAssertEqual(flute.depthCents, 12, accuracy: 2.5)
        let whistle = try Self.vibrato(.whistle, from: 1.2, to: 2.9)
        print("whistle vibrato: \(whistle.rate) Hz, ±\(whistle.depthCents) cents")
        XCTAssertEqual(whistle.rate, 6.0, accuracy: 0.4)
        XCTAssertEqual(whistle.depthCents, 6, accuracy: 2)
    }

    /// The accordion's two reeds, ±5 cents, beat at 440 × (2^(10/1200) − 1) = 2.55 Hz.
    func testAccordionReedsBeat() throws {
        let x = try Self.note(.accordion)
        let track = Analysis.amplitudeTrack(x, sampleRate: Self.rate, f0: 440, from: Self.rate / 2, to: 29 * Self.rate / 10, hop: 64, window: 1024)
        let mean = track.map(\.1).reduce(0, +) / Double(track.count)
        var ups: [Double] = []
        for i in 1..<track.count where track[i - 1].1 < mean && track[i].1 >= mean { ups.append(track[i].0) }
        let beat = Double(ups.count - 1) / (ups.last! - ups.first!)
        print("accordion beating: \(beat) Hz")
        XCTAssertEqual(beat, 440 * (pow(2, 10.0 / 1200) - 1), accuracy: 0.25)
        XCTAssertLessThan(track.map(\.1).min()!, 0.8 * track.map(\.1).max()!, "the beating is audible")
    }

    /// Over 3 s the two reeds resolve into two peaks, symmetric about 440 Hz.
    func testAccordionReedsAreCentredOnThePitch() throws {
        let x = try Self.note(.accordion, seconds: 4)
        let range = Self.rate / 2..<(Self.rate * 7 / 2)
        let low = Analysis.peakFrequency(x, range: range, sampleRate: Self.rate, low: 436, high: 440)
        let high = Analysis.peakFrequency(x, range: range, sampleRate: Self.rate, low: 440, high: 444)
        print("accordion reeds: \(low) Hz and \(high) Hz")
        XCTAssertEqual((low + high) / 2, 440, accuracy: 0.2)
        XCTAssertEqual(1200 * log2(high / low), 10, accuracy: 1.5)
    }

    func testAttackTimesAndSpectraTellTheInstrumentsApart() throws {
        var attack: [Instrument: Double] = [:]
        var centroid: [Instrument: Double] = [:]
        for instrument in Instrument.allCases {
            let x = try Self.note(instrument, seconds: 1)
            attack[instrument] = Analysis.attackTime(x, sampleRate: Self.rate, from: 0, span: Self.rate / 4)
            centroid[instrument] = Analysis.spectralCentroid(x, range: (Self.rate / 2)..<(Self.rate / 2 + 4096), sampleRate: Self.rate)
            print("\(instrument): attack \(String(format: "%.1f", attack[instrument]! * 1000)) ms, centroid \(Int(centroid[instrument]!)) Hz")
        }
        // 10–90% rise: the pluck is immediate, the whistle quick, the reeds a little slower,
        // the bow and the flute swell in.
        XCTAssertLessThan(attack[.plucked]!, 0.005)
        XCTAssertEqual(attack[.whistle]!, 0.010, accuracy: 0.004)
        XCTAssertEqual(attack[.accordion]!, 0.016, accuracy: 0.005)
        XCTAssertEqual(attack[.bowed]!, 0.048, accuracy: 0.01)
        XCTAssertEqual(attack[.flute]!, 0.048, accuracy: 0.01)
        // Brightness: flute darkest, then whistle; bowed and accordion much brighter.
        XCTAssertLessThan(centroid[.flute]!, centroid[.whistle]!)
        XCTAssertLessThan(centroid[.whistle]! * 1.5, centroid[.bowed]!)
        XCTAssertLessThan(centroid[.whistle]! * 1.5, centroid[.accordion]!)
    }

    /// The bowed tone's harmonics no longer stop at 9 kHz: at 44.1 kHz a G3 has energy above
    /// 9 kHz, falling smoothly (no cliff between 8.5 and 9.5 kHz).
    func testBowedSpectrumHasNoHardEdge() throws {
        let rate = 44_100
        let x = try Analysis.render(Analysis.score([(55, 0, 1)], qpm: 60), .bowed, rate: rate).buffer.samples
        let f = NoteRenderer.frequency(55)
        let range = (rate / 2)..<(rate / 2 + 8192)
        func harmonic(_ k: Int) -> Double { Analysis.magnitude(x, range: range, sampleRate: rate, frequency: f * Double(k)) }
        let below = harmonic(Int(8_600 / f)), above = harmonic(Int(9_600 / f))
        XCTAssertGreaterThan(above, below / 4, "no cliff at 9 kHz")
        XCTAssertGreaterThan(harmonic(Int(12_000 / f)), 1e-5)
    }

    func testBowNoiseIsShapedPerNote() throws {
        // The noise burst at the bow change: energy far from any harmonic (between the 3rd and
        // 4th of A4) is larger in the first 40 ms of a note than in its middle.
        let x = try Self.note(.bowed, seconds: 1)
        let onset = Analysis.magnitude(x, range: 0..<882, sampleRate: Self.rate, frequency: 1540)
            / Analysis.rms(x, 0..<882)
        let middle = Analysis.magnitude(x, range: 11_025..<11_907, sampleRate: Self.rate, frequency: 1540)
            / Analysis.rms(x, 11_025..<11_907)
        XCTAssertGreaterThan(onset, 2 * middle)
    }
}

/// The SoundFont path through FluidSynth: needs an installed General MIDI SoundFont.
final class SoundFontTests: XCTestCase {
    func testAQuarterNoteThroughASoundFontIsA440WithTheStatedLength() throws {
        guard let font = SoundFontRenderer.findInstalled() else {
            throw XCTSkip("no SoundFont installed in \(SoundFontRenderer.searchPaths) (apt-get install timgm6mb-soundfont)")
        }
        let rate = 22_050
        let score = Analysis.score([(69, 0, 1)], qpm: 60)
        for instrument in Instrument.allCases {
            let r = try SoundFontRenderer.render(score, soundFont: font, options: RenderOptions(instrument: instrument, sampleRate: rate, channels: 1, room: false))
            XCTAssertEqual(r.buffer.frames, rate + Int(RenderOptions.tailSeconds * Double(rate)), "\(instrument)")
            // A sounds: at 440, 880 or 1760 Hz (a font's whistle may sound an octave or two up) the
            // spectrum is far stronger than a quarter tone either side.
            let x = r.buffer.samples, range = rate / 5..<rate * 9 / 10
            func m(_ hz: Double) -> Double { Analysis.magnitude(x, range: range, sampleRate: rate, frequency: hz) }
            let onA = [440.0, 880, 1760].map(m).max()!
            let off = [440.0, 880, 1760].flatMap { [m($0 * pow(2, -0.5 / 12)), m($0 * pow(2, 0.5 / 12))] }.max()!
            XCTAssertGreaterThan(onA, 3 * off, "\(instrument) through \(font)")
            XCTAssertEqual(r.buffer.peak, RenderOptions.targetPeak, accuracy: 1e-4)
            // Sound during the note, near silence at the end of the tail.
            XCTAssertGreaterThan(Analysis.rms(r.buffer.samples, rate / 4..<rate / 2), 0.01)
        }
        // Stereo with FluidSynth's reverb and chorus: the channels differ.
        let stereo = try SoundFontRenderer.render(Analysis.score([(62, 0, 0.5), (66, 0.5, 0.5), (69, 1, 1)], qpm: 120),
                                                  soundFont: font, options: RenderOptions(instrument: .bowed, sampleRate: rate))
        XCTAssertNotEqual(stereo.buffer.channel(0), stereo.buffer.channel(1))
    }

    func testBadSoundFontsAreClearErrors() throws {
        let dir = try Analysis.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.sf2")
        try Data("this is not a SoundFont".utf8).write(to: junk)
        XCTAssertThrowsError(try SoundFontRenderer.resolve(junk.path)) { error in
            XCTAssertEqual(error as? SoundFontError, .notASoundFont(junk.path))
        }
        // A file with only a SoundFont's first 12 bytes passes the check but fails to load: an error, no crash.
        let fake = dir.appendingPathComponent("fake.sf2")
        try Data("RIFF\u{10}\0\0\0sfbkLIST".utf8).write(to: fake)
        XCTAssertThrowsError(try SoundFontRenderer.render(Analysis.score([(69, 0, 1)]), soundFont: fake.path,
                                                          options: RenderOptions(sampleRate: 8_000))) { error in
            XCTAssertTrue("\(error)".contains("FluidSynth") || "\(error)".contains("not a SoundFont"), "\(error)")
        }
        XCTAssertThrowsError(try SoundFontRenderer.resolve(dir.appendingPathComponent("none.sf2").path)) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
        XCTAssertThrowsError(try SoundFontRenderer.resolve(dir.path))
    }
}
