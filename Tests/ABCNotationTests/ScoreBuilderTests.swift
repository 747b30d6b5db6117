// Score tests: pitches, onsets and durations exactly as a player reads the tune.
import XCTest
@testable import ABCNotation

final class ScoreBuilderTests: XCTestCase {
    func on(_ notes: [NoteEvent]) -> [Double] { notes.map(\.onset) }

    func testKeySignatureAppliesToUnmarkedNotes() {
        XCTAssertEqual(Fixture.notes("F|\n", header: "X:1\nM:4/4\nL:1/8\nK:D\n").map(\.pitch), [66])
        XCTAssertEqual(Fixture.notes("B e|\n", header: "X:1\nM:4/4\nL:1/8\nK:Ador\n").map(\.pitch), [71, 76])
        XCTAssertEqual(Fixture.notes("F c|\n", header: "X:1\nM:4/4\nL:1/8\nK:Dmix\n").map(\.pitch), [66, 72])
        XCTAssertEqual(Fixture.notes("F G|\n", header: "X:1\nM:4/4\nL:1/8\nK:D ^g\n").map(\.pitch), [66, 68])
        XCTAssertEqual(Fixture.notes("B,, c''|\n").map(\.pitch), [47, 96])
    }

    func testAccidentalsLastToTheEndOfTheBarForThatOctaveOnly() {
        let notes = Fixture.notes("^c c C c|c\n")
        XCTAssertEqual(notes.map(\.pitch), [73, 73, 60, 73, 72])
        XCTAssertEqual(Fixture.notes("=F F|F\n", header: "X:1\nM:4/4\nL:1/8\nK:D\n").map(\.pitch), [65, 65, 66])
    }

    func testLengthsInBeats() {
        let notes = Fixture.notes("A A2 A/ A3/2 z A|\n")
        XCTAssertEqual(notes.map(\.duration), [0.5, 1, 0.25, 0.75, 0.5])
        XCTAssertEqual(on(notes), [0, 0.5, 1.5, 1.75, 3])
    }

    func testTripletsUnderEighthUnit() {
        let notes = Fixture.notes("(3ABc d|\n")
        for n in notes.prefix(3) { XCTAssertEqual(n.duration, 1.0 / 3, accuracy: 1e-12) }
        XCTAssertEqual(notes[3].onset, 1, accuracy: 1e-12)
        let five = Fixture.notes("(5ABcde|\n", header: "X:1\nM:6/8\nL:1/8\nK:C\n")
        XCTAssertEqual(five[0].duration, 0.5 * 3 / 5, accuracy: 1e-12) // compound: 5 in the time of 3
        let explicit = Fixture.notes("(3:2:2AB c|\n")
        // r = 2: only two notes are in the tuplet.
        for (n, expected) in zip(explicit, [1.0 / 3, 1.0 / 3, 0.5]) { XCTAssertEqual(n.duration, expected, accuracy: 1e-12) }
    }

    func testBrokenRhythm() {
        XCTAssertEqual(Fixture.notes("A>B|\n").map(\.duration), [0.75, 0.25])
        XCTAssertEqual(Fixture.notes("A<B|\n").map(\.duration), [0.25, 0.75])
        XCTAssertEqual(Fixture.notes("A>>B|\n").map(\.duration), [0.875, 0.125])
        XCTAssertEqual(Fixture.notes("A\"D\">B|\n").map(\.duration), [0.75, 0.25])
        XCTAssertTrue(Fixture.tune("A|>B|\n").diagnostics.contains { $0.message.contains("between two notes") })
    }

    func testChordsAreSimultaneousAndGraceAndDecorationsAreMarks() {
        let notes = Fixture.notes("[CEG]2 {g}!trill!A ~B|\n")
        XCTAssertEqual(notes.map(\.pitch), [60, 64, 67, 69, 71])
        XCTAssertEqual(on(notes), [0, 0, 0, 1, 1.5])
        XCTAssertEqual(notes[0].duration, 1)
        XCTAssertEqual(notes[3].marks, ["grace", "trill"])
        XCTAssertEqual(notes[3].gracePitches, [79])
        XCTAssertEqual(notes[4].marks, ["roll"])
    }

    func testTiesMergeAcrossBarsAndCarryTheAccidental() {
        let notes = Fixture.notes("A4 ^c4-|c4 d4|\n")
        XCTAssertEqual(notes.map(\.pitch), [69, 73, 74])
        XCTAssertEqual(notes.map(\.duration), [2, 4, 2])
        XCTAssertEqual(on(notes), [0, 2, 6])
    }

    func testRepeatsAABBWithoutOpeningRepeat() {
        let notes = Fixture.notes("A4 B4:|c4 d4:|\n")
        XCTAssertEqual(notes.map(\.pitch), [69, 71, 69, 71, 72, 74, 72, 74])
        XCTAssertEqual(on(notes), [0, 2, 4, 6, 8, 10, 12, 14])
    }

