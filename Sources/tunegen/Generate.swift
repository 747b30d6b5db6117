// `tunegen generate`: new tunes from a model (the shipped one by default), conditioned on key,
// mode, meter and title if asked, each checked with the notation module's validity tiers,
// optionally rendered to audio or MIDI beside its .abc file.
import ABCNotation
import ArgumentParser
import CharModel
import Composer
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate new tunes (ABC text), check them, and optionally render them.",
        discussion: """
            Tunes go to standard output (or one .abc file each with --out); a line per tune with its \
            title, key, meter, bars and the validity tiers it passes goes to standard error. Tiers: \
            1 no errors, 2 header complete, 3 bars agree with the meter, 4 repeats balanced. By \
            default every character is steered by the notation's reader: the model chooses among the \
            characters that keep the tune completable into one that passes every tier, has --form \
            (two 8-bar parts, each played twice) and ends on the tonic. --no-steer gives raw samples. \
            A model trained by this version also copies from the tune so far (its match model, \
            fitted when training ends): --no-copy samples from the LSTM alone. \
            The same model, seed and flags give the same tunes.
            """)

    @Option(help: "Model file (default: the shipped model, trained on corpus/irish.abc).")
    var model: String?

    @Option(parsing: .unconditional, help: "How many tunes (1…256).")
    var count: Int = 3

    @Option(parsing: .unconditional, help: "Seed for sampling.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Sampling temperature (> 0; lower is safer, higher is wilder).")
    var temperature: Float = 0.8

    @Option(parsing: .unconditional, help: "Sample only from the K most likely characters (1…V).")
    var topK: Int?

    @Option(parsing: .unconditional, help: "Sample from the smallest set of characters whose probability reaches P (0 < P ≤ 1).")
    var topP: Float?

    @Option(parsing: .unconditional, help: "Longest tune, in characters, after the prime.")
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

    @Flag(help: "Engrave each tune as sheet music (.svg) beside its .abc file; with --out, --svg or --wav also write the tunebook page DIR/index.html.")
    var svg = false

    @Flag(inversion: .prefixedNo, help: "Steer every character with the notation's reader, so every tune passes every tier and has --form. --no-steer gives the model's raw samples.")
    var steer = true

    @Option(help: "Parts: AABB (default), AB, AABBCC, ABC… (each letter twice: played twice) or free (the model decides).")
    var form: String = "AABB"

    @Option(parsing: .unconditional, help: "Bars in each part, the pickup not counted (1…64).")
    var barsPerPart: Int = 8

    @Flag(inversion: .prefixedNo, help: "End the tune on the tonic of its key.")
    var tonicEnding = true

    @Flag(help: "Only tunes that pass all four tiers: what steering always gives (refused with --no-steer).")
    var validOnly = false

    @Option(help: "Recurrent weights while sampling: bf16 (half the bytes per character) or fp32 (default: what the model was trained in).")
    var precision: String?

    @Flag(inversion: .prefixedNo, help: "Mix the model's match model into every draw, so a tune can repeat its own bars (when the model has one).")
    var copy = true

    @Flag(help: "Print the tunes and their checks as JSON on standard output.")
    var json = false

    @OptionGroup(title: "Sound (with --wav)") var sound: SoundOptions

    func validate() throws {
        if count < 1 || count > 256 { throw ValidationError("--count must be between 1 and 256 (got \(count))") }
        if !(temperature.isFinite && temperature > 0) { throw ValidationError("--temperature must be a positive number (got \(temperature))") }
        if let topP, !(topP.isFinite && topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1] (got \(topP))") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1 (got \(topK))") }
        if maxLength < 1 || maxLength > 100_000 { throw ValidationError("--max-length must be between 1 and 100000") }
        if validOnly && !steer { throw ValidationError("--valid-only needs steering: --no-steer gives raw samples, which may fail the tiers") }
        if !(1 ... 64).contains(barsPerPart) { throw ValidationError("--bars-per-part must be between 1 and 64 (got \(barsPerPart))") }
        if TuneForm(parsing: form, barsPerPart: barsPerPart) == nil {
            throw ValidationError("--form '\(form)' is not a form: use AABB, AB, AABBCC, ABC… (parts named A, B, C… in order, each once or each twice) or free")
        }
        if prime != nil && (key != nil || mode != nil || meter != nil || title != nil) {
            throw ValidationError("use --prime, or --key/--mode/--meter/--title, not both")
        }
        if let precision, !["fp32", "bf16"].contains(precision) { throw ValidationError("--precision must be fp32 or bf16 (got '\(precision)')") }
        if let prime, prime.isEmpty { throw ValidationError("--prime must not be empty") }
        if let title, title.contains("\n") || title.isEmpty { throw ValidationError("--title must be one non-empty line") }
    }

    func run() throws {
        var request = GenerateRequest(
            model: model, count: count, seed: seed,
            sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, maxLength: maxLength, stop: "\n\n"),
            header: prime.map { .prime($0) } ?? .fields(key: key, mode: mode, meter: meter, title: title),
            out: out, wav: wav, midi: midi,
            form: steer ? TuneForm(parsing: form, barsPerPart: barsPerPart, endOnTonic: tonicEnding) : nil, json: json,
            sound: sound.settings)
        request.svg = svg
        request.precision = precision.flatMap { WeightPrecision(rawValue: $0) }
        request.copy = copy
        try GenerateRun(request).run()
    }
}
