import XCTest
@testable import ABCNotation

final class ScoreTempoMapTests: XCTestCase {
    func testDefaultTempoIs120QuarterNotesAMinute() {
        let score = Score(voices: [VoiceEvents(id: "1", notes: [NoteEvent(pitch: 69, onset: 0, duration: 4)])])
        XCTAssertEqual(score.totalBeats, 4)
        XCTAssertEqual(score.totalSeconds, 2, accuracy: 1e-12)
    }

    func testTempoChangesAreFollowed() {
        // 4 beats at 60 (4 s), then 4 beats at 120 (2 s).
        let score = Score(
            voices: [VoiceEvents(id: "1", notes: [NoteEvent(pitch: 60, onset: 0, duration: 8)])],
            tempos: [TempoChange(onset: 4, quarterNotesPerMinute: 120), TempoChange(onset: 0, quarterNotesPerMinute: 60)])
        XCTAssertEqual(score.seconds(atBeat: 2), 2, accuracy: 1e-12)
        XCTAssertEqual(score.seconds(atBeat: 4), 4, accuracy: 1e-12)
        XCTAssertEqual(score.seconds(atBeat: 6), 5, accuracy: 1e-12)
        XCTAssertEqual(score.totalSeconds, 6, accuracy: 1e-12)
    }
}
