// `tunegen render FILE.abc [--tune N | --x N | --all] -o OUT`: a tune to audio (.wav .flac
// .ogg through libsndfile) or MIDI (.mid), rendered in-process: no abc2midi, no TiMidity.
import ArgumentParser
import Composer
import Foundation

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a tune to audio (.wav, .flac, .ogg), MIDI (.mid) or sheet music (.svg).",
        discussion: """
            The output's extension picks the format. With --all, OUT is a folder and every tune is \
            written into it as NNN-title.EXT (--format picks EXT, default wav; several as svg,wav), \
            with a tunebook page OUT/index.html showing each tune's sheet music, player and ABC.
            """)

    @Argument(help: "ABC file ('-' reads standard input).")
    var file: String

    @OptionGroup var selection: TuneSelection

    @Flag(help: "Render every tune of the file into the folder given by -o.")
    var all = false

    @Option(name: .shortAndLong, help: "Output file (or folder with --all).")
    var output: String

    @Option(help: "With --all: the format of the files (wav, flac, ogg, mid, svg; several comma-separated, e.g. svg,wav).")
    var format: String = "wav"

    @OptionGroup var sound: SoundOptions

    func validate() throws {
        if all && (selection.position != nil || selection.referenceNumber != nil) {
            throw ValidationError("use --all or --tune/--x, not both")
        }
        let formats = format.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if all && (formats.isEmpty || formats.contains { !AudioExport.extensions.contains($0) }) {
            throw ValidationError("--format must be one or more of \(AudioExport.extensions.joined(separator: ", ")), comma-separated (got '\(format)')")
        }
    }

    func run() throws {
        let parsed = try ABCInput.parse(file)
        if all {
            try AudioExport.renderAll(parsed, into: output, format: format, sound: sound.settings)
        } else {
            let url = URL(fileURLWithPath: output)
            try AudioExport.checkDestination(url)
            try Output.stdout(try AudioExport.export(try selection.select(from: parsed), to: url, sound: sound.settings) + "\n")
        }
    }
}
