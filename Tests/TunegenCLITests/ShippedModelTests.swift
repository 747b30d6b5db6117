// The shipped model, as a musician meets it: `tunegen generate` with no model flag.
import Foundation
import XCTest

final class ShippedModelTests: XCTestCase {
    private func generate(_ args: [String]) throws -> [String: Any] {
        let r = try TunegenProcess.run(["generate", "--json"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    private func passing(_ doc: [String: Any]) -> [Int] { (doc["tierRates"] as? [String: Any])?["passing"] as? [Int] ?? [] }

    func testGenerateWorksWithNoFlagsAndIsReproducible() throws {
        let a = try TunegenProcess.run(["generate", "--count", "2", "--seed", "3"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stdout.hasPrefix("X:1\n"), a.stdout)
        XCTAssertTrue(a.stdout.contains("\nX:2\n"), a.stdout)
        XCTAssertTrue(a.stderr.contains("tune 1:") && a.stderr.contains("tier 4"), a.stderr)
        let b = try TunegenProcess.run(["generate", "--count", "2", "--seed", "3"])
        XCTAssertEqual(a.stdout, b.stdout)
    }

    func testSteeringMakesEveryTuneWellFormed() throws {
        let steered = try generate(["--count", "60", "--seed", "11"])
        let raw = try generate(["--count", "60", "--seed", "11", "--no-steer"])
        // Steered: every tune passes every tier, has two 8-bar parts played twice and ends on the tonic.
        XCTAssertEqual(passing(steered), [60, 60, 60, 60])
        let rates = try XCTUnwrap(steered["tierRates"] as? [String: Any])
        XCTAssertEqual(rates["formMatches"] as? Int, 60)
        XCTAssertEqual(rates["endOnTonic"] as? Int, 60)
        // The constraint removes little of the model's probability (measured 5–6% per character).
        let mass = try XCTUnwrap(rates["removedMass"] as? Double)
        XCTAssertGreaterThan(mass, 0)
        XCTAssertLessThan(mass, 0.15)
        for tune in try XCTUnwrap(steered["tunes"] as? [[String: Any]]) {
            XCTAssertEqual(tune["form"] as? String, "AABB 8+8")
            XCTAssertEqual(tune["truncated"] as? Bool, false)
        }
        // Raw samples: no constraint, and clearly fewer tunes whose bars add up.
        XCTAssertNil((raw["tierRates"] as? [String: Any])?["removedMass"] as? Double)
        XCTAssertLessThan(passing(raw)[3], 50, "raw \(passing(raw))")
    }

    func testEveryMeterGetsItsForm() throws {
        for meter in ["C|", "C", "6/8", "9/8", "2/4", "3/4"] {
            let doc = try generate(["--count", "6", "--seed", "2", "--meter", meter])
            XCTAssertEqual(passing(doc), [6, 6, 6, 6], meter)
            XCTAssertEqual((doc["tierRates"] as? [String: Any])?["formMatches"] as? Int, 6, meter)
        }
        let ab = try generate(["--count", "4", "--seed", "2", "--form", "AB", "--bars-per-part", "4", "--no-tonic-ending"])
        XCTAssertEqual(passing(ab), [4, 4, 4, 4])
        for tune in try XCTUnwrap(ab["tunes"] as? [[String: Any]]) { XCTAssertEqual(tune["form"] as? String, "AB 4+4") }
    }

    /// An outside reader agrees: abc2midi (Debian's abcmidi, a test-time tool only) finds no error
    /// and at most 1% of tunes with a bar-length warning.
    func testAbc2midiReadsGeneratedTunesCleanly() throws {
        let which = Process()
        which.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        which.arguments = ["which", "abc2midi"]
        which.standardOutput = FileHandle.nullDevice
        try which.run(); which.waitUntilExit()
        try XCTSkipIf(which.terminationStatus != 0, "abc2midi is not installed (Scripts/setup.sh installs abcmidi)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-abc2midi-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [URL] = []
        for meter in ["C|", "6/8", "9/8", "3/4"] {
            let r = try TunegenProcess.run(["generate", "--count", "25", "--seed", "4", "--meter", meter, "--out", folder.path + "/" + meter.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "|", with: "cut")])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let e = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let url = e?.nextObject() as? URL { if url.pathExtension == "abc" { files.append(url) } }
        XCTAssertEqual(files.count, 100)
        var errors: [String] = [], warned = 0
        for file in files {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["abc2midi", file.path, "-o", folder.appendingPathComponent("out.mid").path]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if out.contains("Error") { errors.append(file.lastPathComponent + ": " + out) }
            if out.contains("time units") { warned += 1 }
        }
        XCTAssertEqual(errors, [])
        XCTAssertLessThanOrEqual(warned, 1, "tunes with bar-length warnings from abc2midi")
    }

    func testValidOnlyDeliversTunesPassingEveryTier() throws {
        let doc = try generate(["--count", "4", "--seed", "5", "--valid-only", "--key", "G", "--meter", "6/8"])
        let tunes = try XCTUnwrap(doc["tunes"] as? [[String: Any]])
        XCTAssertEqual(tunes.count, 4)
        for tune in tunes {
            XCTAssertEqual(tune["highestTier"] as? Int, 4)
            XCTAssertEqual(tune["meter"] as? String, "6/8")
            XCTAssertEqual(tune["key"] as? String, "G Major")
        }
        let refused = try TunegenProcess.run(["generate", "--valid-only", "--no-steer"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--valid-only needs steering"), refused.stderr)
    }
}
