// GenerateRun: what `tunegen generate` does: sample tunes from a model through a header
// template, steered character by character by the notation's reader (every tune passes every
// tier and has the form asked for) unless raw samples are asked for, check each with the tiers, write them (stdout or one .abc per
// tune) with audio or MIDI beside them if asked, and report each tune and the tier rates.
import ABCNotation
import CharModel
import Linalg
import FileOutput
import Foundation

/// Everything `generate` was asked for.
public struct GenerateRequest: Sendable {
    /// How the tune's header starts: raw text, or fields written into the corpus's header order.
    public enum Header: Sendable {
        case prime(String)
        case fields(key: String?, mode: String?, meter: String?, title: String?)

        var isPrime: Bool { if case .prime = self { true } else { false } }
    }

    /// Model file; nil means the shipped model.
    public var model: String?
    public var count: Int
    public var seed: UInt64
    public var sampling: SamplingOptions
    public var header: Header
    /// Folder for one .abc per tune (and audio); nil prints the tunes.
    public var out: String?
    public var wav: Bool
    public var midi: Bool
    /// Steer every character with the notation's reader (nil: raw samples, `--no-steer`).
    public var form: TuneForm?
    public var json: Bool
    public var sound: SoundSettings
    /// Engrave each tune to a .svg beside its .abc (and write the tunebook page DIR/index.html).
    public var svg = false
    /// Precision of the recurrent weights while sampling (nil: the one the model was trained in).
    public var precision: WeightPrecision? = nil
    /// Mix the model's match model (copying from the tune so far) into every draw, when it has one.
    public var copy = true

    public init(model: String?, count: Int, seed: UInt64, sampling: SamplingOptions, header: Header, out: String?,
                wav: Bool, midi: Bool, form: TuneForm?, json: Bool, sound: SoundSettings) {
        (self.model, self.count, self.seed, self.sampling, self.header, self.out) = (model, count, seed, sampling, header, out)
        (self.wav, self.midi, self.form, self.json, self.sound) = (wav, midi, form, json, sound)
    }
}

public struct GenerateRun {
    public let request: GenerateRequest

    public init(_ request: GenerateRequest) { self.request = request }

    /// Samples, checks, writes and reports the tunes the request asks for. Throws TunegenError for
    /// a bad model or flag, and (exit 1) when an audio, MIDI or SVG file could not be written.
    public func run() throws {
        let (file, template) = try loadModel()
        let folder = try outputFolder()
        let composer = TuneComposer(model: file, template: template, seed: request.seed, options: request.sampling)
        // One batch of --count streams; steered, every tune passes every tier by construction.
        var accepted = try request.form.map { try composer.sampleConstrained(count: request.count, form: $0) }
            ?? composer.sample(count: request.count)
        for i in accepted.indices { accepted[i].renumber(i + 1, seed: request.seed) }
        var report = Report()
        for tune in accepted { try emit(tune, into: folder, report: &report) }
        try finish(accepted, folder: folder, report: report)
    }

    /// What the tunes written so far add up to.
    private struct Report {
        var documents: [GeneratedTune.Document] = []
        var entries: [TunebookEntry] = []
        var failedFiles = 0
        var audioBytes = 0
        var stdout = ""
    }

