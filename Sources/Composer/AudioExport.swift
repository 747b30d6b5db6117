// AudioExport: one tune → one audio, MIDI or sheet-music (.svg) file, the extension choosing the
// format. Shared by `tunegen render` and `tunegen generate --wav/--midi/--svg`.
import ABCNotation
import FileOutput
import Foundation
import Synth

/// How to sound a tune: the synthesizer's options, a tempo that overrides the tune's Q: and
/// tune type, and how to interpret it (lift, humanize, accompaniment; see `Performance`).
public struct SoundSettings: Sendable {
    public var render: RenderOptions
    /// Quarter notes a minute; nil keeps the tune's own tempo (its Q:, else its dance's).
    public var tempo: Double?
    /// Lift, humanize and accompaniment. Its `tempo` is ignored: `tempo` above is the override.
    public var performance: PerformanceOptions
    /// A SoundFont to render through FluidSynth instead of the built-in instruments (a path, or
    /// "default" for an installed one); nil for the built-in synthesizer.
    public var soundFont: String?
    /// Most bytes of audio one command writes in total (all tunes of `render --all` or
    /// `generate --wav` together); checked from the score's length before rendering.
    public var maxOutputBytes: Int

    /// The default output cap: 100 MB, about 9½ minutes of 44.1 kHz stereo 16-bit WAV.
    public static let defaultMaxOutputMB = 100

    public init(render: RenderOptions = RenderOptions(), tempo: Double? = nil,
                performance: PerformanceOptions = PerformanceOptions(), soundFont: String? = nil,
                maxOutputBytes: Int = defaultMaxOutputMB * 1_000_000) {
        (self.render, self.tempo, self.performance, self.soundFont) = (render, tempo, performance, soundFont)
        self.maxOutputBytes = maxOutputBytes
    }
}

public enum AudioExport {
    /// Extensions `render` and `generate` write.
    public static let extensions = AudioFormat.supportedExtensions + ["mid", "midi", "svg"]

    public static func isMIDI(_ url: URL) -> Bool { ["mid", "midi"].contains(url.pathExtension.lowercased()) }

    /// Checks that `url` names a format we write and a folder that exists, before any work.
    public static func checkDestination(_ url: URL) throws {
        let ext = url.pathExtension.lowercased()
        if !ext.isEmpty && !extensions.contains(ext) {
            throw TunegenError("\(url.path): unknown output extension '.\(url.pathExtension)' (hint: tunegen writes .\(extensions.joined(separator: ", .")))")
        }
        if SheetMusic.isSVG(url) { return try SheetMusic.checkDestination(url) }
        do {
            if isMIDI(url) { try MIDIFile.checkDestination(url) } else { _ = try AudioFile.checkDestination(url) }
        } catch {
            throw TunegenError("\(error)" + (url.pathExtension.isEmpty ? " (hint: end the name with .\(extensions.joined(separator: ", .")))" : ""))
        }
    }

    /// Renders `tune` to `url` (format from the extension), played as `Performance` interprets it.
    /// Returns a summary: the file line, then indented lines saying the tempo chosen and, with
    /// accompaniment, the chords played. Warnings from the score and the synthesizer go to
    /// standard error with the tune's file name.
    @discardableResult
    public static func export(_ tune: Tune, to url: URL, sound: SoundSettings) throws -> String {
        var written = 0
        return try export(tune, to: url, sound: sound, written: &written)
    }

    /// Upper bound of the bytes an audio file of `seconds` takes: 16-bit PCM frames plus the
    /// synthesizer's release tail (FLAC and Ogg are smaller; this bounds them too).
    static func estimatedBytes(seconds: Double, sound: SoundSettings) -> Double {
        (seconds + 5) * Double(sound.render.sampleRate) * Double(sound.render.channels) * 2 + 4096
    }

