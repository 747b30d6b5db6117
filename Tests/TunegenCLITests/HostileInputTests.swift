// The hostile-input suite: nesting, expansion bombs, huge numbers, invalid UTF-8, device files,
// FIFOs and folders, given to every command that reads ABC. Each run must end by itself (no
// signal, exit 0, 1 or 2) within `secondsLimit` and under `memoryCeilingMB` of peak resident
// memory, measured for that child alone (wait4). Figures are for the debug build the tests use.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HostileInputTests: XCTestCase {
    /// Peak resident memory any command may reach on any input here (the issue measured 3–8 GB).
    static let memoryCeilingMB = 512.0
    /// Wall-clock limit per command (debug build, shared machine).
    static let secondsLimit = 30.0

    nonisolated(unsafe) static var workspace: URL!

    override class func setUp() {
        super.setUp()
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-hostile-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: workspace)
        super.tearDown()
    }

    /// The hostile files, by name.
    static func inputs() throws -> [(String, URL)] {
        func file(_ name: String, _ bytes: [UInt8]) throws -> (String, URL) {
            let url = workspace.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: url.path) { try Data(bytes).write(to: url) }
            return (name, url)
        }
        func text(_ name: String, _ s: String) throws -> (String, URL) { try file(name, Array(s.utf8)) }
        let head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
        var out: [(String, URL)] = []
        // Nesting.
        out.append(try text("parens.abc", head + String(repeating: "(", count: 200_000) + "C\n"))
        out.append(try text("brackets.abc", head + String(repeating: "[", count: 200_000) + "C\n"))
        out.append(try text("graces.abc", head + String(repeating: "{", count: 100_000) + "C" + String(repeating: "}", count: 100_000) + "\n"))
        out.append(try text("repeats.abc", head + String(repeating: "|:", count: 50_000) + "CDEF" + String(repeating: ":|", count: 50_000) + "\n"))
        out.append(try text("chord-quote.abc", head + "\"" + String(repeating: "A", count: 1_000_000) + "\n"))
        // Expansion bombs (issue 12, item 5).
        out.append(try text("parts-bomb.abc", "X:1\nM:4/4\nL:1/8\nP:" + String(repeating: "(A9999)", count: 20_000) + "\nK:C\nP:A\n|:CDEF GABc:|\n"))
        for voices in [100, 300] {
            var s = "X:1\nM:4/4\nL:1/8\nP:(A9999)\nK:C\n"
            for v in 1 ... voices { s += "V:\(v)\nP:A\n|:CDEF GABc|cBAG FEDC:|\n" }
            out.append(try text("voices-\(voices).abc", s))
        }
        out.append(try text("endings.abc", head + String(repeating: "|:CD|[1 EF:|[2 GA:|[3 Bc:|[4 de:|]", count: 5_000) + "\n"))
        // Huge numbers.
        out.append(try text("huge-numbers.abc", """
            X:99999999999999999999999
            M:99999999999999999/1
            L:1/99999999999999999999
            Q:1/4=999999999999999
            K:C
            C99999999999999999999 D/99999999999999 (99999999999:9999999:999999CDE z999999999 [C99999D]
            """ + "\n"))
        out.append(try text("tiny-tempo.abc", "X:1\nQ:1/4=0.000001\nL:1\nK:C\nC64|]\n"))
        // Invalid UTF-8 and binary.
        var rng = SystemRandomNumberGenerator()
        out.append(try file("invalid-utf8.abc", Array((head).utf8) + (0 ..< 100_000).map { _ in UInt8.random(in: 0x80 ... 0xFF, using: &rng) }))
        out.append(try file("nul-bytes.abc", Array(head.utf8) + [UInt8](repeating: 0, count: 100_000)))
        // Just over the input limit (sparse, so it costs no disk).
        let big = workspace.appendingPathComponent("over-limit.abc")
        if !FileManager.default.fileExists(atPath: big.path) {
            FileManager.default.createFile(atPath: big.path, contents: Data(head.utf8))
            XCTAssertEqual(truncate(big.path, off_t(64 << 20) + 1), 0)
        }
        out.append(("over-limit.abc", big))
        // Not regular files.
        let fifo = workspace.appendingPathComponent("fifo.abc")
        if !FileManager.default.fileExists(atPath: fifo.path) { mkfifo(fifo.path, 0o644) }
        out.append(("fifo", fifo))
        out += [("dev-zero", URL(fileURLWithPath: "/dev/zero")), ("dev-null", URL(fileURLWithPath: "/dev/null")),
                ("dev-urandom", URL(fileURLWithPath: "/dev/urandom")), ("directory", workspace)]
        return out
    }

    func assertBounded(_ r: ChildResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "\(what): did not finish in \(Self.secondsLimit) s", file: file, line: line)
        XCTAssertFalse(r.signaled, "\(what): killed by signal \(r.status - 128): \(r.stderr.suffix(500))", file: file, line: line)
        XCTAssertTrue([0, 1, 2].contains(r.status), "\(what): exit \(r.status): \(r.stderr.suffix(500))", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), "\(what): \(r.stderr.suffix(500))", file: file, line: line)
        XCTAssertLessThan(r.peakMB, Self.memoryCeilingMB, "\(what): peak \(Int(r.peakMB)) MB", file: file, line: line)
        if r.status == 2 { XCTAssertTrue(r.stderr.contains("tunegen:") || r.stderr.contains("Error:"), "\(what): no message", file: file, line: line) }
    }

    func run(_ args: [String], _ what: String, stdin: String = "/dev/null") throws -> ChildResult {
        let r = try ChildRun.run(args, stdin: stdin, stdout: .path("/dev/null"), timeout: Self.secondsLimit)
        assertBounded(r, what)
        return r
    }

    func testEveryCommandEndsCleanlyOnEveryHostileInput() throws {
        var worst = (mb: 0.0, seconds: 0.0)
        for (name, url) in try Self.inputs() {
            let out = Self.workspace.appendingPathComponent("out-\(name)")
            let commands: [[String]] = [
                ["check", url.path], ["check", "--json", url.path], ["events", url.path], ["events", "--json", url.path],
                ["render", url.path, "-o", out.path + ".wav"], ["render", url.path, "-o", out.path + ".mid"],
                ["render", "--all", url.path, "-o", out.path, "--format", "mid"],
                ["train", url.path, "--out", out.path + "-train", "--preset", "tiny", "--iterations", "1", "--quiet"],
            ]
            for args in commands {
                let r = try run(args, "\(args[0]) \(name)")
                worst = (max(worst.mb, r.peakMB), max(worst.seconds, r.seconds))
            }
        }
        print("hostile inputs: worst peak \(Int(worst.mb)) MB, slowest \(String(format: "%.1f", worst.seconds)) s")
    }

    func testStandardInputFromDevicesIsBounded() throws {
        for device in ["/dev/zero", "/dev/urandom"] {
            let r = try run(["check", "-"], "check - < \(device)", stdin: device)
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.stderr.contains("64 MB"), r.stderr)
        }
    }

    func testExpansionBombsAreCutWithAMessage() throws {
        let inputs = Dictionary(uniqueKeysWithValues: try Self.inputs())
        for name in ["parts-bomb.abc", "voices-100.abc", "voices-300.abc"] {
            let r = try ChildRun.run(["events", inputs[name]!.path], stdout: .capture, timeout: Self.secondsLimit)
            assertBounded(r, "events \(name)")
            XCTAssertTrue(r.stderr.contains("too long when played"), "\(name): \(r.stderr.prefix(500))")
            XCTAssertLessThan(r.stdout.utf8.count, 100_000_000, "\(name): the table is bounded too")
        }
    }
}
