// TuneSelection: `--tune N | --x N`, the option group every command that works on one tune of
// a file uses (events, render). Also reads ABC input files (or `-` for stdin) as bytes, so
// invalid UTF-8 reaches the parser as diagnostics instead of failing the read.
import ABCNotation
import ArgumentParser
import Foundation

/// Which tune of a file to use: by position (`--tune`, default 1) or by `X:` number (`--x`).
struct TuneSelection: ParsableArguments {
    @Option(name: .customLong("tune"), help: "1-based position of the tune in the file (default 1).")
    var position: Int?

    @Option(name: .customLong("x"), help: "Use the first tune whose X: number is this.")
    var referenceNumber: Int?

    func validate() throws {
        if position != nil && referenceNumber != nil { throw ValidationError("use either --tune or --x, not both") }
        if let position, position < 1 { throw ValidationError("--tune counts from 1") }
    }

    /// The selected tune, or a user-facing error (exit 2) naming what was asked for.
    func select(from file: ABCFile) throws -> Tune {
        if let x = referenceNumber {
            guard let tune = file.tunes.first(where: { $0.referenceNumber == x }) else {
                throw CommandFailure("\(file.fileName): no tune with X:\(x)")
            }
            return tune
        }
        let n = position ?? 1
        guard n <= file.tunes.count else {
            throw CommandFailure("\(file.fileName): no tune \(n); the file has \(file.tunes.count) tune\(file.tunes.count == 1 ? "" : "s")")
        }
        return file.tunes[n - 1]
    }
}

/// A user-facing failure: printed as `tunegen: message` on stderr, exit status 2.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// Prints the message and exits with status 2 (usage or I/O problem).
    static func exit(_ failure: CommandFailure) -> Never {
        FileHandle.standardError.write(Data("tunegen: \(failure.description)\n".utf8))
        Foundation.exit(2)
    }
}

enum ABCInput {
    /// Bytes of `path`, or of standard input for "-". Throws a CommandFailure naming the file.
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure("cannot read '\(path)': no such file")
        }
        guard !isDirectory.boolValue else { throw CommandFailure("cannot read '\(path)': it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read '\(path)': permission denied or unreadable")
        }
        return Array(data)
    }

    /// Parses `path` ("-" is shown as "<stdin>" in diagnostics).
    static func parse(_ path: String) throws -> ABCFile {
        ABCParser.parse(bytes: try read(path), fileName: path == "-" ? "<stdin>" : path)
    }
}
