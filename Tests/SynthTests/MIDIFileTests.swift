// MIDIFile: the notes read back equal the events (pitch, onset and duration in ticks, per voice),
// tempo events are present, channels skip drums, VLQs are right, bad input is refused.

import ABCNotation
import Foundation
import XCTest
@testable import Synth

final class MIDIFileTests: XCTestCase {
    func score() -> Score {
        // Voice 1: eighths, a triplet, a chord, a tie-merged long note, a rest, a repeated pitch.
        let v1: [NoteEvent] = [
            NoteEvent(pitch: 62, onset: 0, duration: 0.5, velocity: 90),
            NoteEvent(pitch: 64, onset: 0.5, duration: 0.5),
            NoteEvent(pitch: 66, onset: 1, duration: 1.0 / 3),
            NoteEvent(pitch: 67, onset: 1 + 1.0 / 3, duration: 1.0 / 3),
            NoteEvent(pitch: 69, onset: 1 + 2.0 / 3, duration: 1.0 / 3, marks: ["roll"]),
            NoteEvent(pitch: 62, onset: 2, duration: 1, velocity: 100),
            NoteEvent(pitch: 66, onset: 2, duration: 1, velocity: 100),
            NoteEvent(pitch: 69, onset: 2, duration: 1, velocity: 100),
            NoteEvent(pitch: 71, onset: 3, duration: 2.5),
            NoteEvent(pitch: 71, onset: 6, duration: 0.25),
            NoteEvent(pitch: 71, onset: 6.25, duration: 0.25, gracePitches: [73]),
        ]
        let v2 = [NoteEvent(pitch: 50, onset: 0, duration: 4, velocity: 60), NoteEvent(pitch: 45, onset: 4, duration: 2.5)]
        return Score(voices: [VoiceEvents(id: "1", name: "Tune", notes: v1), VoiceEvents(id: "B", notes: v2)],
                     tempos: [TempoChange(onset: 0, quarterNotesPerMinute: 100), TempoChange(onset: 4, quarterNotesPerMinute: 140)])
    }

    func testNotesReadBackEqualTheEvents() throws {
        let s = score()
        let data = try MIDIFile.data(for: s, program: Instrument.bowed.midiProgram, ppq: 480)
        let contents = try MIDIFile.parse(data)
        XCTAssertEqual(contents.format, 1)
        XCTAssertEqual(contents.ppq, 480)
        XCTAssertEqual(contents.trackCount, 3)
        for (v, voice) in s.voices.enumerated() {
            let expected = voice.notes.map {
                MIDIFile.Note(track: v + 1, channel: v, pitch: $0.pitch, onTick: Int(($0.onset * 480).rounded()),
                              offTick: Int(($0.end * 480).rounded()), velocity: $0.velocity)
            }
            let got = contents.notes.filter { $0.track == v + 1 }
            XCTAssertEqual(Set(got), Set(expected), "voice \(voice.id)")
            XCTAssertEqual(got.count, expected.count)
        }
        // Triplet eighths at 480 ppq are exact: 160 ticks.
        XCTAssertTrue(contents.notes.contains { $0.pitch == 67 && $0.onTick == 640 && $0.offTick == 800 })
        XCTAssertEqual(contents.tempos, [MIDIFile.Tempo(tick: 0, microsecondsPerQuarter: 600_000),
                                         MIDIFile.Tempo(tick: 1920, microsecondsPerQuarter: 428_571)])
        XCTAssertEqual(contents.trackNames, [nil, "Tune", "Voice B"])
        XCTAssertEqual(contents.programs, [[1, 0, 40], [2, 1, 40]])
        XCTAssertEqual(contents.notes.filter { $0.track == 0 }, [])
    }

    func testTicksRoundAtOtherResolutions() throws {
        // At 96 ppq a triplet eighth is 32 ticks; at 100 ppq it rounds (33.3 -> 33, 66.7 -> 67).
        let s = Score(voices: [VoiceEvents(id: "1", notes: (0..<3).map {
            NoteEvent(pitch: 60 + $0, onset: Double($0) / 3, duration: 1.0 / 3)
        })])
        let at100 = try MIDIFile.parseNotes(MIDIFile.data(for: s, ppq: 100)).map { [$0.onTick, $0.offTick] }
        XCTAssertEqual(at100, [[0, 33], [33, 67], [67, 100]])
        let at96 = try MIDIFile.parseNotes(MIDIFile.data(for: s, ppq: 96)).map { [$0.onTick, $0.offTick] }
        XCTAssertEqual(at96, [[0, 32], [32, 64], [64, 96]])
    }

    func testVeryShortNotesLastAtLeastOneTick() throws {
        let s = Score(voices: [VoiceEvents(id: "1", notes: [NoteEvent(pitch: 60, onset: 0, duration: 0.0001)])])
        let n = try MIDIFile.parseNotes(MIDIFile.data(for: s))
        XCTAssertEqual(n.map { $0.offTick - $0.onTick }, [1])
    }

