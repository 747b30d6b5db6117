// TuneSelection: `--tune N | --x N`, the option group every command that works on one tune of
// a file uses (events, render).
import ABCNotation
import ArgumentParser
import Composer
import Foundation

/// Which tune of a file to use: by position (`--tune`, default 1) or by `X:` number (`--x`).
struct TuneSelection: ParsableArguments {
    @Option(name: .customLong("tune"), parsing: .unconditional, help: "1-based position of the tune in the file (default 1).")
    var position: Int?

    @Option(name: .customLong("x"), parsing: .unconditional, help: "Use the first tune whose X: number is this.")
    var referenceNumber: Int?

    func validate() throws {
        if position != nil && referenceNumber != nil { throw ValidationError("use either --tune or --x, not both") }
        if let position, position < 1 { throw ValidationError("--tune counts from 1") }
    }

    /// The selected tune, or a user-facing error (exit 2) naming what was asked for.
    func select(from file: ABCFile) throws -> Tune {
        if let x = referenceNumber {
            guard let tune = file.tunes.first(where: { $0.referenceNumber == x }) else {
                throw TunegenError("\(file.fileName): no tune with X:\(x)")
            }
            return tune
        }
        let n = position ?? 1
        guard n <= file.tunes.count else {
            throw TunegenError("\(file.fileName): no tune \(n); the file has \(file.tunes.count) tune\(file.tunes.count == 1 ? "" : "s")")
        }
        return file.tunes[n - 1]
    }
}
