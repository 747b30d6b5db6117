// Corpus tests: every tune of corpus/irish.abc parses, round-trips through the formatter,
// yields events, and the validity tier counts are what we checked by hand (each failing tune
// was read: missing bar lines, 3/8 bars in 6/8, a typo 's', M: lines holding music, ...).
import XCTest
@testable import ABCNotation

final class CorpusTests: XCTestCase {
    static let file = ABCParser.parse(bytes: Fixture.corpusBytes, fileName: "irish.abc")

    func testEveryTuneIsFound() {
        XCTAssertEqual(Self.file.tunes.count, 804)
        // Tunes 22 and 617 have a blank line after K:, which ends them; their music is stray text.
        XCTAssertEqual(Self.file.diagnostics.map(\.line), [246, 7189])
        XCTAssertTrue(Self.file.diagnostics.allSatisfy { $0.message == "music outside any tune is ignored" })
        XCTAssertEqual(Self.file.tunes.map(\.index), Array(1...804))
        XCTAssertEqual(ABCParser.splitTunes(String(decoding: Fixture.corpusBytes, as: UTF8.self)).count, 804)
    }

    func testTierCounts() {
        let tunes = Self.file.tunes
        let passing = (1...4).map { tier in tunes.filter { $0.validity.passesTier(tier) }.count }
        XCTAssertEqual(passing, [801, 801, 784, 784])
        XCTAssertEqual(tunes.filter(\.hasErrors).count, 3)
        XCTAssertEqual(tunes.filter { $0.diagnostics.isEmpty }.count, 784)
    }

    func testEveryTuneRoundTripsThroughTheFormatter() {
        for tune in Self.file.tunes {
            let text = ABCFormatter.format(tune)
            let again = ABCParser.parse(text, fileName: "formatted.abc").tunes
            XCTAssertEqual(again.count, 1, "tune \(tune.index)")
            guard let reparsed = again.first else { continue }
            XCTAssertEqual(reparsed.structure, tune.structure, "tune \(tune.index):\n\(text)")
            if !tune.hasErrors { XCTAssertEqual(reparsed.validity, tune.validity, "tune \(tune.index)") }
        }
    }

    func testEveryTuneYieldsEvents() {
        for tune in Self.file.tunes {
            let result = tune.score()
            let notes = result.score.voices.flatMap(\.notes)
            XCTAssertEqual(notes.isEmpty, tune.barCount == 0, "tune \(tune.index)")
            XCTAssertTrue(notes.allSatisfy { (0...127).contains($0.pitch) && $0.duration > 0 })
            XCTAssertEqual(result.diagnostics.filter { $0.category == .score }, [], "tune \(tune.index)")
        }
    }

    func testFirstCorpusTuneExactly() {
        let tune = Self.file.tunes[0]
        XCTAssertEqual(tune.referenceNumber, 1)
        XCTAssertEqual(tune.title, "Alexander's")
        XCTAssertEqual(tune.meter, .cut)
        XCTAssertEqual(tune.key.fifths, 2)
        XCTAssertEqual(tune.unitLength, Rational(1, 8))
        XCTAssertEqual(tune.startLine, 1)
        XCTAssertEqual(tune.barCount, 18)
        let notes = tune.score().score.voices[0].notes
        // (3ABc pickup: three notes in the time of two eighths; then d A F A ...
        XCTAssertEqual(Array(notes.prefix(4).map(\.pitch)), [69, 71, 73, 74])
        XCTAssertEqual(notes[3].onset, 1, accuracy: 1e-12)
        // Both parts are repeated (no |: anywhere): 2 x (pickup + 8 bars) of 4 beats.
        let partBeats: Double = 1 + 7 * 4 + 3
        XCTAssertEqual(tune.score().score.totalBeats, 4 * partBeats, accuracy: 1e-9)
    }
}
