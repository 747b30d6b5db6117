// Transposition: known examples worked by hand, the events of every corpus tune moved by every
// interval from -6 to +6, up-then-down round trips, and the refusals.
import XCTest
@testable import ABCNotation

final class TransposeTests: XCTestCase {
    func parse(_ text: String) -> Tune {
        let file = ABCParser.parse(text, fileName: "t.abc")
        XCTAssertEqual(file.tunes.count, 1)
        return file.tunes[0]
    }

    /// The events of `tune`, every pitch moved by `semitones`.
    func moved(_ tune: Tune, _ semitones: Int) -> [[NoteEvent]] {
        tune.score().score.voices.map { voice in
            voice.notes.map { note in
                var n = note
                n.pitch += semitones
                n.gracePitches = n.gracePitches.map { $0 + semitones }
                return n
            }
        }
    }

    func shifted(_ note: NoteEvent, _ semitones: Int) -> NoteEvent {
        var n = note
        n.pitch += semitones
        n.gracePitches = n.gracePitches.map { $0 + semitones }
        return n
    }

    func events(_ tune: Tune) -> [[NoteEvent]] { tune.score().score.voices.map(\.notes) }

    func testDMajorTuneToGByHand() throws {
        let text = """
        X:1
        T:The Kesh % a comment stays
        M:6/8
        L:1/8
        K:D Major
        |:A|dfa agf|e2d B2A|A,2D DFA:|
        w:lyrics stay as they are
        """
        let result = try Transposer.transpose(parse(text), semitones: 5)
        XCTAssertEqual(result.text, """
        X:1
        T:The Kesh % a comment stays
        M:6/8
        L:1/8
        K:G Major
        |:d|gbd' d'c'b|a2g e2d|D2G GBd:|
        w:lyrics stay as they are
        """)
        XCTAssertEqual(result.originalKey, "D Major")
        XCTAssertEqual(result.newKey, "G Major")
        XCTAssertEqual(result.interval.steps, 3)
        XCTAssertEqual(events(parse(result.text)), moved(parse(text), 5))
        // --to G is the same move (up a fourth, not down a fifth).
        XCTAssertEqual(try Transposer.transpose(parse(text), toKey: "G").text, result.text)
    }

    func testAccidentalsKeepTheirRelationAndBarScope() throws {
        // G major: ^c is a raised 4th, =f a lowered 7th; the second F in the bar is natural too.
        let text = "X:1\nM:4/4\nL:1/8\nK:G\nG^cdB =fgfe|f2 ^F2 [C^FA]2 {^f}g2|\n"
        let up = try Transposer.transpose(parse(text), semitones: 2)
        XCTAssertEqual(up.text, "X:1\nM:4/4\nL:1/8\nK:A\nA^dec =gagf|g2 ^G2 [D^GB]2 {^g}a2|")
        XCTAssertEqual(events(parse(up.text)), moved(parse(text), 2))
        // Up a semitone from C: the spelling is Db (5 flats), not C# (7); a sharp becomes a natural.
        let c = "X:1\nM:4/4\nL:1/4\nK:C\n^FGFE|\n"
        let db = try Transposer.transpose(parse(c), semitones: 1)
        XCTAssertEqual(db.text, "X:1\nM:4/4\nL:1/4\nK:Db\n=GAGF|")
        XCTAssertEqual(events(parse(db.text)), moved(parse(c), 1))
    }

    func testANoteThatNeedsACourtesyAccidentalGetsOne() throws {
        // In C, ^F then an octave-higher f (natural: accidentals hold per octave). Down a semitone
        // to B (5 sharps, not Cb's 7): F# → E#, written; f → e, natural in B major, unmarked.
        let text = "X:1\nM:4/4\nL:1/4\nK:C\n^Ffc2|\n"
        let down = try Transposer.transpose(parse(text), semitones: -1)
        XCTAssertEqual(down.text, "X:1\nM:4/4\nL:1/4\nK:B\n^EeB2|")
        XCTAssertEqual(events(parse(down.text)), moved(parse(text), -1))
    }

