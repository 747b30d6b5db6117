// Formatter tests: canonical text for single elements, and round trip over every construct.
import XCTest
@testable import ABCNotation

final class FormatterTests: XCTestCase {
    func testCanonicalLengths() {
        XCTAssertEqual(ABCFormatter.length(.one), "")
        XCTAssertEqual(ABCFormatter.length(Rational(2)), "2")
        XCTAssertEqual(ABCFormatter.length(Rational(1, 2)!), "/")
        XCTAssertEqual(ABCFormatter.length(Rational(1, 4)!), "/4")
        XCTAssertEqual(ABCFormatter.length(Rational(3, 2)!), "3/")
        XCTAssertEqual(ABCFormatter.length(Rational(3, 4)!), "3/4")
        XCTAssertEqual(ABCFormatter.note(Note(letter: "C", octave: -2, accidental: .doubleFlat, length: Rational(3), tied: true)), "__C,,3-")
        XCTAssertEqual(ABCFormatter.note(Note(letter: "E", octave: 3)), "e''")
    }

    func testFormatsAWholeTune() {
        let text = "X:3\nT:T\nM:6/8\nL:1/8\n%%MIDI program 1\nK:G\n|:~G3 .A>B c|[1 \"D7\"d2 {g}e :|[2 (3def g2|]!\nw: la\n"
        let tune = ABCParser.parse(text).tunes[0]
        XCTAssertEqual(ABCFormatter.format(tune),
                       "X:3\nT:T\nM:6/8\nL:1/8\n%%MIDI program 1\nK:G\n|:!roll!G3 !staccato!A>B c|[1 \"D7\"d2 {g}e :|[2 (3def g2|]!\nw:la\n")
    }

    func testRoundTripOfEveryConstruct() {
        let bodies = [
            "^C,, __d' =e A2 A/2 A/ A// A3/2 A3/ z2 x Z4 X|\n",
            "|: A :| B :: c |] d [| e || f :|: g [|] a |1 b :|2 c | [1,3 d :| [1-3 e |\n",
            "(3ABc (3:2:4ABcd (5::5ABCDE A>B A<<B (AB) C-C [CE]-[CE]\n",
            "\"Am\"[CEG]2 [C2E2] {/g}A {gab}B !trill!c +fermata+d ~e .f Tg \"^above\"a !mf! u v [.CE]\n",
            "A B [K:G] c y d \\\nw: la la la\nK:D\n[M:3/4][L:1/4][Q:1/4=90] e f g|\nW: words\n%%MIDI program 1\n",
            "ABcd|!\n!trill!A B|!\nV:2\nAB & cd|\n",
        ]
        for body in bodies {
            let tune = Fixture.tune(body)
            let again = ABCParser.parse(ABCFormatter.format(tune)).tunes
            XCTAssertEqual(again.first?.structure, tune.structure, ABCFormatter.format(tune))
        }
    }
}
