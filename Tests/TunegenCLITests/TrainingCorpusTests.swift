// The training corpus: what is held out, what is skipped, how text is normalised.
import XCTest
import Composer

final class TrainingCorpusTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString).abc")
        try text.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func tune(_ n: Int, _ body: String) -> String { "X:\(n)\nT:Tune \(n)\nM:4/4\nL:1/8\nK:D\n\(body)\n" }

    func testSplitIsSeededDisjointAndTenPercent() throws {
        let path = try write((1 ... 50).map { tune($0, String(repeating: "ABcd ", count: $0 % 7 + 1) + "|") }.joined(separator: "\n"))
        let a = try TrainingCorpus.load(paths: [path], keepInvalid: false, validationFraction: 0.1, seed: 3)
        XCTAssertEqual(a.validation.count, 5)
        XCTAssertEqual(a.training.count, 45)
        XCTAssertTrue(Set(a.training).isDisjoint(with: Set(a.validation)))
        let b = try TrainingCorpus.load(paths: [path], keepInvalid: false, validationFraction: 0.1, seed: 3)
        XCTAssertEqual(a.validation, b.validation, "same seed, same split")
        let c = try TrainingCorpus.load(paths: [path], keepInvalid: false, validationFraction: 0.1, seed: 4)
        XCTAssertNotEqual(a.validation, c.validation, "another seed, another split")
    }

    func testCopiesOfATuneNeverLandOnBothSides() throws {
        // Ten distinct tunes, each twice (X: numbers differ).
        let tunes = (1 ... 10).flatMap { n in [tune(n, "A\(n)B|"), tune(100 + n, "A\(n)B|").replacingOccurrences(of: "T:Tune \(100 + n)", with: "T:Tune \(n)")] }
        let path = try write(tunes.joined(separator: "\n"))
        let corpus = try TrainingCorpus.load(paths: [path], keepInvalid: false, validationFraction: 0.3, seed: 1)
        XCTAssertEqual(corpus.duplicatesFolded, 10)
        XCTAssertEqual(corpus.training.count + corpus.validation.count, 10)
        let body = { (t: String) in t.split(separator: "\n").last.map(String.init) ?? "" }
        XCTAssertTrue(Set(corpus.training.map(body)).isDisjoint(with: Set(corpus.validation.map(body))))
    }

    func testTunesWithErrorsAreSkippedUnlessKept() throws {
        let path = try write(tune(1, "ABcd|") + "\n" + "X:2\nT:Bad\nM:4/4\nL:1/0\nK:D\nAB|\n")
        let skipping = try TrainingCorpus.load(paths: [path], keepInvalid: false, validationFraction: 0, seed: 1)
        XCTAssertEqual(skipping.skippedInvalid, 1)
        XCTAssertEqual(skipping.training.count, 1)
        let keeping = try TrainingCorpus.load(paths: [path], keepInvalid: true, validationFraction: 0, seed: 1)
        XCTAssertEqual(keeping.training.count, 2)
    }

    func testNormalisationUnifiesLineEndsAndTrimsTrailingSpace() {
        XCTAssertEqual(TrainingCorpus.normalise("X:1 \r\nT:A\t\r\n\r\nK:D\rAB|  \n"), "X:1\nT:A\nK:D\nAB|")
        // Canonically equivalent spellings become one (NFC).
        XCTAssertEqual(TrainingCorpus.normalise("T:Cafe\u{301}"), "T:Caf\u{E9}")
        XCTAssertEqual(TrainingCorpus.text(["A", "B"]), "A\n\nB\n\n")
    }

    func testMissingInputIsAClearError() {
        XCTAssertThrowsError(try TrainingCorpus.load(paths: ["/no/such.abc"], keepInvalid: false, validationFraction: 0.1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("/no/such.abc"))
        }
    }
}