    func testChordSymbolsMove() throws {
        let text = "X:1\nM:3/4\nL:1/4\nK:G\n\"G\"G \"Em7\"E \"D/F#\"F|\"Bbmaj7\"B \"(A7)\"A \"Coda\"G|\n"
        let up = try Transposer.transpose(parse(text), semitones: 2)
        XCTAssertEqual(up.text, "X:1\nM:3/4\nL:1/4\nK:A\n\"A\"A \"F#m7\"F \"E/G#\"G|\"Cmaj7\"c \"(B7)\"B \"Coda\"A|")
        let flat = try Transposer.transpose(parse(text), semitones: -2)
        XCTAssertTrue(flat.text.contains("K:F\n\"F\"F \"Dm7\"D \"C/E\"E|\"Abmaj7\"A \"(G7)\"G \"Coda\"F|"), flat.text)
    }

    func testInlineAndBodyKeysMoveWithTheTune() throws {
        let text = "X:1\nM:4/4\nL:1/8\nK:Ador\nABcd efge|[K:A] ABcd e4|\nK:Em\nEFGA B4|\n"
        let up = try Transposer.transpose(parse(text), semitones: 3)
        XCTAssertEqual(up.text, "X:1\nM:4/4\nL:1/8\nK:Cdor\ncdef gabg|[K:C] cdef g4|\nK:Gm\nGABc d4|")
        XCTAssertEqual(events(parse(up.text)), moved(parse(text), 3))
    }

    func testExplicitKeyAccidentalsMove() throws {
        let text = "X:1\nM:4/4\nL:1/8\nK:D ^g clef=treble\nDEFG ABcd|\n"
        let up = try Transposer.transpose(parse(text), semitones: 2)
        XCTAssertEqual(up.text, "X:1\nM:4/4\nL:1/8\nK:E ^a clef=treble\nEFGA Bcde|")
        XCTAssertEqual(events(parse(up.text)), moved(parse(text), 2))
    }

    func testKeyNoneKeepsItsKeyAndWritesAccidentals() throws {
        let text = "X:1\nM:4/4\nL:1/4\nK:none\nCDEF|\n"
        let up = try Transposer.transpose(parse(text), semitones: 2)
        XCTAssertEqual(up.text, "X:1\nM:4/4\nL:1/4\nK:none\nDE^FG|")
        XCTAssertEqual(events(parse(up.text)), moved(parse(text), 2))
    }

    func testTiedAccidentalCarriesAcrossTheBar() throws {
        let text = "X:1\nM:4/4\nL:1/4\nK:C\nCDE^F-|FGAB|\n"
        let up = try Transposer.transpose(parse(text), semitones: 1)
        XCTAssertEqual(events(parse(up.text)), moved(parse(text), 1))
    }

    func testTritoneSpellingFollowsTheKeysSide() {
        // From D (2 sharps) up 4 to F# (6 sharps), from F (1 flat) up 1 to Gb (6 flats).
        XCTAssertEqual(Transposer.interval(semitones: 4, fromFifths: 2).fifths, 4)
        XCTAssertEqual(Transposer.interval(semitones: 1, fromFifths: -1).fifths, -5)
        // From C up 6 goes to F# and down 6 to Gb.
        XCTAssertEqual(Transposer.interval(semitones: 6, fromFifths: 0).fifths, 6)
        XCTAssertEqual(Transposer.interval(semitones: -6, fromFifths: 0).fifths, -6)
        // Never more than 6 sharps or flats from a key of at most 6.
        for f in -6...6 {
            for n in -12...12 { XCTAssertLessThanOrEqual(abs(f + Transposer.interval(semitones: n, fromFifths: f).fifths), 6) }
        }
        XCTAssertEqual(TranspositionInterval(semitones: -6, fifths: 6)?.steps, -4)
        XCTAssertEqual(TranspositionInterval(semitones: 12, fifths: 0)?.steps, 7)
        XCTAssertNil(TranspositionInterval(semitones: 1, fifths: 1))
    }

    func testToKeyKeepsTheGivenSpellingAndMode() throws {
        let text = "X:1\nM:4/4\nL:1/4\nK:Em\nEFGA|\n"
        XCTAssertTrue(try Transposer.transpose(parse(text), toKey: "Gb").text.contains("K:Gbm\nGAB"))
        XCTAssertTrue(try Transposer.transpose(parse(text), toKey: "F#m").text.contains("K:F#m\nFGA"))
        XCTAssertThrowsError(try Transposer.transpose(parse(text), toKey: "G major")) { error in
            XCTAssertTrue("\(error)".contains("names another mode"), "\(error)")
        }
        XCTAssertThrowsError(try Transposer.transpose(parse(text), toKey: "H")) { error in
            XCTAssertTrue("\(error)".contains("'H' is not a key"), "\(error)")
        }
    }

