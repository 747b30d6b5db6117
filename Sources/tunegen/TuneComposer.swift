// TuneComposer: where the model meets the notation. Samples tunes from a character model
// through a header template (forced characters get all the probability), cuts each at the
// end-of-tune boundary, and checks it with the ABC parser's validity tiers.
import ABCNotation
import CharModel
import Foundation

/// One generated tune and what the parser made of it.
struct GeneratedTune {
    var number: Int
    var text: String
    /// Nil when the text holds no tune at all (no X: line survived).
    var tune: Tune?
    /// True when the model hit --max-length before ending the tune.
    var truncated: Bool

    init(number: Int, text: String, truncated: Bool) {
        self.number = number
        self.truncated = truncated
        self.text = text
        self.tune = ABCParser.parseTune(text, fileName: "tune \(number)")
    }

    /// Sets the X: number and marks the Z: (transcription) field as ours, then re-checks.
    mutating func renumber(_ n: Int, seed: UInt64) {
        number = n
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let i = lines.firstIndex(where: { $0.hasPrefix("X:") }) { lines[i] = "X:\(n)" }
        if let i = lines.firstIndex(where: { $0.hasPrefix("Z:") }) { lines[i] = "Z:tunegen, seed \(seed)" }
        text = lines.joined(separator: "\n")
        tune = ABCParser.parseTune(text, fileName: "tune \(n)")
    }

    var highestTier: Int { tune?.validity.highestTier ?? 0 }

    /// "tune 1: The Title — K:D Major M:6/8, 16 bars, tiers ✓1 ✓2 ✗3 ✓4".
    var summaryLine: String {
        guard let tune else { return "tune \(number): no tune (no X: line)" }
        let v = tune.validity
        let marks = [v.noErrors, v.headerComplete, v.barsMatchMeter, v.repeatsBalanced].enumerated()
            .map { ($1 ? "✓" : "✗") + "\($0 + 1)" }.joined(separator: " ")
        let field = { (letter: Character) in tune.header.first { $0.letter == letter }?.value ?? "?" }
        return "tune \(number): \(tune.title ?? "(untitled)") — K:\(field("K")) M:\(field("M")), \(tune.barCount) bars, tiers \(marks)"
            + (truncated ? " (cut at --max-length)" : "")
    }

    struct Document: Encodable {
        var number: Int
        var title: String?
        var key: String?
        var meter: String?
        var bars: Int
        var tiers: [String: Bool]
        var highestTier: Int
        var truncated: Bool
        var diagnostics: [String]
        var text: String
        var files: [String]
    }

    func document(files: [String]) -> Document {
        let v = tune?.validity
        return Document(number: number, title: tune?.title, key: tune?.header.first { $0.letter == "K" }?.value,
                        meter: tune?.header.first { $0.letter == "M" }?.value, bars: tune?.barCount ?? 0,
                        tiers: ["1_no_errors": v?.noErrors ?? false, "2_header_complete": v?.headerComplete ?? false,
                                "3_bars_match_meter": v?.barsMatchMeter ?? false, "4_repeats_balanced": v?.repeatsBalanced ?? false],
                        highestTier: highestTier, truncated: truncated,
                        diagnostics: tune?.diagnostics.map(\.description) ?? [], text: text, files: files)
    }
}

/// Share of tunes passing each tier (a tier counts only if the tiers below it pass too).
struct TierRates: Encodable {
    var tunes: Int
    var passing: [Int]

    init(_ tunes: [GeneratedTune]) {
        self.tunes = tunes.count
        passing = (1 ... 4).map { tier in tunes.filter { $0.highestTier >= tier }.count }
    }

    var summary: String {
        "\(tunes) tune\(tunes == 1 ? "" : "s"): " + passing.enumerated().map { "tier \($0 + 1) \($1)/\(tunes)" }.joined(separator: ", ")
    }
}

/// Samples tunes through a template. Each call to `sample` continues the same seeded stream
/// of random numbers, so rounds of --valid-only are reproducible too.
final class TuneComposer {
    let file: ModelFile
    let template: TuneTemplate
    let options: SamplingOptions
    private var rng: SeededGenerator
    private var produced = 0

    init(model: ModelFile, template: TuneTemplate, seed: UInt64, options: SamplingOptions) {
        self.file = model
        self.template = template
        self.options = options
        self.rng = SeededGenerator(seed: seed)
    }

    /// `count` tunes sampled side by side (one batch of `count` streams).
    func sample(count: Int) -> [GeneratedTune] {
        let sampler = Sampler(model: file.model, streams: count)
        let vocabulary = file.vocabulary
        var cursors = [TuneTemplate.Cursor](repeating: .init(), count: count)
        var calls = [Int](repeating: 0, count: count)
        let template = self.template
        let texts = sampler.generate(
            primes: Array(repeating: template.prime, count: count), vocabulary: vocabulary, options: options, rng: &rng,
            adjust: { stream, text, probabilities in
                // Called once before every draw: since the last call the stream wrote one character.
                if calls[stream] > 0, let last = text.unicodeScalars.last {
                    cursors[stream].advance(past: Character(last), in: template)
                }
                calls[stream] += 1
                guard let forced = cursors[stream].forced(in: template),
                      let scalar = forced.unicodeScalars.first, let id = vocabulary.id(of: scalar) else { return }
                for i in probabilities.indices { probabilities[i] = 0 }
                probabilities[Int(id)] = 1
            })
        return texts.map { generated in
            produced += 1
            var text = template.prime + generated
            let ended = text.hasSuffix("\n\n")
            while text.hasSuffix("\n") { text.removeLast() }
            return GeneratedTune(number: produced, text: text + "\n", truncated: !ended)
        }
    }
}
