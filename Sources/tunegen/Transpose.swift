// `tunegen transpose FILE… (--semitones N | --to KEY) [-o OUT]`: options and their validation;
// the work is Composer's TransposeRun.
import ArgumentParser
import Composer
import Foundation

struct Transpose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move tunes to another key, as a musician would rewrite them.",
        discussion: """
            Each tune gets a new K: (same mode, at most 6 sharps or flats: Db rather than C#), its \
            notes respelled a fixed number of letter steps (scale degrees kept), explicit accidentals \
            kept, and chord symbols ("G", "Em7", "D/F#") moved; inline [K:] and K: in the body move \
            too. Everything else (titles, lyrics, comments, spacing, text between tunes) is kept as \
            written. --semitones moves every note by exactly N; --to moves each tune's tonic to KEY by \
            the shorter way (at most 6 semitones). Every tune is checked to sound as the original moved. \
            A tune with errors (unless --skip-invalid), K:HP, or a note pushed outside MIDI's 0…127 \
            stops the run with file:line:col and nothing is written (exit 1). Output goes to standard \
            output unless -o; the tunes moved are listed on standard error.
            """)

    @Argument(help: "ABC files ('-' reads standard input).")
    var files: [String]

    @Option(parsing: .unconditional, help: "Semitones to move by (positive up, negative down: --semitones -3), -48…48.")
    var semitones: Int?

    @Option(help: "Key to move each tune's tonic to: D, Bb, F#… (a mode, if given, must be the tune's).")
    var to: String?

    @Option(name: .shortAndLong, help: "Write here instead of standard output: a file, or with several inputs an existing folder (same file names). Written to a temporary file and renamed into place.")
    var output: String?

    @Flag(help: "Leave tunes with errors out of the output (each listed on standard error) instead of stopping.")
    var skipInvalid = false

    @Flag(help: "Do not list the tunes moved on standard error.")
    var quiet = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one ABC file (or - for standard input)") }
        switch (semitones, to) {
        case (nil, nil): throw ValidationError("say how far: --semitones N or --to KEY")
        case (.some, .some): throw ValidationError("give --semitones or --to, not both")
        case let (n?, nil):
            if abs(n) > TransposeRun.maxSemitones { throw ValidationError("--semitones must be within ±\(TransposeRun.maxSemitones) (got \(n))") }
        case let (nil, key?):
            if let problem = TransposeRun.problem(toKey: key) { throw ValidationError("--to: \(problem)") }
        }
    }

    func run() throws {
        let move: TransposeRun.Move = semitones.map { .semitones($0) } ?? .toKey(to ?? "")
        try TransposeRun.run(paths: files, move: move, output: output, skipInvalid: skipInvalid, quiet: quiet)
    }
}