    func testRefusals() {
        XCTAssertThrowsError(try Transposer.transpose(parse("X:1\nM:4/4\nL:1/4\nK:HP\nABcd|\n"), semitones: 2)) { error in
            XCTAssertTrue("\(error)".contains("t.abc:4:3: error: K:HP (Highland bagpipe) cannot be transposed"), "\(error)")
        }
        XCTAssertThrowsError(try Transposer.transpose(parse("X:1\nM:4/4\nL:1/4\nK:C\nCD g''''c|\n"), semitones: 5)) { error in
            XCTAssertTrue("\(error)".contains("t.abc:5:4: error: moved by 5 semitones this note would be MIDI pitch 132"), "\(error)")
        }
        XCTAssertThrowsError(try Transposer.transpose(parse("X:1\nM:4/4\nL:1/4\nK:C\nCD ?E|\n"), semitones: 5)) { error in
            XCTAssertTrue("\(error)".contains("t.abc:5:4: error: tune 1 has 1 error(s), first: unexpected character '?'"), "\(error)")
        }
    }

    func testVerifyCatchesAWrongTransposition() throws {
        let tune = parse("X:1\nM:4/4\nL:1/4\nK:G\nGABc|{g}d4|\n")
        let right = "X:1\nM:4/4\nL:1/4\nK:A\nABcd|{a}e4|"
        let interval = TranspositionInterval(semitones: 2, fifths: 2)!
        XCTAssertNoThrow(try Transposer.verify(original: tune, text: right, interval: interval))
        for wrong in ["X:1\nM:4/4\nL:1/4\nK:A\nABcd|{a}f4|", "X:1\nM:4/4\nL:1/4\nK:A\nABcd|{b}e4|",
                      "X:1\nM:4/4\nL:1/4\nK:A\nAB=cd|{a}e4|", "X:1\nM:4/4\nL:1/4\nK:A\nABcd|{a}e3|"] {
            XCTAssertThrowsError(try Transposer.verify(original: tune, text: wrong, interval: interval), wrong)
        }
    }

    /// Every corpus tune without errors moves by every interval from -6 to +6 with the same
    /// validity and its events shifted; up then down (by -5, 2 and 6) gives back the events,
    /// and the text too.
    func testEveryCorpusTuneTransposesByEveryInterval() throws {
        let file = ABCParser.parse(bytes: Fixture.corpusBytes, fileName: "irish.abc")
        XCTAssertGreaterThan(file.tunes.count, 800)
        var textRoundTrips = 0, tried = 0
        for tune in file.tunes where !tune.hasErrors {
            let original = moved(tune, 0)
            for n in -6...6 where n != 0 {
                let up: TransposedTune
                do { up = try Transposer.transpose(tune, semitones: n) } catch {
                    XCTFail("tune \(tune.index) by \(n): \(error)")
                    continue
                }
                let parsed = ABCParser.parse(up.text, fileName: "irish.abc").tunes[0]
                // Transposer.verify has already compared validity and events (and its own test
                // shows it catches a wrong note); checked here again, independently, for three
                // intervals (flat side, sharp side, tritone) to keep the test's time down.
                guard [-5, 2, 6].contains(n) else { continue }
                XCTAssertEqual(parsed.validity, tune.validity, "tune \(tune.index) by \(n)")
                XCTAssertEqual(events(parsed), original.map { $0.map { shifted($0, n) } }, "tune \(tune.index) by \(n)")
                let back = try Transposer.transpose(parsed, semitones: -n)
                tried += 1
                // The same text is the same events; otherwise compare the events.
                if back.text == tune.sourceText {
                    textRoundTrips += 1
                } else {
                    XCTAssertEqual(events(ABCParser.parse(back.text).tunes[0]), original, "tune \(tune.index) by \(n) and back")
                }
            }
        }
        // The text comes back exactly too (the corpus writes octaves canonically and its keys have
        // at most 4 sharps).
        XCTAssertEqual(textRoundTrips, tried)
    }
}
