// `tunegen render FILE.abc [--tune N | --x N | --all] -o OUT`: a tune to audio (.wav .flac
// .ogg through libsndfile) or MIDI (.mid), rendered in-process: no abc2midi, no TiMidity.
import ABCNotation
import ArgumentParser
import Foundation
import Synth

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a tune to audio (.wav, .flac, .ogg) or MIDI (.mid).",
        discussion: """
            The output's extension picks the format. With --all, OUT is a folder and every tune is \
            written into it as NNN-title.EXT (--format picks EXT, default wav).
            """)

    @Argument(help: "ABC file ('-' reads standard input).")
    var file: String

    @OptionGroup var selection: TuneSelection

    @Flag(help: "Render every tune of the file into the folder given by -o.")
    var all = false

    @Option(name: .shortAndLong, help: "Output file (or folder with --all).")
    var output: String

    @Option(help: "With --all: the format of the files (wav, flac, ogg, mid).")
    var format: String = "wav"

    @OptionGroup var sound: SoundOptions

    func validate() throws {
        if all && (selection.position != nil || selection.referenceNumber != nil) {
            throw ValidationError("use --all or --tune/--x, not both")
        }
        if all && !AudioExport.extensions.contains(format.lowercased()) {
            throw ValidationError("--format must be one of \(AudioExport.extensions.joined(separator: ", ")) (got '\(format)')")
        }
    }

    func run() throws {
        do {
            let parsed = try ABCInput.parse(file)
            if !all {
                let tune = try selection.select(from: parsed)
                let url = URL(fileURLWithPath: output)
                try AudioExport.checkDestination(url)
                print(try AudioExport.export(tune, to: url, sound: sound))
                return
            }
            guard !parsed.tunes.isEmpty else { throw CommandFailure("\(parsed.fileName): no tunes (a tune starts with an X: line)") }
            let folder = URL(fileURLWithPath: output, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure("cannot create folder '\(output)': \(error.localizedDescription)")
            }
            var failed = 0
            for tune in parsed.tunes {
                let slug = AudioExport.slug(tune.title)
                let name = String(format: "%03d", tune.index) + (slug.isEmpty ? "" : "-\(slug)") + ".\(format.lowercased())"
                do {
                    print(try AudioExport.export(tune, to: folder.appendingPathComponent(name), sound: sound))
                } catch let failure as CommandFailure {
                    failed += 1
                    FileHandle.standardError.write(Data("tunegen: \(failure.description)\n".utf8))
                }
            }
            if failed > 0 {
                FileHandle.standardError.write(Data("tunegen: \(failed) of \(parsed.tunes.count) tunes could not be rendered\n".utf8))
                throw ExitCode(1)
            }
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
    }
}
