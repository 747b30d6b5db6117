// Hostile input: deep nesting, huge lines, control bytes, invalid UTF-8, many tunes, huge
// numbers. Each must finish quickly with diagnostics, never trap or hang.
import XCTest
@testable import ABCNotation

final class RobustnessTests: XCTestCase {
    let header = "X:1\nM:4/4\nL:1/8\nK:C\n"

    /// Parses, scores and formats; returns the first tune.
    @discardableResult
    func survive(_ bytes: [UInt8]) -> Tune? {
        let file = ABCParser.parse(bytes: bytes, fileName: "hostile.abc")
        for tune in file.tunes {
            _ = tune.score()
            _ = ABCFormatter.format(tune)
        }
        return file.tunes.first
    }

    func testHundredThousandOpeningBrackets() {
        for c in ["(", "[", "{", "\"", "!", "+", "[K:", "|", ":", ")"] {
            let t = survive(Array((header + String(repeating: c, count: 100_000) + "\n").utf8))
            XCTAssertNotNil(t, c)
            XCTAssertLessThanOrEqual(t?.diagnostics.count ?? 0, TuneParser.maxDiagnostics + 10, c)
        }
    }

    func testMegabyteLine() {
        // One megabyte on one line; sparse in notes so the debug build stays quick.
        let line = String(repeating: "\"^an annotation, more\"A8|", count: 40_000)
        XCTAssertGreaterThanOrEqual(line.utf8.count, 1_000_000)
        let t = survive(Array((header + line + "\n").utf8))
        XCTAssertEqual(t?.hasErrors, false)
        XCTAssertEqual(t?.barCount, 40_000)
    }

    func testControlBytesAndNUL() {
        var bytes = Array((header + "AB").utf8)
        bytes += [0, 1, 7, 27, 127]
        bytes += Array("cd|\n".utf8)
        let t = survive(bytes)
        XCTAssertEqual(t?.diagnostics.filter { $0.message.contains("control character U+0000") }.count, 1)
        XCTAssertEqual(t?.diagnostics.first { $0.severity == .error }?.column, 3)
    }

    func testInvalidUTF8IsLocated() {
        var bytes = Array((header + "AB").utf8)
        bytes += [0xFF, 0xC3, 0x28, 0xE2, 0x82]
        bytes += Array("cd|\n".utf8)
        let t = survive(bytes)
        let bad = t?.diagnostics.filter { $0.message.contains("UTF-8") } ?? []
        XCTAssertEqual(bad.count, 3)
        XCTAssertEqual(bad.first?.line, 5)
        XCTAssertEqual(bad.first?.column, 3)
        // Outside a tune it is a file diagnostic.
        let file = ABCParser.parse(bytes: [0xFF, 0x0A, 0x0A] + Array(header.utf8), fileName: "f")
        XCTAssertEqual(file.diagnostics.count, 1)
    }

    func testHundredThousandTinyTunes() {
        var text = ""
        text.reserveCapacity(1_500_000)
        for i in 1...100_000 { text += "X:\(i)\nK:C\nA|\n\n" }
        let file = ABCParser.parse(text, fileName: "many.abc")
        XCTAssertEqual(file.tunes.count, 100_000)
        XCTAssertEqual(file.tunes.last?.referenceNumber, 100_000)
    }

    func testHugeNumbers() {
        for body in ["A999999999999|", "A/999999999999|", "A////////////////////////|", "Z999999999999|", "(999999ABC|",
                     "(3:99999999:3ABC|", "[CEG]99999999999|", "A>>>>>>>>>>>B|", "y99999999|", "[1999999999 A|",
                     "A1/99999 B1/99998 C1/99997 D1/99996 E1/99995 F1/99994 G1/99993 A1/99992 B1/99991|"] {
            let t = survive(Array((header + body + "\n").utf8))
            XCTAssertNotNil(t, body)
        }
        for h in ["X:1\nL:1/0\nK:C\n", "X:1\nM:0/0\nK:C\n", "X:1\nM:99999999999999999999/4\nK:C\n", "X:1\nQ:1/4=1e308\nK:C\n",
                  "X:1\nK:C transpose=99999999999\n", "X:1\nK:C#########\n", "X:99999999999999999999999\nK:C\n"] {
            XCTAssertNotNil(survive(Array((h + "ABC|\n").utf8)), h)
        }
    }

    func testManyRepeatsStayBounded() {
        let body = String(repeating: "|:A::B:|[1 c:|[2,3 d:|", count: 5_000) + "\n"
        let t = survive(Array((header + body).utf8))
        XCTAssertNotNil(t)
    }

    func testEmptyAndDegenerateFiles() {
        XCTAssertNil(survive([]))
        XCTAssertNil(survive(Array("\n\n\r\n".utf8)))
        XCTAssertNotNil(survive(Array("X:".utf8)))
        XCTAssertNotNil(survive(Array("X:1".utf8)))
        XCTAssertNotNil(survive(Array("X:1\nK:".utf8)))
    }
}

final class FuzzTests: XCTestCase {
    /// Mutates corpus tunes and random bytes with a fixed seed; parse, score and format must complete.
    func testSeededMutationsNeverTrap() {
        var rng = SplitMix64(seed: 0x7E57_ABC0)
        let tunes = ABCParser.splitTunes(String(decoding: Fixture.corpusBytes, as: UTF8.self)).map { Array($0.text.utf8) }
        XCTAssertFalse(tunes.isEmpty)
        let alphabet = Array("ABCDEFGabcdefgzxZ^_=,'/|:[]()!+{}\"<>-~.0123456789 \n%\\&yKLMQVw".utf8)
        for round in 0..<3000 {
            var input: [UInt8]
            if round % 10 == 0 {
                input = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = tunes[Int.random(in: 0..<tunes.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...8, using: &rng) where !input.isEmpty {
                    let at = Int.random(in: 0..<input.count, using: &rng)
                    switch Int.random(in: 0..<6, using: &rng) {
                    case 0: input[at] = UInt8.random(in: 0...255, using: &rng) // flip
                    case 1: input[at] = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                    case 2: input.removeSubrange(at..<min(input.count, at + Int.random(in: 1...20, using: &rng))) // cut
                    case 3: // duplicate
                        let end = min(input.count, at + Int.random(in: 1...40, using: &rng))
                        input.insert(contentsOf: input[at..<end], at: at)
                    case 4: // splice from another tune
                        let other = tunes[Int.random(in: 0..<tunes.count, using: &rng)]
                        let from = Int.random(in: 0..<other.count, using: &rng)
                        input.insert(contentsOf: other[from..<min(other.count, from + 30)], at: at)
                    default:
                        input.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: at)
                    }
                }
                if round % 7 == 0 { input = Array("X:1\n".utf8) + input }
            }
            let file = ABCParser.parse(bytes: input, fileName: "fuzz")
            for tune in file.tunes {
                let result = tune.score()
                XCTAssertTrue(result.score.voices.allSatisfy { $0.notes.allSatisfy { (0...127).contains($0.pitch) && $0.duration >= 0 } })
                let text = ABCFormatter.format(tune)
                XCTAssertEqual(ABCParser.parse(text).tunes.count >= 1, true)
            }
        }
    }
}
