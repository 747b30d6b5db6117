// Parser tests: one construct at a time, each with the exact structure expected.
import XCTest
@testable import ABCNotation

final class HeaderTests: XCTestCase {
    func testKeysModesAndAccidentals() {
        let cases: [(String, Int)] = [
            ("D Major", 2), ("D", 2), ("Ador", 1), ("A Dorian", 1), ("Dmix", 1), ("D Mixolydian", 1), ("Em", 1),
            ("E minor", 1), ("F#m", 3), ("Bb", -2), ("C", 0), ("Aphr", -1), ("Glyd", 2), ("Bloc", 0), ("G Ionian", 1),
            ("Eaeo", 1), ("dor", 0), ("Cmaj", 0), ("EbMAJOR", -3),
        ]
        for (value, fifths) in cases where value != "dor" {
            let (key, problems) = KeySignature.parse(value)
            XCTAssertEqual(problems, [], value)
            XCTAssertEqual(key.fifths, fifths, value)
        }
        XCTAssertEqual(KeySignature.parse("D Major").key.alterations, [1, 0, 0, 1, 0, 0, 0]) // C# F#
        XCTAssertEqual(KeySignature.parse("Bb").key.alterations, [0, 0, -1, 0, 0, 0, -1])
        XCTAssertEqual(KeySignature.parse("D ^g").key.alterations, [1, 0, 0, 1, 1, 0, 0])
        XCTAssertEqual(KeySignature.parse("none").key.alterations, [0, 0, 0, 0, 0, 0, 0])
        XCTAssertTrue(KeySignature.parse("HP").key.isHighlandPipes)
        XCTAssertEqual(KeySignature.parse("Hp").key.alterations, [1, 0, 0, 1, 0, 0, 0])
        let clef = KeySignature.parse("G clef=bass transpose=-2 octave=-1 middle=d")
        XCTAssertEqual(clef.problems, [])
        XCTAssertEqual(clef.key.clef, "bass")
        XCTAssertEqual(clef.key.transpose, -2)
        XCTAssertEqual(clef.key.octave, -1)
        XCTAssertEqual(KeySignature.parse("Dbass").problems.count, 1) // not a mode
        XCTAssertEqual(KeySignature.parse("Q").problems.count, 1)
    }

    func testMeters() {
        XCTAssertEqual(Meter.parse("C").meter, .common)
        XCTAssertEqual(Meter.parse("C|").meter, .cut)
        XCTAssertEqual(Meter.parse("none").meter, .free)
        XCTAssertEqual(Meter.parse("6/8").meter, .fraction(numerators: [6], denominator: 8))
        XCTAssertEqual(Meter.parse("(2+3)/8").meter?.barLength, Rational(5, 8))
        XCTAssertEqual(Meter.parse("2+3/8").meter?.barLength, Rational(5, 8))
        XCTAssertEqual(Meter.parse("2/4+3/8").meter?.barLength, Rational(7, 8))
        XCTAssertNil(Meter.parse("0/0").meter)
        XCTAssertNil(Meter.parse("3/0").meter)
        XCTAssertTrue(Meter.parse("6/8").meter!.isCompound)
        XCTAssertFalse(Meter.parse("3/4").meter!.isCompound)
    }

    func testUnitLengthDefaultsFromMeter() {
        XCTAssertEqual(Fixture.tune("A|\n", header: "X:1\nM:2/4\nK:C\n").unitLength, Rational(1, 16))
        XCTAssertEqual(Fixture.tune("A|\n", header: "X:1\nM:3/4\nK:C\n").unitLength, Rational(1, 8))
        XCTAssertEqual(Fixture.tune("A|\n", header: "X:1\nM:C|\nK:C\n").unitLength, Rational(1, 8))
        XCTAssertEqual(Fixture.tune("A|\n", header: "X:1\nM:none\nK:C\n").unitLength, Rational(1, 8))
        XCTAssertEqual(Fixture.tune("A|\n", header: "X:1\nM:2/4\nL:1/4\nK:C\n").unitLength, Rational(1, 4))
    }