    func testRepeatsWithStartDoubleColonAndPickup() {
        let notes = Fixture.notes("G|:A4 B4:|c4 d4::e8:|\n")
        XCTAssertEqual(notes.map(\.pitch), [67, 69, 71, 69, 71, 72, 74, 72, 74, 76, 76])
    }

    func testFirstAndSecondEndings() {
        let notes = Fixture.notes("|:A8|1 B8:|2 c8|d8|]\n")
        XCTAssertEqual(notes.map(\.pitch), [69, 71, 69, 72, 74])
        XCTAssertEqual(on(notes), [0, 4, 8, 12, 16])
        let bracketed = Fixture.notes("A8|[1 B8:|[2 c8|]\nd8:|\n")
        XCTAssertEqual(bracketed.map(\.pitch), [69, 71, 69, 72, 74, 74])
        let closedSecond = Fixture.notes("|:A8|[1 B8:|[2 c8:|d8|]\n")
        XCTAssertEqual(closedSecond.map(\.pitch), [69, 71, 69, 72, 74])
        let three = Fixture.notes("|:A8|[1,3 B8:|[2 c8:|[4 d8|]\n")
        XCTAssertEqual(three.map(\.pitch), [69, 71, 69, 72, 69, 71, 69, 74])
    }

    func testPartsPlayInTheHeaderOrder() {
        let header = "X:1\nM:4/4\nL:1/8\nP:A2(BA)2\nK:C\n"
        let notes = Fixture.notes("P:A\nA8|]\nP:B\nB8|]\n", header: header)
        XCTAssertEqual(notes.map(\.pitch), [69, 69, 71, 69, 71, 69])
        XCTAssertEqual(notes.map(\.onset), [0, 4, 8, 12, 16, 20])
        XCTAssertEqual(ScoreBuilder.partOrder("A.B.A.C"), ["A", "B", "A", "C"])
        XCTAssertNil(ScoreBuilder.partOrder("..."))
        // Without an order in the header, parts play as written.
        XCTAssertEqual(Fixture.notes("P:A\nA8:|\nP:B\nB8:|\n").map(\.pitch), [69, 69, 71, 71])
        let missing = Fixture.tune("P:A\nA8|]\n", header: "X:1\nM:4/4\nL:1/8\nP:AC\nK:C\n").score()
        XCTAssertTrue(missing.diagnostics.contains { $0.message.contains("part C") })
    }

    func testTempoFromQ() {
        let t = Fixture.tune("A6 z6|\n", header: "X:1\nM:6/8\nL:1/8\nQ:3/8=120\nK:C\n")
        let score = t.score().score
        XCTAssertEqual(score.tempos, [TempoChange(onset: 0, quarterNotesPerMinute: 180)])
        XCTAssertEqual(score.seconds(atBeat: 3), 1, accuracy: 1e-12)
        XCTAssertEqual(Fixture.tune("A|\n").score().score.tempos, [TempoChange(onset: 0, quarterNotesPerMinute: 120)])
        let change = Fixture.tune("A8|[Q:1/4=60] A8|\n").score().score
        XCTAssertEqual(change.tempos.map(\.onset), [0, 4])
    }

    func testKeyChangeMidTune() {
        let notes = Fixture.notes("F4 F4|\nK:D\nF4 F4|[K:Bb] B8|\n")
        XCTAssertEqual(notes.map(\.pitch), [65, 65, 66, 66, 70])
    }

    func testMultiBarRestTakesWholeBars() {
        let notes = Fixture.notes("Z4|A8|\n")
        XCTAssertEqual(notes.map(\.onset), [16])
        let t = Fixture.tune("Z4|A8|\n")
        XCTAssertEqual(t.barCount, 5)
        XCTAssertTrue(t.validity.passesTier(4), "\(t.diagnostics)")
    }

    func testChordSymbolsBecomeEvents() {
        let voice = Fixture.tune("\"G\"G4 \"D7\"A4|\"G\"B8|\n").score().score.voices[0]
        XCTAssertEqual(voice.chordSymbols, [ChordSymbolEvent(name: "G", onset: 0, duration: 2), ChordSymbolEvent(name: "D7", onset: 2, duration: 2),
                                            ChordSymbolEvent(name: "G", onset: 4, duration: 4)])
    }

    func testPitchOutOfRangeIsADiagnostic() {
        let t = Fixture.tune("c'''''''' A|\n")
        XCTAssertTrue(t.diagnostics.contains { $0.category == .score && $0.message.contains("0...127") })
        XCTAssertEqual(t.score().score.voices[0].notes.map(\.pitch), [69])
    }

    func testTransposeFromKey() {
        XCTAssertEqual(Fixture.notes("C|\n", header: "X:1\nM:4/4\nL:1/8\nK:C transpose=-2\n").map(\.pitch), [58])
    }

