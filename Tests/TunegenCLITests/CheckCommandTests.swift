// `tunegen check` and `tunegen events` run as a user runs them: output, JSON and exit status.
import Foundation
import XCTest

final class CheckCommandTests: XCTestCase {
    var corpus: String { TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc").path }

    func testCorpusSummaryAndExitStatus() throws {
        let result = try TunegenProcess.run(["check", corpus])
        XCTAssertEqual(result.status, 1, result.stderr) // three corpus tunes have errors
        XCTAssertTrue(result.stdout.contains("804 tunes: 784 clean, 17 with warnings, 3 with errors"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tier 3 (bars match meter): 784 of 804"), result.stdout)
        XCTAssertTrue(result.stdout.contains("irish.abc:5785:9: error: unexpected character 's'"), result.stdout)
    }

    func testCleanStdinExitsZero() throws {
        let tune = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d4|]\n"
        let result = try TunegenProcess.run(["check", "-"], stdin: Data(tune.utf8))
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("1 tune: 1 clean"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tier 4 (repeats balanced): 1 of 1"))
    }

    func testProblemsInCompilerForm() throws {
        let tune = "X:1\nM:4/4\nL:1/8\nK:G\nGABc ded|GABc d4 @|]\n"
        let result = try TunegenProcess.run(["check", "-"], stdin: Data(tune.utf8))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("<stdin>:5:18: error: unexpected character '@'"), result.stdout)
    }

    func testJSON() throws {
        let tune = "X:5\nT:Five\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc ded|GABc d4|]\n"
        let result = try TunegenProcess.run(["check", "--json", "-"], stdin: Data(tune.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let summary = doc?["summary"] as? [String: Any]
        XCTAssertEqual(summary?["tunes"] as? Int, 1)
        XCTAssertEqual(summary?["passingTier"] as? [Int], [1, 1, 0, 0])
        let tunes = doc?["tunes"] as? [[String: Any]]
        XCTAssertEqual(tunes?.first?["referenceNumber"] as? Int, 5)
        XCTAssertEqual(tunes?.first?["highestTier"] as? Int, 2)
        let diagnostic = (tunes?.first?["diagnostics"] as? [[String: Any]])?.first
        XCTAssertEqual(diagnostic?["line"] as? Int, 6)
        XCTAssertEqual(diagnostic?["category"] as? String, "barLength")
    }

    func testMissingFileIsExit2NamingTheFile() throws {
        let result = try TunegenProcess.run(["check", "/no/such/file.abc"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("/no/such/file.abc"), result.stderr)
    }

    func testNoFileIsAUsageError() throws {
        let result = try TunegenProcess.run(["check"])
        XCTAssertEqual(result.status, 2, result.stderr)
    }
}

final class EventsCommandTests: XCTestCase {
    let tunes = "X:1\nT:One\nM:4/4\nL:1/8\nQ:1/4=60\nK:D\nF2 A2 d4|]\n\nX:7\nT:Seven\nM:4/4\nL:1/4\nK:C\n[CE] G2 z|]\n"

    func testTable() throws {
        let result = try TunegenProcess.run(["events", "-"], stdin: Data(tunes.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertTrue(lines[2].hasPrefix("1      66     F#4   0             1           0         1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("3 notes, 4 beats, 4 s"), result.stdout)
    }

    func testSelectByXAndJSON() throws {
        let result = try TunegenProcess.run(["events", "-", "--x", "7", "--json"], stdin: Data(tunes.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let notes = doc?["notes"] as? [[String: Any]]
        XCTAssertEqual(notes?.map { $0["pitch"] as? Int }, [60, 64, 67])
        XCTAssertEqual(notes?.map { $0["onset"] as? Double }, [0, 0, 1])
        XCTAssertEqual(notes?.last?["duration"] as? Double, 2)
        XCTAssertEqual(notes?.first?["voice"] as? String, "1")
        let tempos = doc?["tempos"] as? [[String: Any]]
        XCTAssertEqual(tempos?.first?["quarterNotesPerMinute"] as? Double, 120)
    }

    func testSelectByPosition() throws {
        let result = try TunegenProcess.run(["events", "-", "--tune", "2"], stdin: Data(tunes.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("X:7 Seven"), result.stdout)
    }

    func testMissingTuneIsExit2() throws {
        let byPosition = try TunegenProcess.run(["events", "-", "--tune", "3"], stdin: Data(tunes.utf8))
        XCTAssertEqual(byPosition.status, 2)
        XCTAssertTrue(byPosition.stderr.contains("no tune 3"), byPosition.stderr)
        let byX = try TunegenProcess.run(["events", "-", "--x", "99"], stdin: Data(tunes.utf8))
        XCTAssertEqual(byX.status, 2)
        XCTAssertTrue(byX.stderr.contains("X:99"), byX.stderr)
        let both = try TunegenProcess.run(["events", "-", "--x", "1", "--tune", "1"], stdin: Data(tunes.utf8))
        XCTAssertEqual(both.status, 2)
    }

    func testCorpusTuneEvents() throws {
        let path = TunegenProcess.packageRoot.appendingPathComponent("corpus/irish.abc").path
        let result = try TunegenProcess.run(["events", path, "--x", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(doc?["totalBeats"] as? Double, 128)
    }
}
