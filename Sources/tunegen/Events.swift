// `tunegen events FILE [--tune N | --x N]`: the timed note events of one tune, as a player
// reads it (repeats expanded, ties merged), as a table or as JSON with the tempo map.
import ArgumentParser
import ABCNotation
import Composer
import Foundation

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the timed note events of one tune (beats and seconds), repeats expanded.")

    @Argument(help: "ABC file ('-' reads standard input).")
    var file: String

    @OptionGroup var selection: TuneSelection

    @Flag(help: "Print JSON: notes (pitch, onset, duration, voice, marks), chord symbols and the tempo map.")
    var json = false

    func run() throws {
        let tune = try selection.select(from: try ABCInput.parse(file))
        let result = tune.score()
        for d in result.diagnostics where d.severity == .error {
            try Output.stderr(d.description + "\n")
        }
        if json {
            try JSONOutput.print(EventsDocument(tune: tune, score: result.score))
        } else {
            try Output.stdout(EventsDocument.table(tune: tune, score: result.score))
        }
    }
}