    func testExpansionIsCapped() {
        // Each :| with no opening |: repeats from the previous :|, so this plays each bar twice; the cap
        // still bounds what a long file can make.
        let body = String(repeating: "A8:|", count: 1000) + "\n"
        let notes = Fixture.notes(body)
        XCTAssertEqual(notes.count, 2000)
    }
}

final class ValidityTests: XCTestCase {
    func testCleanTunePassesAllTiers() {
        let t = Fixture.tune("GABc dedB|GABc d4|]\n")
        XCTAssertEqual(t.validity.highestTier, 4, "\(t.diagnostics)")
        XCTAssertTrue(t.diagnostics.isEmpty)
    }

    func testMissingMeterFailsTier2() {
        let t = Fixture.tune("GABc dedB|\n", header: "X:1\nL:1/8\nK:G\n")
        XCTAssertEqual(t.validity.highestTier, 1)
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("M:") })
    }

    func testMissingKeyFailsTier2() {
        let t = Fixture.tune("GABc dedB|\n", header: "X:1\nM:4/4\nL:1/8\n")
        XCTAssertEqual(t.validity.highestTier, 1)
    }

    func testWrongBarFailsTier3() {
        let t = Fixture.tune("GABc dedB|GABc ded|GABc d4|]\n")
        XCTAssertEqual(t.validity.highestTier, 2)
        XCTAssertEqual(t.diagnostics.map(\.category), [.barLength])
        XCTAssertEqual(t.diagnostics.first?.line, 6)
        XCTAssertEqual(t.diagnostics.first?.column, 11)
        XCTAssertEqual(Fixture.tune("GABc dedBc|\n").validity.highestTier, 2)
    }

    func testPickupAndCompletingBarsPass() {
        XCTAssertEqual(Fixture.tune("AB|c4 d4|e4 f2:|\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("AB|c4 d4|e4 f2|]\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("AB|c4 d4|e8|]\n").validity.highestTier, 4) // final bar may be full
        XCTAssertEqual(Fixture.tune("AB|c4 d4|[1 e4 f2 :|[2 e4 f2||\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("AB|c4 d4|e4 f2|\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("AB|c4 d4|e4 f|]\n").validity.highestTier, 2) // 5/8 + 2/8
        XCTAssertEqual(Fixture.tune("c4 d4|e4 f2 g2|e4 f2|c8|]\n").validity.highestTier, 2) // short bar mid-section
    }

    func testShortBarsBetweenBoundariesFail() {
        XCTAssertEqual(Fixture.tune("AB||cd||ef||\n").validity.highestTier, 2)
        XCTAssertEqual(Fixture.tune("A2|]\n").validity.highestTier, 2)
    }

    func testLaterEndingsPairWithTheBarBeforeTheEndingsNotWithEachOther() {
        let header = "X:1\nM:6/8\nL:1/8\nK:C\n"
        XCTAssertEqual(Fixture.tune("|:A2B c2d|1 e3:|[2 f3|\n", header: header).validity.highestTier, 2)
        XCTAssertEqual(Fixture.tune("|:A2B c2d|e3|[1 fga:|[2 gab||\n", header: header).validity.highestTier, 4)
    }

    func testNonNumericXFailsTier2() {
        XCTAssertEqual(Fixture.tune("A8|]\n", header: "X:one\nM:4/4\nL:1/8\nK:C\n").validity.highestTier, 1)
    }

    func testFreeMeterPasses() {
        XCTAssertEqual(Fixture.tune("ABC|DEFGAB|c|]\n", header: "X:1\nM:none\nL:1/8\nK:C\n").validity.highestTier, 4)
    }

    func testUnbalancedRepeatsFailTier4() {
        XCTAssertEqual(Fixture.tune("|:A8|B8|\n").validity.highestTier, 3)
        XCTAssertEqual(Fixture.tune("|:A8|:B8:|\n").validity.highestTier, 3)
        XCTAssertEqual(Fixture.tune("|:A8|[2 B8|]\n").validity.highestTier, 3)
        XCTAssertEqual(Fixture.tune("|:A8|1 B8|2 c8|]\n").validity.highestTier, 3)
        XCTAssertEqual(Fixture.tune("|:A8|1 B8:|3 c8|]\n").validity.highestTier, 3)
        XCTAssertEqual(Fixture.tune("|:A8|1 B8:|2 c8|]\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("A8:|B8:|\n").validity.highestTier, 4)
        XCTAssertEqual(Fixture.tune("|:A8::B8:|\n").validity.highestTier, 4)
    }

    func testErrorsFailTier1() {
        let t = Fixture.tune("A8 @|\n")
        XCTAssertEqual(t.validity.highestTier, 0)
        XCTAssertFalse(t.validity.passesTier(1))
        XCTAssertTrue(t.validity.passesTier(0))
    }
}