    /// As `export`, counting the bytes written into `written` and refusing, before rendering,
    /// a file that would take the total past `sound.maxOutputBytes`.
    @discardableResult
    public static func export(_ tune: Tune, to url: URL, sound: SoundSettings, written: inout Int) throws -> String {
        if SheetMusic.isSVG(url) { return try SheetMusic.export(tune, to: url) }
        let result = tune.score()
        for d in result.diagnostics where d.severity == .error {
            try Output.stderr("\(d.description)\n")
        }
        guard result.score.voices.contains(where: { !$0.notes.isEmpty }) else {
            throw TunegenError("\(tune.fileName): tune \(tune.index) has no notes to play")
        }
        var interpretation = sound.performance
        interpretation.tempo = sound.tempo
        let performance = Performance(tune: tune, score: result.score, options: interpretation)
        let score = performance.score
        let notes = performance.summary.map { "\n  " + $0 }.joined()
        // The accompaniment comes from Performance; the synthesizer's own chord pad stays off.
        var render = sound.render
        render.chords = false
        if !isMIDI(url) {
            let estimate = estimatedBytes(seconds: score.totalSeconds, sound: sound)
            if Double(written) + estimate > Double(sound.maxOutputBytes) {
                let mb = { (b: Double) in String(format: "%.0f MB", b / 1e6) }
                throw TunegenError("\(tune.fileName): tune \(tune.index) lasts \(String(format: "%.0f", score.totalSeconds)) s: about \(mb(estimate)) of audio"
                    + (written > 0 ? " after \(mb(Double(written))) already written" : "")
                    + ", over the output limit of \(mb(Double(sound.maxOutputBytes))); nothing was written for it (raise the limit with --max-output-mb)")
            }
        }
        do {
            if isMIDI(url) {
                try MIDIFile.write(score, to: url, program: sound.render.instrument.midiProgram)
                let count = score.voices.map(\.notes.count).reduce(0, +)
                return "\(url.path): MIDI, \(count) notes, \(String(format: "%.1f", score.totalSeconds)) s" + notes
            }
            let rendering = try sound.soundFont.map { try SoundFontRenderer.render(score, soundFont: $0, options: render) }
                ?? Synthesizer(options: render).render(score)
            for warning in rendering.warnings {
                try Output.stderr("\(tune.fileName): tune \(tune.index): warning: \(warning)\n")
            }
            try AudioFile.write(rendering.buffer, to: url)
            written += (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? Int(estimatedBytes(seconds: score.totalSeconds, sound: sound))
            let b = rendering.buffer
            return "\(url.path): \(String(format: "%.1f", b.duration)) s, \(b.sampleRate) Hz, \(b.channels == 1 ? "mono" : "stereo"), "
                + "\(render.instrument.rawValue)\(render.room ? " in a room" : ", dry")"
                + (sound.soundFont.map { " (SoundFont \((try? SoundFontRenderer.resolve($0)) ?? $0))" } ?? "") + notes
        } catch let failure as TunegenError {
            throw failure
        } catch {
            throw TunegenError("\(error)")
        }
    }

    /// A file-name-safe form of a title ("The Kesh Jig" → "the-kesh-jig").
    public static func slug(_ title: String?) -> String {
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

extension AudioExport {
    /// Renders every tune of `file` into `folder` as NNN-title.FORMAT (`format` may list several,
    /// "svg,wav"), printing a line per tune, then writes the tunebook page FOLDER/index.html when
    /// sheet music or audio was written. Tunes that fail are reported and counted; any failure
    /// ends with exit status 1.
    public static func renderAll(_ file: ABCFile, into folder: String, format: String, sound: SoundSettings) throws {
        let formats = format.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !file.tunes.isEmpty else { throw TunegenError("\(file.fileName): no tunes (a tune starts with an X: line)") }
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        do { try OutputFile.makeFolder(folder) } catch { throw TunegenError("cannot create folder '\(folder)': \(error)") }
        var failed = 0
        var entries: [TunebookEntry] = []
        var bytes = 0
        for tune in file.tunes {
            let slug = slug(tune.title)
            var written: [String] = []
            var tuneFailed = false
            for ext in formats {
                let name = String(format: "%03d", tune.index) + (slug.isEmpty ? "" : "-\(slug)") + ".\(ext)"
                do {
                    let line = try export(tune, to: url.appendingPathComponent(name), sound: sound, written: &bytes)
                    try Output.stdout(line + "\n")
                    written.append(name)
                } catch let failure as TunegenError {
                    tuneFailed = true
                    try Output.stderr("tunegen: \(failure.description)\n")
                }
            }
            if tuneFailed { failed += 1 }
            entries.append(TunebookEntry(tune: tune, files: written))
        }
        if formats.contains(where: { $0 == "svg" || AudioFormat.supportedExtensions.contains($0) }) {
            let page = try Tunebook.write(title: (file.fileName as NSString).lastPathComponent, entries: entries, into: url)
            try Output.stdout("\(page.path): tunebook page, \(entries.count) tunes\n")
        }
        if failed > 0 {
            throw TunegenError("\(failed) of \(file.tunes.count) tunes could not be rendered", exitStatus: 1)
        }
    }
}
