// Conditioning: the header template generate forces, and the key spellings it accepts.
import XCTest
import Composer

final class TuneTemplateTests: XCTestCase {
    /// Walks a template over `generated`, returning the forced character before each one (nil = free).
    func forced(_ template: TuneTemplate, over generated: String) -> [Character?] {
        var cursor = TuneTemplate.Cursor()
        var out: [Character?] = []
        for ch in generated {
            out.append(cursor.forced(in: template))
            cursor.advance(past: ch, in: template)
        }
        return out
    }

    func testForcedFieldsAndFreeLinesFollowTheCorpusOrder() {
        let template = TuneTemplate.header(title: nil, meter: "6/8", key: "D Dorian")
        XCTAssertEqual(template.prime, "X:1\nT:")
        let generated = "My Tune\nZ: id:x\nM:6/8\nL:1/8\nK:D Dorian\nABc|"
        let f = forced(template, over: generated)
        // The title and the Z: value are free; "Z:", the meter, L: and the key are forced; the body is free.
        let expected: [Character?] = Array(repeating: nil, count: 8) + ["Z", ":"] + Array(repeating: nil, count: 6)
            + Array("M:6/8\nL:1/8\nK:D Dorian\n").map { Optional($0) } + Array(repeating: nil, count: 4)
        XCTAssertEqual(f, expected)
    }

    func testKeySpellings() throws {
        XCTAssertEqual(try TuneTemplate.keyField(tonic: "D", mode: "dorian"), "D Dorian")
        XCTAssertEqual(try TuneTemplate.keyField(tonic: "Ador", mode: nil), "A Dorian")
        XCTAssertEqual(try TuneTemplate.keyField(tonic: "Em", mode: nil), "E Minor")
        XCTAssertEqual(try TuneTemplate.keyField(tonic: "f#", mode: "mix"), "F# Mixolydian")
        XCTAssertEqual(try TuneTemplate.keyField(tonic: "Bb", mode: nil), "Bb Major")
        XCTAssertThrowsError(try TuneTemplate.keyField(tonic: "H", mode: nil))
        XCTAssertThrowsError(try TuneTemplate.keyField(tonic: "D", mode: "bebop"))
        XCTAssertThrowsError(try TuneTemplate.keyField(tonic: "Dm", mode: "dorian"))
    }
}