    /// The model and the header template, checked against each other and the flags before any work.
    private func loadModel() throws -> (ModelFile, TuneTemplate) {
        var file = try ModelFile.load(path: request.model)
        if let precision = request.precision { file.model.weightPrecision = precision }
        if !request.copy { file.matchModel = nil }
        let v = file.vocabulary.count
        if let topK = request.sampling.topK, topK > v {
            throw TunegenError("--top-k must be between 1 and the model's vocabulary size \(v) (got \(topK))")
        }
        guard file.vocabulary.id(of: "\n") != nil else {
            throw TunegenError("the model's vocabulary has no newline, so it cannot write ABC (a tune is lines of text); was it trained on ABC?")
        }
        let template = try TuneTemplate.make(request.header)
        if request.form != nil, case let .fields(_, _, meter, title) = request.header {
            if let meter, !TuneReader.meters.contains(meter) {
                throw TunegenError("steering writes the meters \(TuneReader.meters.joined(separator: ", ")), not '\(meter)'; use one of them or --no-steer")
            }
            if let title, title.contains("%") { throw TunegenError("--title must not contain '%' (it starts a comment in ABC)") }
        }
        // Every forced character must be one the model knows.
        for scalar in template.forcedText.unicodeScalars where file.vocabulary.id(of: scalar) == nil {
            let which = request.header.isPrime ? "--prime" : "the header (--key/--mode/--meter/--title)"
            throw TunegenError("\(which) has the character \(String(scalar).debugDescription) (U+\(String(scalar.value, radix: 16, uppercase: true))), which the model never saw; the model knows: \(String(String.UnicodeScalarView(file.vocabulary.symbols)).debugDescription)")
        }
        return (file, template)
    }

    /// The folder tunes are written into: --out, or the current folder when only audio, MIDI or
    /// SVG was asked for; nil prints the tunes.
    private func outputFolder() throws -> URL? {
        guard let out = request.out ?? ((request.wav || request.midi || request.svg) ? "." : nil) else { return nil }
        do { try OutputFile.makeFolder(out) } catch { throw TunegenError("cannot create folder '\(out)': \(error)") }
        return URL(fileURLWithPath: out, isDirectory: true)
    }

    /// Writes one tune (its .abc, and the sheet music, audio and MIDI asked for) into `folder`, or
    /// keeps its text for standard output; reports its line.
    private func emit(_ tune: GeneratedTune, into folder: URL?, report: inout Report) throws {
        let folderName = request.out ?? "."
        var files: [String] = []
        if let folder {
            let base = folder.appendingPathComponent(String(format: "tune-%d-%02d", Int(truncatingIfNeeded: request.seed), tune.number))
            let abcURL = base.appendingPathExtension("abc")
            do { try OutputFile.write(tune.text, to: abcURL) } catch {
                throw TunegenError("cannot write '\(abcURL.path)': \(error)")
            }
            files.append((folderName as NSString).appendingPathComponent(abcURL.lastPathComponent))
            var written: [String] = []
            for (wanted, ext) in [(request.svg, "svg"), (request.wav, "wav"), (request.midi, "mid")] where wanted {
                let url = base.appendingPathExtension(ext)
                guard let parsed = tune.tune else { continue }
                do {
                    let summary = try AudioExport.export(parsed, to: url, sound: request.sound, written: &report.audioBytes)
                    // Say what the accompaniment played (never a silent --chords), once per tune.
                    for line in summary.split(separator: "\n") where line.hasPrefix("  chords:") && (ext == "wav" || !request.wav) {
                        try Output.stderr("tunegen: tune \(tune.number): \(line.dropFirst(2))\n")
                    }
                    files.append((folderName as NSString).appendingPathComponent(url.lastPathComponent))
                    written.append(url.lastPathComponent)
                } catch let failure as TunegenError {
                    report.failedFiles += 1
                    try Output.stderr("tunegen: tune \(tune.number): \(failure.description)\n")
                }
            }
            if let parsed = tune.tune { report.entries.append(TunebookEntry(tune: parsed, abc: tune.text, files: written)) }
        }
        if !request.json { try Output.stderr(tune.summaryLine + (files.isEmpty ? "" : "  → " + files.joined(separator: ", ")) + "\n") }
        report.documents.append(tune.document(files: files))
        if folder == nil && !request.json { report.stdout += tune.text + "\n" }
    }

