// SheetMusic: one tune → one .svg file of staff notation (the Engraver), written atomically.
// `render -o tune.svg`, `render --all --format svg` and `generate --svg` come through here.
import ABCNotation
import Engraver
import FileOutput
import Foundation
import Synth

public enum SheetMusic {
    public static func isSVG(_ url: URL) -> Bool { url.pathExtension.lowercased() == "svg" }

    /// Checks the folder exists and the target is no folder, before any work.
    public static func checkDestination(_ url: URL) throws {
        do { try OutputFile.check(url) } catch { throw TunegenError("\(error)") }
    }

    /// Engraves `tune` into `url`. What the engraver skipped goes to standard error as warnings
    /// (a tune with errors still engraves what can be read). Returns a one-line summary.
    @discardableResult
    public static func export(_ tune: Tune, to url: URL, options: EngravingOptions = EngravingOptions()) throws -> String {
        let engraved = Engraver.svg(for: tune, options: options)
        for note in engraved.skipped {
            try Output.stderr("\(note.hasPrefix(tune.fileName) ? "" : "\(tune.fileName): ")\(note) [sheet music]\n")
        }
        do { try OutputFile.write(Data(engraved.svg.utf8), to: url) } catch { throw TunegenError("\(error)") }
        let staves = engraved.layout.systems.reduce(0) { $0 + $1.staves.count }
        let heads = engraved.layout.systems.flatMap(\.staves).reduce(0) { $0 + $1.noteheads.filter { !$0.isGrace }.count }
        return "\(url.path): sheet music, \(engraved.layout.systems.count) systems (\(staves) staves), \(heads) notes"
            + (engraved.skipped.isEmpty ? "" : ", \(engraved.skipped.count) thing\(engraved.skipped.count == 1 ? "" : "s") skipped")
    }
}
