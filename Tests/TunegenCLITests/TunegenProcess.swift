// Runs the built `tunegen` binary the way a user does, and captures what it prints.
import Foundation
import XCTest

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum TunegenProcess {
    /// The folder holding the built products (the test bundle sits beside the executable).
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    static var executable: URL { productsDirectory.appendingPathComponent("tunegen") }

    /// The package root (for the bundled corpus).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `tunegen args…`, feeding `stdin` if given; waits for it to exit.
    static func run(_ args: [String], stdin: Data? = nil, currentDirectory: URL? = nil,
                    environment: [String: String]? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // Output goes to temporary files, so a child that prints a lot never blocks on a pipe.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}

final class TunegenHelpTests: XCTestCase {
    func testHelpListsTheCommandAndExitsZero() throws {
        let result = try TunegenProcess.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("tunegen"), result.stdout)
    }

    func testUnknownOptionIsAUsageErrorWithExit2() throws {
        let result = try TunegenProcess.run(["--no-such-flag"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("no-such-flag"), result.stderr)
    }
}

/// The root help is golden: a subcommand added, renamed or dropped, or an abstract changed, shows
/// up here and in the README's commands table together.
final class TunegenGoldenHelpTests: XCTestCase {
    static let rootHelp = """
OVERVIEW: Learn folk tunes in ABC notation with a character LSTM; generate and
hear new ones.

USAGE: tunegen <subcommand>

OPTIONS:
  -h, --help              Show help information.

SUBCOMMANDS:
  generate                Generate new tunes (ABC text), check them, and
                          optionally render them.
  train                   Train a character LSTM on ABC tunes.
  eval                    Score a model on ABC tunes in bits per character
                          (lower is better).
  evaluate                Measure a set of tunes against a reference: validity,
                          form, closure, melody, and copies of the training set.
  render                  Render a tune to audio (.wav, .flac, .ogg), MIDI
                          (.mid) or sheet music (.svg).
  export                  Write a model's weights without its training state
                          (for sharing or shipping).
  check                   Check ABC files: problems as file:line:col, and how
                          many tunes pass each validity tier.
  events                  Print the timed note events of one tune (beats and
                          seconds), repeats expanded.
  transpose               Move tunes to another key, as a musician would
                          rewrite them.
  bench                   Measure training and sampling, notation, audio and
                          engraving speed.

  See 'tunegen help <subcommand>' for detailed help.
"""

    func testRootHelpIsExactlyTheGoldenText() throws {
        let result = try TunegenProcess.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, Self.rootHelp + "\n")
    }

    func testEverySubcommandHasHelpWithItsUsage() throws {
        for command in ["generate", "train", "eval", "evaluate", "render", "export", "check", "events", "transpose",
                        "bench", "bench model", "bench abc", "bench synth", "bench engrave", "bench steer"] {
            let result = try TunegenProcess.run(["help"] + command.split(separator: " ").map(String.init))
            XCTAssertEqual(result.status, 0, command)
            XCTAssertTrue(result.stdout.contains("USAGE: tunegen \(command)"), "\(command): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("OVERVIEW: "), command)
        }
    }
}