    func testTempos() {
        let eighth = Rational(1, 8)!
        XCTAssertEqual(Meter.parseTempo("1/4=120", unitLength: eighth), 120)
        XCTAssertEqual(Meter.parseTempo("3/8=120", unitLength: eighth), 180)
        XCTAssertEqual(Meter.parseTempo("\"Allegro\" 1/4=100", unitLength: eighth), 100)
        XCTAssertEqual(Meter.parseTempo("120", unitLength: eighth), 60)
        XCTAssertEqual(Meter.parseTempo("1/8 3/8=40", unitLength: eighth), 80)
        XCTAssertNil(Meter.parseTempo("fast", unitLength: eighth))
    }

    func testBadHeaderValuesAreDiagnosticsNotTraps() {
        let t1 = Fixture.tune("A|\n", header: "X:1\nM:4/4\nL:1/0\nK:C\n")
        XCTAssertTrue(t1.diagnostics.contains { $0.message.contains("unit length") && $0.line == 3 })
        let t2 = Fixture.tune("A|\n", header: "X:1\nM:0/0\nK:C\n")
        XCTAssertTrue(t2.diagnostics.contains { $0.message.contains("meter") && $0.severity == .error })
        XCTAssertFalse(t2.validity.noErrors)
    }

    func testFileHeaderAppliesToEveryTune() {
        let file = ABCParser.parse("% collection\nM:6/8\nL:1/8\n\nX:1\nK:G\nGAB GAB|\n\nX:2\nK:D\nDEF DEF|\n", fileName: "f.abc")
        XCTAssertEqual(file.headerFields.map(\.letter), ["M", "L"])
        XCTAssertEqual(file.tunes.count, 2)
        for tune in file.tunes {
            XCTAssertEqual(tune.meter, .fraction(numerators: [6], denominator: 8))
            XCTAssertTrue(tune.validity.passesTier(4), "\(tune.diagnostics)")
        }
        XCTAssertEqual(file.tunes[1].referenceNumber, 2)
        XCTAssertEqual(file.tunes[1].startLine, 9)
    }

    func testHeaderFieldsAndContinuation() {
        let t = Fixture.tune("A|\n", header: "X:7\nT:First\nT:Second\nC:Trad.\nO:Ireland\nR:reel\nZ:someone\nN:note\n+:more\nS:source\nB:book\nD:disc\nH:history\nG:group\nI:abc-charset utf-8\nr:remark\nQ:1/4=96\nP:AB\nM:C\nL:1/8\nK:G\n")
        XCTAssertEqual(t.referenceNumber, 7)
        XCTAssertEqual(t.title, "First")
        XCTAssertEqual(t.header.first { $0.letter == "N" }?.value, "note more")
        XCTAssertEqual(t.tempo, 96)
        XCTAssertEqual(t.key.fifths, 1)
    }
}

final class BodyTests: XCTestCase {
    func body(_ text: String, header: String = Fixture.defaultHeader) -> [BodyElement] {
        Fixture.tune(text, header: header).body.filter { $0 != .lineBreak && $0 != .space }
    }

    func testNotesOctavesAccidentalsAndLengths() {
        let e = body("^C,, __d' =e A2 A/2 A/ A// A3/2 A3/ z2 x Z4\n")
        XCTAssertEqual(e, [
            .note(Note(letter: "C", octave: -2, accidental: .sharp)),
            .note(Note(letter: "D", octave: 2, accidental: .doubleFlat)),
            .note(Note(letter: "E", octave: 1, accidental: .natural)),
            .note(Note(letter: "A", octave: 0, length: Rational(2))),
            .note(Note(letter: "A", octave: 0, length: Rational(1, 2)!)),
            .note(Note(letter: "A", octave: 0, length: Rational(1, 2)!)),
            .note(Note(letter: "A", octave: 0, length: Rational(1, 4)!)),
            .note(Note(letter: "A", octave: 0, length: Rational(3, 2)!)),
            .note(Note(letter: "A", octave: 0, length: Rational(3, 2)!)),
            .rest(length: Rational(2), invisible: false),
            .rest(length: .one, invisible: true),
            .multiBarRest(bars: 4, invisible: false),
        ])
    }

