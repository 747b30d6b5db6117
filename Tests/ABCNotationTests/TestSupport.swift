// Helpers shared by the ABCNotation tests: build a tune from a body, read the corpus, and a
// small seeded generator for the fuzz tests.
import Foundation
import XCTest
@testable import ABCNotation

enum Fixture {
    static let defaultHeader = "X:1\nT:Test\nM:4/4\nL:1/8\nK:C\n"

    /// Parses `header + body` and returns the single tune.
    static func tune(_ body: String, header: String = defaultHeader, file: StaticString = #filePath, line: UInt = #line) -> Tune {
        let parsed = ABCParser.parse(header + body, fileName: "t.abc")
        XCTAssertEqual(parsed.tunes.count, 1, "expected one tune", file: file, line: line)
        return parsed.tunes[0]
    }

    static func notes(_ body: String, header: String = defaultHeader) -> [NoteEvent] {
        tune(body, header: header).score().score.voices.first?.notes ?? []
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var corpusBytes: [UInt8] {
        Array((try? Data(contentsOf: packageRoot.appendingPathComponent("corpus/irish.abc"))) ?? Data())
    }
}

/// SplitMix64: a tiny, explicit, seeded generator so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
