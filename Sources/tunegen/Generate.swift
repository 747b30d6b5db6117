// `tunegen generate`: new tunes from a model (the shipped one by default), conditioned on key,
// mode, meter and title if asked, each checked with the notation module's validity tiers,
// optionally rendered to audio or MIDI beside its .abc file.
import ABCNotation
import ArgumentParser
import CharModel
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate new tunes (ABC text), check them, and optionally render them.",
        discussion: """
            Tunes go to standard output (or one .abc file each with --out); a line per tune with its \
            title, key, meter, bars and the validity tiers it passes goes to standard error. Tiers: \
            1 no errors, 2 header complete, 3 bars agree with the meter, 4 repeats balanced. By \
            default the parser steers sampling line by line (see --steer). \
            --valid-only samples again (up to --attempts rounds of --count tunes) until every tune \
            returned passes all four tiers. The same model, seed and flags give the same tunes.
            """)

    @Option(help: "Model file (default: the shipped model, trained on corpus/irish.abc).")
    var model: String?

    @Option(help: "How many tunes (1…256).")
    var count: Int = 3

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 1

    @Option(help: "Sampling temperature (> 0; lower is safer, higher is wilder).")
    var temperature: Float = 0.8

    @Option(help: "Sample only from the K most likely characters (1…V).")
    var topK: Int?

    @Option(help: "Sample from the smallest set of characters whose probability reaches P (0 < P ≤ 1).")
    var topP: Float?

    @Option(help: "Longest tune, in characters, after the prime.")
    var maxLength: Int = 2000

    @Option(help: "Raw text to start from instead of a header (e.g. 'X:1\\nT:').")
    var prime: String?

    @Option(help: "Key tonic: C, D, F#, Bb… (may include a mode: Ador, Em, D mix).")
    var key: String?

    @Option(help: "Mode: major, minor, dorian, mixolydian, lydian, phrygian, locrian, aeolian, ionian.")
    var mode: String?

    @Option(help: "Meter: 6/8, 4/4, C, C|, 3/4, 9/8…")
    var meter: String?

    @Option(help: "Title of the tune(s).")
    var title: String?

    @Option(help: "Folder to write one .abc file per tune into (and audio with --wav/--midi).")
    var out: String?

    @Flag(help: "Render each tune to a .wav beside its .abc file, in --out (default: the current folder).")
    var wav = false

    @Flag(help: "Write each tune as a .mid beside its .abc file, in --out (default: the current folder).")
    var midi = false

    @Flag(inversion: .prefixedNo, help: "Steer with the parser: a line of music that adds an error or a bar of the wrong length is drawn again (up to 8 times). --no-steer gives the model's raw samples, drawn as one batch.")
    var steer = true

    @Flag(help: "Only return tunes that pass all four validity tiers (resampling within --attempts).")
    var validOnly = false

    @Option(help: "With --valid-only: rounds of --count tunes to sample at most.")
    var attempts: Int = 10

    @Flag(help: "Print the tunes and their checks as JSON on standard output.")
    var json = false

    @OptionGroup(title: "Sound (with --wav)") var sound: SoundOptions

    func validate() throws {
        if count < 1 || count > 256 { throw ValidationError("--count must be between 1 and 256 (got \(count))") }
        if !(temperature.isFinite && temperature > 0) { throw ValidationError("--temperature must be a positive number (got \(temperature))") }
        if let topP, !(topP.isFinite && topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1] (got \(topP))") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1 (got \(topK))") }
        if maxLength < 1 || maxLength > 100_000 { throw ValidationError("--max-length must be between 1 and 100000") }
        if attempts < 1 { throw ValidationError("--attempts must be at least 1") }
        if prime != nil && (key != nil || mode != nil || meter != nil || title != nil) {
            throw ValidationError("use --prime, or --key/--mode/--meter/--title, not both")
        }
        if let prime, prime.isEmpty { throw ValidationError("--prime must not be empty") }
        if let title, title.contains("\n") || title.isEmpty { throw ValidationError("--title must be one non-empty line") }
    }

    func run() throws {
        do {
            try generate()
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
    }

    private func generate() throws {
        let file = try ModelFile.load(path: model)
        let v = file.vocabulary.count
        if let topK, topK > v { throw CommandFailure("--top-k must be between 1 and the model's vocabulary size \(v) (got \(topK))") }
        guard file.vocabulary.id(of: "\n") != nil else {
            throw CommandFailure("the model's vocabulary has no newline, so it cannot write ABC (a tune is lines of text); was it trained on ABC?")
        }
        let template = try makeTemplate()
        // Every forced character must be one the model knows.
        for scalar in template.forcedText.unicodeScalars where file.vocabulary.id(of: scalar) == nil {
            let which = prime != nil ? "--prime" : "the header (--key/--mode/--meter/--title)"
            throw CommandFailure("\(which) has the character \(String(scalar).debugDescription) (U+\(String(scalar.value, radix: 16, uppercase: true))), which the model never saw; the model knows: \(String(String.UnicodeScalarView(file.vocabulary.symbols)).debugDescription)")
        }
        var folder: URL?
        let folderName = out ?? "."
        if let out = out ?? ((wav || midi) ? "." : nil) {
            let url = URL(fileURLWithPath: out, isDirectory: true)
            do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
                throw CommandFailure("cannot create folder '\(out)': \(error.localizedDescription)")
            }
            folder = url
        }

        let composer = TuneComposer(model: file, template: template, seed: seed,
                                    options: SamplingOptions(temperature: temperature, topK: topK, topP: topP, maxLength: maxLength, stop: "\n\n"))
        var accepted: [GeneratedTune] = []
        var sampled = 0
        var redrawnLines = 0
        for _ in 0 ..< (validOnly ? attempts : 1) {
            let round: [GeneratedTune]
            if steer {
                let steered = composer.sampleSteered(count: count)
                round = steered.tunes
                redrawnLines += steered.redrawnLines
            } else {
                round = composer.sample(count: count)
            }
            sampled += round.count
            accepted += validOnly ? round.filter { $0.tune?.validity.highestTier == 4 } : round
            if accepted.count >= count { break }
        }
        accepted = Array(accepted.prefix(count))
        for i in accepted.indices { accepted[i].renumber(i + 1, seed: seed) }

        var documents: [GeneratedTune.Document] = []
        var stdout = ""
        for tune in accepted {
            var files: [String] = []
            if let folder {
                let base = folder.appendingPathComponent(String(format: "tune-%d-%02d", Int(truncatingIfNeeded: seed), tune.number))
                let abcURL = base.appendingPathExtension("abc")
                do { try Data(tune.text.utf8).write(to: abcURL, options: .atomic) } catch {
                    throw CommandFailure("cannot write '\(abcURL.path)': \(error.localizedDescription)")
                }
                files.append((folderName as NSString).appendingPathComponent(abcURL.lastPathComponent))
                for (wanted, ext) in [(wav, "wav"), (midi, "mid")] where wanted {
                    let url = base.appendingPathExtension(ext)
                    guard let parsed = tune.tune else { continue }
                    do {
                        try AudioExport.export(parsed, to: url, sound: sound)
                        files.append((folderName as NSString).appendingPathComponent(url.lastPathComponent))
                    } catch let failure as CommandFailure {
                        FileHandle.standardError.write(Data("tunegen: tune \(tune.number): \(failure.description)\n".utf8))
                    }
                }
            }
            if !json { FileHandle.standardError.write(Data((tune.summaryLine + (files.isEmpty ? "" : "  → " + files.joined(separator: ", ")) + "\n").utf8)) }
            documents.append(tune.document(files: files))
            if folder == nil && !json { stdout += tune.text + "\n" }
        }
        let rates = TierRates(accepted)
        if json {
            struct Output: Encodable { var tunes: [GeneratedTune.Document]; var sampled: Int; var redrawnLines: Int; var tierRates: TierRates }
            try JSONOutput.print(Output(tunes: documents, sampled: sampled, redrawnLines: redrawnLines, tierRates: rates))
        } else if folder == nil {
            FileHandle.standardOutput.write(Data(stdout.utf8))
        }
        if !json {
            let extra = (validOnly ? ", \(sampled) sampled" : "") + (steer ? ", \(redrawnLines) line\(redrawnLines == 1 ? "" : "s") redrawn" : "")
            FileHandle.standardError.write(Data((rates.summary + extra + "\n").utf8))
        }
        if validOnly && accepted.count < count {
            // Not a usage problem: the model could not deliver. Exit 1, keeping the tunes that passed.
            FileHandle.standardError.write(Data("tunegen: only \(accepted.count) of \(count) tunes passed every tier in \(sampled) samples; try a lower --temperature or more --attempts\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The header template from the conditioning flags, each checked by our own parser.
    private func makeTemplate() throws -> TuneTemplate {
        if let prime { return .raw(prime.replacingOccurrences(of: "\\n", with: "\n")) }
        guard key != nil || mode != nil || meter != nil || title != nil else { return .raw("X:1\n") }
        let keyText = try key.map { try Self.keyField(tonic: $0, mode: mode) } ?? (try mode.map { try Self.keyField(tonic: "C", mode: $0) })
        if let meter {
            let check = ABCParser.parseTune("X:1\nM:\(meter)\nK:C\n", fileName: "--meter")
            if meter.contains("\n") || check == nil || check!.hasErrors || check!.meter.barLength == nil {
                throw CommandFailure("--meter '\(meter)' is not a meter tunegen can write (e.g. 6/8, 4/4, C, C|, 3/4, 9/8)")
            }
        }
        return .header(title: title, meter: meter, key: keyText)
    }

    /// "D" + "dorian" → "D Dorian" (the corpus spells modes out); accepts "Ador", "Em", "F# mix".
    static func keyField(tonic raw: String, mode explicitMode: String?) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard let first = text.first, "ABCDEFGabcdefg".contains(first) else {
            throw CommandFailure("--key '\(raw)' must start with a note letter A–G (e.g. D, F#, Bb, Ador)")
        }
        var tonic = String(first).uppercased()
        var rest = text.dropFirst()
        if let acc = rest.first, acc == "#" || acc == "b" { tonic.append(acc); rest = rest.dropFirst() }
        let inlineMode = rest.trimmingCharacters(in: .whitespaces)
        if !inlineMode.isEmpty && explicitMode != nil { throw CommandFailure("give the mode once: in --key ('\(raw)') or with --mode") }
        let modeWord = (explicitMode ?? (inlineMode.isEmpty ? "major" : inlineMode)).lowercased()
        let names = ["maj": "Major", "ion": "Ionian", "min": "Minor", "m": "Minor", "aeo": "Aeolian", "dor": "Dorian",
                     "mix": "Mixolydian", "lyd": "Lydian", "phr": "Phrygian", "loc": "Locrian"]
        let key = names.first { modeWord == $0.key || (modeWord.count >= 3 && $0.value.lowercased().hasPrefix(modeWord)) }?.value
        guard let key else {
            throw CommandFailure("unknown mode '\(explicitMode ?? inlineMode)'; use major, minor, dorian, mixolydian, lydian, phrygian, locrian, aeolian or ionian")
        }
        return "\(tonic) \(key)"
    }
}