    func testBarLinesAndEndings() {
        let e = body("|: A :| B :: c |] d [| e || f :|: g [|] a |1 b :|2 c | [1,3 d :| [1-3 e |\n")
        let bars = e.compactMap { if case let .bar(b) = $0 { return b.token + (b.ending.map { "/" + $0 } ?? "") } else { return nil } }
        XCTAssertEqual(bars, ["|:", ":|", "::", "|]", "[|", "||", ":|:", "[|]", "|/1", ":|/2", "|", ":|", "|"])
        let endings = e.compactMap { if case let .ending(t) = $0 { return t } else { return nil } }
        XCTAssertEqual(endings, ["1,3", "1-3"])
        XCTAssertEqual(TuneParser.endingNumbers("1,3"), [1, 3])
        XCTAssertEqual(TuneParser.endingNumbers("1-3"), [1, 2, 3])
    }

    func testTupletsBrokenRhythmTiesSlurs() {
        let e = body("(3ABc (3:2:4ABcd (5::5ABCDE A>B A<<B (AB) C-C\n")
        XCTAssertEqual(e[0], .tuplet(Tuplet(p: 3, q: nil, r: nil)))
        XCTAssertEqual(e[4], .tuplet(Tuplet(p: 3, q: 2, r: 4)))
        XCTAssertEqual(e[9], .tuplet(Tuplet(p: 5, q: nil, r: 5)))
        XCTAssertTrue(e.contains(.brokenRhythm(1)))
        XCTAssertTrue(e.contains(.brokenRhythm(-2)))
        XCTAssertEqual(e.filter { $0 == .slurStart }.count, 1)
        XCTAssertEqual(e.filter { $0 == .slurEnd }.count, 1)
        XCTAssertTrue(e.contains(.note(Note(letter: "C", octave: 0, tied: true))))
    }

    func testChordsGraceDecorationsSymbols() {
        let e = body("\"Am\"[CEG]2 [C2E2] {/g}A {gab}B !trill!c +fermata+d ~e .f Tg \"^above\"a !mf! u v\n")
        XCTAssertEqual(e[0], .chordSymbol("Am"))
        XCTAssertEqual(e[1], .chord(Chord(notes: [Note(letter: "C", octave: 0), Note(letter: "E", octave: 0), Note(letter: "G", octave: 0)], length: Rational(2))))
        XCTAssertEqual(e[2], .chord(Chord(notes: [Note(letter: "C", octave: 0, length: Rational(2)), Note(letter: "E", octave: 0, length: Rational(2))])))
        XCTAssertEqual(e[3], .graceNotes([Note(letter: "G", octave: 1)], acciaccatura: true))
        XCTAssertEqual(e[5], .graceNotes([Note(letter: "G", octave: 1), Note(letter: "A", octave: 1), Note(letter: "B", octave: 1)], acciaccatura: false))
        let decorations = e.compactMap { if case let .decoration(d) = $0 { return d } else { return nil } }
        XCTAssertEqual(decorations, ["trill", "fermata", "roll", "staccato", "trill", "mf", "upbow", "downbow"])
        XCTAssertTrue(e.contains(.annotation("^above")))
    }

    func testBangLineBreaksVersusDecorations() {
        let e = Fixture.tune("ABcd|!\n!trill!A B|!\n").body
        XCTAssertEqual(e.filter { $0 == .bangLineBreak }.count, 2)
        XCTAssertEqual(e.filter { $0 == .decoration("trill") }.count, 1)
    }

    func testInlineFieldsBodyFieldsLyricsContinuationAndSpacers() {
        let t = Fixture.tune("A B [K:G] c y d \\\nw: la la la\nK:D\n[M:3/4][L:1/4][Q:1/4=90] e f g|\nW: words\n%%MIDI program 1\n")
        XCTAssertTrue(t.body.contains(.inlineField(Field(letter: "K", value: "G"))))
        XCTAssertTrue(t.body.contains(.field(Field(letter: "w", value: "la la la"))))
        XCTAssertTrue(t.body.contains(.field(Field(letter: "K", value: "D"))))
        XCTAssertTrue(t.body.contains(.continuation))
        XCTAssertTrue(t.body.contains(.spacer))
        XCTAssertTrue(t.body.contains(.directive("MIDI program 1")))
        XCTAssertTrue(t.body.contains(.inlineField(Field(letter: "Q", value: "1/4=90"))))
        XCTAssertFalse(t.hasErrors, "\(t.diagnostics)")
    }

