// AudioExport: one tune → one audio or MIDI file, the extension choosing the format. Shared by
// `tunegen render` and `tunegen generate --wav/--midi`. Options are an option group so both
// commands spell them the same way.
import ABCNotation
import ArgumentParser
import Foundation
import Synth

extension Instrument: ExpressibleByArgument {}

/// How to sound a tune: instrument, tempo override, sample rate, channels, accompaniment.
struct SoundOptions: ParsableArguments {
    @Option(help: "Instrument: \(Instrument.allCases.map(\.rawValue).joined(separator: ", ")).")
    var instrument: Instrument = .plucked

    @Option(help: "Tempo in quarter notes a minute, overriding the tune's Q: field.")
    var tempo: Double?

    @Option(help: "Sample rate in Hz (8000…192000).")
    var rate: Int = 44_100

    @Flag(help: "Write one channel instead of two.")
    var mono = false

    @Flag(help: "Accompany the tune with a soft pad from its chord symbols.")
    var chords = false

    @Flag(help: "Play decorations (rolls, trills) plainly.")
    var plainOrnaments = false

    func validate() throws {
        if let tempo, !(tempo.isFinite && tempo >= 10 && tempo <= 1000) {
            throw ValidationError("--tempo must be between 10 and 1000 quarter notes a minute (got \(tempo))")
        }
        if !RenderOptions.sampleRateRange.contains(rate) {
            throw ValidationError("--rate must be between \(RenderOptions.sampleRateRange.lowerBound) and \(RenderOptions.sampleRateRange.upperBound) Hz (got \(rate))")
        }
    }

    var renderOptions: RenderOptions {
        var options = RenderOptions()
        options.instrument = instrument
        options.sampleRate = rate
        options.channels = mono ? 1 : 2
        options.chords = chords
        options.ornaments = !plainOrnaments
        return options
    }
}

enum AudioExport {
    /// Extensions `render` and `generate` write.
    static let extensions = AudioFormat.supportedExtensions + ["mid", "midi"]

    static func isMIDI(_ url: URL) -> Bool { ["mid", "midi"].contains(url.pathExtension.lowercased()) }

    /// Checks that `url` names a format we write and a folder that exists, before any work.
    static func checkDestination(_ url: URL) throws {
        do {
            if isMIDI(url) { try MIDIFile.checkDestination(url) } else { _ = try AudioFile.checkDestination(url) }
        } catch {
            throw CommandFailure("\(error)" + (url.pathExtension.isEmpty ? " (hint: end the name with .\(extensions.joined(separator: ", .")))" : ""))
        }
    }

    /// Renders `tune` to `url` (format from the extension). Returns a one-line summary; warnings
    /// from the score and the synthesizer go to standard error with the tune's file name.
    @discardableResult
    static func export(_ tune: Tune, to url: URL, sound: SoundOptions) throws -> String {
        let result = tune.score()
        for d in result.diagnostics where d.severity == .error {
            FileHandle.standardError.write(Data("\(d.description)\n".utf8))
        }
        var score = result.score
        if let tempo = sound.tempo { score.tempos = [TempoChange(onset: 0, quarterNotesPerMinute: tempo)] }
        guard score.voices.contains(where: { !$0.notes.isEmpty }) else {
            throw CommandFailure("\(tune.fileName): tune \(tune.index) has no notes to play")
        }
        do {
            if isMIDI(url) {
                try MIDIFile.write(score, to: url, program: sound.instrument.midiProgram)
                let notes = score.voices.map(\.notes.count).reduce(0, +)
                return "\(url.path): MIDI, \(notes) notes, \(String(format: "%.1f", score.totalSeconds)) s"
            }
            let rendering = try Synthesizer(options: sound.renderOptions).render(score)
            for warning in rendering.warnings {
                FileHandle.standardError.write(Data("\(tune.fileName): tune \(tune.index): warning: \(warning)\n".utf8))
            }
            try AudioFile.write(rendering.buffer, to: url)
            let b = rendering.buffer
            return "\(url.path): \(String(format: "%.1f", b.duration)) s, \(b.sampleRate) Hz, \(b.channels == 1 ? "mono" : "stereo"), \(sound.instrument.rawValue)"
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// A file-name-safe form of a title ("The Kesh Jig" → "the-kesh-jig").
    static func slug(_ title: String?) -> String {
        let lowered = (title ?? "").lowercased()
        var out = ""
        for ch in lowered.unicodeScalars {
            if CharacterSet.alphanumerics.contains(ch) && ch.isASCII { out.unicodeScalars.append(ch) }
            else if !out.hasSuffix("-") { out += "-" }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return String(trimmed.prefix(40))
    }
}
