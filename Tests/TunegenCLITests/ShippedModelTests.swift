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

    func testSteeringByTheParserGivesMoreTunesWhoseBarsAddUp() throws {
        let steered = try generate(["--count", "60", "--seed", "11"])
        let raw = try generate(["--count", "60", "--seed", "11", "--no-steer"])
        XCTAssertGreaterThan(steered["redrawnLines"] as? Int ?? 0, 0)
        XCTAssertEqual(raw["redrawnLines"] as? Int, 0)
        // Tier 3 (bars match the meter): steering must do clearly better than raw sampling
        // (measured: 47 of 60 against 21 of 60; asserted with a wide margin so a retrained
        // shipped model does not break the test, while a steering that does nothing still does).
        XCTAssertGreaterThan(passing(steered)[2], passing(raw)[2] + 10, "steered \(passing(steered)) raw \(passing(raw))")
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
    }
}