    /// The tunebook page, the tunes or JSON on standard output, and the summary line.
    private func finish(_ accepted: [GeneratedTune], folder: URL?, report: Report) throws {
        if let folder, request.out != nil, request.svg || request.wav, !report.entries.isEmpty {
            let page = try Tunebook.write(title: "tunegen, seed \(request.seed)", entries: report.entries, into: folder)
            if !request.json {
                try Output.stderr("tunebook page: \(((request.out ?? ".") as NSString).appendingPathComponent(page.lastPathComponent))\n")
            }
        }
        let rates = TierRates(accepted)
        if request.json {
            struct Document: Encodable { var tunes: [GeneratedTune.Document]; var form: String; var tierRates: TierRates }
            try JSONOutput.print(Document(tunes: report.documents, form: request.form?.description ?? "raw", tierRates: rates))
        } else {
            if folder == nil { try Output.stdout(report.stdout) }
            try Output.stderr(rates.summary + "\n")
        }
        if report.failedFiles > 0 {
            let n = report.failedFiles
            throw TunegenError("\(n) audio, MIDI or SVG file\(n == 1 ? "" : "s") could not be written (see above); the .abc files were written", exitStatus: 1)
        }
    }
}

extension TuneTemplate {
    /// The header template from the conditioning flags, each checked by our own parser.
    public static func make(_ header: GenerateRequest.Header) throws -> TuneTemplate {
        let (key, mode, meter, title): (String?, String?, String?, String?)
        switch header {
        case let .prime(prime): return .raw(prime.replacingOccurrences(of: "\\n", with: "\n"))
        case let .fields(k, m, me, t): (key, mode, meter, title) = (k, m, me, t)
        }
        guard key != nil || mode != nil || meter != nil || title != nil else { return .raw("X:1\n") }
        let keyText = try key.map { try Self.keyField(tonic: $0, mode: mode) } ?? (try mode.map { try Self.keyField(tonic: "C", mode: $0) })
        if let meter {
            let check = ABCParser.parseTune("X:1\nM:\(meter)\nK:C\n", fileName: "--meter")
            if meter.contains("\n") || check == nil || check!.hasErrors || check!.meter.barLength == nil {
                throw TunegenError("--meter '\(meter)' is not a meter tunegen can write (e.g. 6/8, 4/4, C, C|, 3/4, 9/8)")
            }
        }
        return .header(title: title, meter: meter, key: keyText)
    }

    /// "D" + "dorian" → "D Dorian" (the corpus spells modes out); accepts "Ador", "Em", "F# mix".
    public static func keyField(tonic raw: String, mode explicitMode: String?) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard let first = text.first, "ABCDEFGabcdefg".contains(first) else {
            throw TunegenError("--key '\(raw)' must start with a note letter A–G (e.g. D, F#, Bb, Ador)")
        }
        var tonic = String(first).uppercased()
        var rest = text.dropFirst()
        if let acc = rest.first, acc == "#" || acc == "b" { tonic.append(acc); rest = rest.dropFirst() }
        let inlineMode = rest.trimmingCharacters(in: .whitespaces)
        if !inlineMode.isEmpty && explicitMode != nil { throw TunegenError("give the mode once: in --key ('\(raw)') or with --mode") }
        let modeWord = (explicitMode ?? (inlineMode.isEmpty ? "major" : inlineMode)).lowercased()
        let names = ["maj": "Major", "ion": "Ionian", "min": "Minor", "m": "Minor", "aeo": "Aeolian", "dor": "Dorian",
                     "mix": "Mixolydian", "lyd": "Lydian", "phr": "Phrygian", "loc": "Locrian"]
        let key = names.first { modeWord == $0.key || (modeWord.count >= 3 && $0.value.lowercased().hasPrefix(modeWord)) }?.value
        guard let key else {
            throw TunegenError("unknown mode '\(explicitMode ?? inlineMode)'; use major, minor, dorian, mixolydian, lydian, phrygian, locrian, aeolian or ionian")
        }
        return "\(tonic) \(key)"
    }
}