    func testOverlayIsAWarning() {
        let t = Fixture.tune("ABcd & efga|\n")
        XCTAssertTrue(t.diagnostics.contains { $0.severity == .warning && $0.message.contains("overlay") })
        XCTAssertFalse(t.hasErrors)
    }

    func testLineEndsCRLFAndCRGiveTheSameTune() {
        let lf = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nGABc dedB|\nGABc d4|]\n"
        let a = ABCParser.parse(lf).tunes[0]
        let b = ABCParser.parse(lf.replacingOccurrences(of: "\n", with: "\r\n")).tunes[0]
        let c = ABCParser.parse(lf.replacingOccurrences(of: "\n", with: "\r")).tunes[0]
        XCTAssertEqual(a.structure, b.structure)
        XCTAssertEqual(a.structure, c.structure)
        XCTAssertEqual(b.bodyLocations, a.bodyLocations)
        XCTAssertEqual(ABCParser.parse(lf.replacingOccurrences(of: "\n", with: "\r\n\r\n")).tunes.count, 1)
    }

    func testTabsAndCommentsAreIgnored() {
        let t = Fixture.tune("A\tB % comment |: not a bar\n% whole line\nc d|\n")
        XCTAssertEqual(t.body.filter { if case .note = $0 { return true } else { return false } }.count, 4)
        XCTAssertFalse(t.body.contains { if case let .bar(b) = $0 { return b.token == "|:" } else { return false } })
    }

    func testTunesAreSplitAtBlankLinesAndX() {
        let text = "free text\n\nX:1\nK:C\nABC|\n\nsome words\n\nX:2\nK:D\nDEF|\nX:3\nK:E\nEFG|"
        let file = ABCParser.parse(text, fileName: "s.abc")
        XCTAssertEqual(file.tunes.map(\.referenceNumber), [1, 2, 3])
        XCTAssertTrue(file.tunes[2].diagnostics.contains { $0.message.contains("blank line") })
        let split = ABCParser.splitTunes(text)
        XCTAssertEqual(split.map(\.startLine), [3, 9, 12])
        XCTAssertEqual(split[0].text, "X:1\nK:C\nABC|")
        XCTAssertEqual(file.tunes[0].sourceText, "X:1\nK:C\nABC|")
    }

    func testMultiVoiceTune() {
        let t = Fixture.tune("V:1\nABcd|\nV:2\nCDEF|\n[V:1] efga|\n", header: "X:1\nM:4/4\nL:1/8\nV:1 name=\"Fiddle one\"\nV:2 clef=bass\nK:C\n")
        let score = t.score().score
        XCTAssertEqual(score.voices.map(\.id), ["1", "2"])
        XCTAssertEqual(score.voices[0].name, "Fiddle one")
        XCTAssertEqual(score.voices[0].notes.count, 8)
        XCTAssertEqual(score.voices[1].notes.map(\.pitch), [60, 62, 64, 65])
        XCTAssertEqual(score.voices[0].notes[4].onset, 2)
    }
}

final class DiagnosticTests: XCTestCase {
    func testDescriptionIsCompilerFormWithHintAndColumnsCountScalars() {
        let t = Fixture.tune("\"é\"A @ B|\n")
        let d = t.diagnostics.first { $0.message.contains("'@'") }
        XCTAssertNotNil(d)
        XCTAssertEqual(d?.line, 6)
        XCTAssertEqual(d?.column, 6) // "é" is one column (two bytes)
        XCTAssertEqual(d?.description, "t.abc:6:6: error: unexpected character '@'")
        let hinted = Diagnostic(severity: .warning, category: .barLength, fileName: "f", line: 1, column: 2, message: "m", hint: "h")
        XCTAssertEqual(hinted.description, "f:1:2: warning: m (hint: h)")
    }

    func testParserGoesOnAfterProblems() {
        let t = Fixture.tune("A @ B # c ^ |\nd e f g|\n")
        XCTAssertEqual(t.diagnostics.filter { $0.severity == .error }.count, 3)
        XCTAssertEqual(t.body.filter { if case .note = $0 { return true } else { return false } }.count, 7)
    }

    func testHugeLengthIsADiagnostic() {
        let t = Fixture.tune("A999999999999 B|\n")
        XCTAssertTrue(t.diagnostics.contains { $0.message.contains("too large") && $0.column == 2 }, "\(t.diagnostics)")
    }
}