    func testHeaderAndTrackBytes() throws {
        let s = Score(voices: [VoiceEvents(id: "1", name: "A", notes: [NoteEvent(pitch: 69, onset: 0, duration: 1, velocity: 64)])],
                      tempos: [TempoChange(onset: 0, quarterNotesPerMinute: 120)])
        let d = [UInt8](try MIDIFile.data(for: s, program: 73, ppq: 480))
        XCTAssertEqual(Array(d[0..<14]), [0x4D, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 2, 0x01, 0xE0])
        // Track 0: tempo 500000 µs, end of track.
        let t0: [UInt8] = [0x4D, 0x54, 0x72, 0x6B, 0, 0, 0, 11, 0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0xFF, 0x2F, 0x00]
        XCTAssertEqual(Array(d[14..<14 + t0.count]), t0)
        // Track 1: name "A", program 73 on channel 0, note on, 480-tick delta (0x83 0x60), note off, end.
        let t1: [UInt8] = [0x4D, 0x54, 0x72, 0x6B, 0, 0, 0, 21,
                           0x00, 0xFF, 0x03, 0x01, 0x41, 0x00, 0xC0, 73, 0x00, 0x90, 69, 64,
                           0x83, 0x60, 0x80, 69, 0x40, 0x00, 0xFF, 0x2F, 0x00]
        XCTAssertEqual(Array(d[(14 + t0.count)...]), t1)
    }

    func testVariableLengthQuantities() {
        XCTAssertEqual(MIDIFile.vlq(0), [0x00])
        XCTAssertEqual(MIDIFile.vlq(0x7F), [0x7F])
        XCTAssertEqual(MIDIFile.vlq(0x80), [0x81, 0x00])
        XCTAssertEqual(MIDIFile.vlq(0x2000), [0xC0, 0x00])
        XCTAssertEqual(MIDIFile.vlq(0x3FFF), [0xFF, 0x7F])
        XCTAssertEqual(MIDIFile.vlq(0x4000), [0x81, 0x80, 0x00])
        XCTAssertEqual(MIDIFile.vlq(0x0FFF_FFFF), [0xFF, 0xFF, 0xFF, 0x7F])
    }

    func testChannelsSkipTheDrumChannel() {
        let channels = (0..<17).map(MIDIFile.channel(forVoice:))
        XCTAssertEqual(channels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 0, 1])
        XCTAssertFalse(channels.contains(9))
    }

    func testReaderHandlesRunningStatusAndZeroVelocityOff() throws {
        // Hand-made type-0 file: running status note-ons, the second acting as note-off (velocity 0).
        let track: [UInt8] = [0x00, 0x91, 60, 100, 0x60, 60, 0, 0x00, 0xFF, 0x2F, 0x00]
        let bytes: [UInt8] = [0x4D, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
                              0x4D, 0x54, 0x72, 0x6B, 0, 0, 0, UInt8(track.count)] + track
        XCTAssertEqual(try MIDIFile.parseNotes(Data(bytes)),
                       [MIDIFile.Note(track: 0, channel: 1, pitch: 60, onTick: 0, offTick: 96, velocity: 100)])
    }

    func testReaderRefusesTruncatedOrJunkData() throws {
        let good = try MIDIFile.data(for: score())
        for cut in [0, 5, 13, 20, good.count - 1] {
            XCTAssertThrowsError(try MIDIFile.parse(good.prefix(cut)), "cut at \(cut)")
        }
        XCTAssertThrowsError(try MIDIFile.parse(Data("RIFF....WAVEfmt ".utf8)))
    }

    func testReaderSurvivesMutatedFiles() throws {
        // Random byte flips, insertions and cuts: the reader throws or returns, never traps.
        let good = [UInt8](try MIDIFile.data(for: score()))
        var rng = SplitMix64(seed: 3)
        var parsed = 0
        for _ in 0..<3_000 {
            var b = good
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 3 {
                case 0: b[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                default: b.removeSubrange(i..<min(b.count, i + Int(rng.next() % 8) + 1))
                }
                if b.isEmpty { b = [0] }
            }
            if (try? MIDIFile.parse(Data(b))) != nil { parsed += 1 }
        }
        XCTAssertGreaterThan(parsed, 0)
    }

    func testInvalidScoresAndArgumentsAreRefused() {
        let nan = Score(voices: [VoiceEvents(id: "1", notes: [NoteEvent(pitch: 60, onset: .nan, duration: 1)])], totalBeats: 1)
        XCTAssertThrowsError(try MIDIFile.data(for: nan))
        let high = Score(voices: [VoiceEvents(id: "1", notes: [NoteEvent(pitch: 130, onset: 0, duration: 1)])])
        XCTAssertThrowsError(try MIDIFile.data(for: high))
        XCTAssertThrowsError(try MIDIFile.data(for: score(), program: 128))
        XCTAssertThrowsError(try MIDIFile.data(for: score(), ppq: 0))
    }

    func testWriteIsAtomic() throws {
        let dir = try Analysis.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tune.mid")
        try MIDIFile.write(score(), to: url, program: Instrument.flute.midiProgram)
        let first = try Data(contentsOf: url)
        XCTAssertEqual(first, try MIDIFile.data(for: score(), program: 73))
        XCTAssertThrowsError(try MIDIFile.write(score(), to: dir.appendingPathComponent("missing/tune.mid")))
        XCTAssertThrowsError(try MIDIFile.write(score(), to: dir))
        // A write that fails part way (file-size limit) leaves the old file and no temporary file.
        let long = Score(voices: [VoiceEvents(id: "1", notes: (0..<5_000).map { NoteEvent(pitch: 60 + $0 % 12, onset: Double($0), duration: 1) })])
        var failure: Error?
        withFileSizeLimit(1024) {
            do { try MIDIFile.write(long, to: url) } catch { failure = error }
        }
        XCTAssertNotNil(failure)
        XCTAssertEqual(try Data(contentsOf: url), first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["tune.mid"])
    }
}
