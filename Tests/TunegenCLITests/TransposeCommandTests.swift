// `tunegen transpose`, run as a user runs it: output to stdout or a file, everything outside the
// tunes kept, and each kind of bad input refused with a message and nothing written.
import Foundation
import XCTest

final class TransposeCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-transpose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    let tunes = "% my collection\nM:6/8\n\nX:1\nT:The Kesh\nL:1/8\nK:G\n\"G\"GAG \"D7\"GAB|A2A ABd:|\n\nsome notes\n\nX:2\nT:Reel\nM:4/4\nL:1/8\nK:Ador\nEAAG ABcd|\n"

    func testSemitonesToStandardOutputKeepsEverythingElse() throws {
        let path = try write("a.abc", tunes)
        let result = try TunegenProcess.run(["transpose", path, "--semitones", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "% my collection\nM:6/8\n\nX:1\nT:The Kesh\nL:1/8\nK:A\n\"A\"ABA \"E7\"ABc|B2B Bce:|\n\nsome notes\n\nX:2\nT:Reel\nM:4/4\nL:1/8\nK:Bdor\nFBBA Bcde|\n")
        XCTAssertTrue(result.stderr.contains("X:1 The Kesh: K:G → K:A (+2)"), result.stderr)
        // The input is untouched.
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), tunes)
    }

    func testToKeyWritesTheFileAndUpThenDownGivesItBack() throws {
        let path = try write("a.abc", tunes)
        let out = dir.appendingPathComponent("out.abc").path
        let result = try TunegenProcess.run(["transpose", path, "--to", "Bb", "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(written.contains("K:Bb\n\"Bb\"BcB \"F7\"Bcd|c2c cdf:|"), written)
        XCTAssertTrue(written.contains("K:Bbdor\n"), written)
        // The written file checks clean, and moving it back gives the original text.
        let check = try TunegenProcess.run(["check", out])
        XCTAssertEqual(check.status, 0, check.stdout)
        let back = try TunegenProcess.run(["transpose", out, "--semitones", "-3", "--quiet"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertTrue(back.stdout.contains("K:G\n\"G\"GAG \"D7\"GAB|A2A ABd:|"), back.stdout)
        XCTAssertEqual(back.stderr, "")
    }

    func testATuneWithErrorsStopsTheRunAndNothingIsWritten() throws {
        let path = try write("bad.abc", tunes + "\nX:3\nT:Broken\nL:1/8\nK:D\nAB?c d4|\n")
        let out = dir.appendingPathComponent("out.abc").path
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: out))
        let result = try TunegenProcess.run(["transpose", path, "--semitones", "2", "-o", out])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("bad.abc:23:3: error: tune 3 (Broken) has 1 error(s), first: unexpected character '?'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("nothing written"), result.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "old contents")
        // --skip-invalid leaves it out and says so.
        let skipped = try TunegenProcess.run(["transpose", path, "--semitones", "2", "--skip-invalid"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertFalse(skipped.stdout.contains("Broken"))
        XCTAssertTrue(skipped.stderr.contains("tune 3 (Broken) left out"), skipped.stderr)
    }

    func testOutOfMIDIRangeIsRefusedWithItsPlace() throws {
        let path = try write("high.abc", "X:1\nM:4/4\nL:1/4\nK:C\nC D g''''c|\n")
        let result = try TunegenProcess.run(["transpose", path, "--semitones", "5"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("high.abc:5:5: error: moved by 5 semitones this note would be MIDI pitch 132, outside 0...127"), result.stderr)
    }

    func testBadArgumentsAreUsageErrors() throws {
        let path = try write("a.abc", tunes)
        for (args, message) in [([path], "--semitones N or --to KEY"), ([path, "--to", "H"], "'H' is not a key"),
                                ([path, "--to", "Q#"], "is not a key"), ([path, "--semitones", "2", "--to", "D"], "not both"),
                                ([path, "--semitones", "99"], "within ±48")] {
            let result = try TunegenProcess.run(["transpose"] + args)
            XCTAssertEqual(result.status, 2, "\(args)")
            XCTAssertTrue(result.stderr.contains(message), "\(args): \(result.stderr)")
        }
        let bagpipe = try write("hp.abc", "X:1\nM:4/4\nL:1/8\nK:HP\nABcd e4|\n")
        let result = try TunegenProcess.run(["transpose", bagpipe, "--semitones", "2"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("hp.abc:4:3: error: K:HP (Highland bagpipe) cannot be transposed"), result.stderr)
        let missing = try TunegenProcess.run(["transpose", dir.appendingPathComponent("nope.abc").path, "--semitones", "2"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
        let help = try TunegenProcess.run(["--help"])
        XCTAssertTrue(help.stdout.contains("transpose"), help.stdout)
    }
}
