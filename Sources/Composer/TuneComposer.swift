// TuneComposer: where the model meets the notation. Samples tunes from a character model
// through a header template (forced characters get all the probability), cuts each at the
// end-of-tune boundary, and checks it with the ABC parser's validity tiers.
import ABCNotation
import CharModel
import Foundation

/// One generated tune and what the parser made of it.
public struct GeneratedTune {
    public var number: Int
    public var text: String
    /// Nil when the text holds no tune at all (no X: line survived).
    public var tune: Tune?
    /// True when the model hit --max-length before ending the tune.
    public var truncated: Bool
    /// Steered tunes: the mean probability mass per drawn character that the constraint removed.
    public var removedMass: Double?
    /// Steered tunes: the form asked for.
    public var form: TuneForm?

    public init(number: Int, text: String, truncated: Bool) {
        self.number = number
        self.truncated = truncated
        // One newline at the end, whatever the sampler left (the blank-line boundary or none).
        var text = text
        while text.hasSuffix("\n") { text.removeLast() }
        self.text = text + "\n"
        self.tune = ABCParser.parseTune(self.text, fileName: "tune \(number)")
    }

    /// Sets the X: number and marks the Z: (transcription) field as ours, then re-checks.
    public mutating func renumber(_ n: Int, seed: UInt64) {
        number = n
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let i = lines.firstIndex(where: { $0.hasPrefix("X:") }) { lines[i] = "X:\(n)" }
        if let i = lines.firstIndex(where: { $0.hasPrefix("Z:") }) { lines[i] = "Z:tunegen, seed \(seed)" }
        text = lines.joined(separator: "\n")
        tune = ABCParser.parseTune(text, fileName: "tune \(n)")
    }

    public var highestTier: Int { tune?.validity.highestTier ?? 0 }

    /// "tune 1: The Title — K:D Major M:6/8, 16 bars, AABB 8+8, ends on the tonic, tiers ✓1 ✓2 ✓3 ✓4, 2.1% masked".
    /// A tier is marked ✓ only when the tiers below it pass too, as in the summary.
    public var summaryLine: String {
        guard let tune else { return "tune \(number): no tune (no X: line)" }
        let marks = (1 ... 4).map { (tune.validity.highestTier >= $0 ? "✓" : "✗") + "\($0)" }.joined(separator: " ")
        let field = { (letter: Character) in tune.header.first { $0.letter == letter }?.value ?? "?" }
        let shape = tune.shape
        let ending = shape.endsOnTonic.map { $0 ? ", ends on the tonic" : ", ends off the tonic" } ?? ""
        return "tune \(number): \(tune.title ?? "(untitled)") — K:\(field("K")) M:\(field("M")), \(tune.barCount) bars, \(shape)\(ending), tiers \(marks)"
            + (removedMass.map { String(format: ", %.1f%% masked", $0 * 100) } ?? "")
            + (truncated ? " (cut at --max-length)" : "")
    }

    public struct Document: Encodable {
        var number: Int
        var title: String?
        var key: String?
        var meter: String?
        var bars: Int
        var tiers: [String: Bool]
        public var highestTier: Int
        var truncated: Bool
        var form: String
        var endsOnTonic: Bool?
        var removedMass: Double?
        var diagnostics: [String]
        var text: String
        var files: [String]
    }

    public func document(files: [String]) -> Document {
        let v = tune?.validity
        return Document(number: number, title: tune?.title, key: tune?.header.first { $0.letter == "K" }?.value,
                        meter: tune?.header.first { $0.letter == "M" }?.value, bars: tune?.barCount ?? 0,
                        tiers: ["1_no_errors": v?.noErrors ?? false, "2_header_complete": v?.headerComplete ?? false,
                                "3_bars_match_meter": v?.barsMatchMeter ?? false, "4_repeats_balanced": v?.repeatsBalanced ?? false],
                        highestTier: highestTier, truncated: truncated, form: tune?.shape.description ?? "",
                        endsOnTonic: tune?.shape.endsOnTonic, removedMass: removedMass,
                        diagnostics: tune?.diagnostics.map(\.description) ?? [], text: text, files: files)
    }
}

/// Share of tunes passing each tier (a tier counts only if the tiers below it pass too), having
/// the form they were asked for and ending on the tonic, and the mass the constraint removed.
public struct TierRates: Encodable {
    public var tunes: Int
    public var passing: [Int]
    /// Tunes whose parts are the form asked for (raw tunes: the default form, AABB with 8-bar parts).
    public var formMatches: Int?
    public var endOnTonic: Int
    /// Mean probability mass removed per drawn character, over the steered tunes.
    public var removedMass: Double?

    public init(_ tunes: [GeneratedTune]) {
        self.tunes = tunes.count
        passing = (1 ... 4).map { tier in tunes.filter { $0.highestTier >= tier }.count }
        let steered = tunes.filter { $0.form != nil }
        // Raw tunes are measured against the default form (two 8-bar parts, each played twice).
        formMatches = tunes.filter { t in
            let wanted = t.form ?? .standard()
            return t.tune.map { wanted.parts == nil || $0.shape.matches(wanted) } ?? false
        }.count
        endOnTonic = tunes.filter { $0.tune?.shape.endsOnTonic == true }.count
        removedMass = steered.isEmpty ? nil : steered.compactMap(\.removedMass).reduce(0, +) / Double(steered.count)
    }

    public var summary: String {
        "\(tunes) tune\(tunes == 1 ? "" : "s"): " + passing.enumerated().map { "tier \($0 + 1) \($1)/\(tunes)" }.joined(separator: ", ")
            + (formMatches.map { ", form \($0)/\(tunes)" } ?? "") + ", end on the tonic \(endOnTonic)/\(tunes)"
            + (removedMass.map { String(format: ", %.1f%% of the probability masked", $0 * 100) } ?? "")
    }
}

/// Samples tunes through a template. Each call continues the same seeded stream of random numbers.
public final class TuneComposer {
    let file: ModelFile
    let template: TuneTemplate
    let options: SamplingOptions
    private var rng: SeededGenerator
    private var produced = 0

    public init(model: ModelFile, template: TuneTemplate, seed: UInt64, options: SamplingOptions) {
        self.file = model
        self.template = template
        self.options = options
        self.rng = SeededGenerator(seed: seed)
    }

    /// `count` tunes sampled side by side (one batch of `count` streams): the model's raw samples.
    public func sample(count: Int) -> [GeneratedTune] {
        sample(count: count, constraint: nil).texts.map { generated in
            produced += 1
            let text = template.prime + generated
            return GeneratedTune(number: produced, text: text, truncated: !text.hasSuffix("\n\n"))
        }
    }

    /// Gives all the probability to the character the template forces next, if it forces one.
    static func force(_ cursor: TuneTemplate.Cursor, template: TuneTemplate, vocabulary: Vocabulary, probabilities: inout [Float]) {
        guard let forced = cursor.forced(in: template), let id = forced.unicodeScalars.first.flatMap(vocabulary.id(of:)) else { return }
        for i in probabilities.indices { probabilities[i] = 0 }
        probabilities[Int(id)] = 1
    }

    // MARK: Steered by the notation

    /// `count` tunes sampled side by side (one batch), every character masked by a TuneReader per
    /// stream so that each tune passes every tier and has `form`: the model still chooses every
    /// character among those the reader allows. Each tune records the probability mass removed.
    public func sampleConstrained(count: Int, form: TuneForm) throws -> [GeneratedTune] {
        let constraint = try TuneConstraint(form: form, prime: template.prime, streams: count, symbols: file.vocabulary.symbols, cache: masks)
        let (texts, stats) = sample(count: count, constraint: constraint)
        return texts.enumerated().map { b, generated in
            produced += 1
            let text = template.prime + generated
            var tune = GeneratedTune(number: produced, text: text, truncated: !constraint.readers[b].isComplete)
            tune.removedMass = stats.draws[b] > 0 ? stats.removedMass[b] / Double(stats.draws[b]) : 0
            tune.form = form
            return tune
        }
    }

    /// The generated texts (prime not included) of `count` streams run as one batch, the header
    /// template forced character by character and `constraint`, if any, masking every draw.
    private func sample(count: Int, constraint: TuneConstraint?) -> (texts: [String], statistics: ConstraintStatistics) {
        let sampler = Sampler(model: file.model, streams: count)
        sampler.matchModel = file.matchModel
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
                Self.force(cursors[stream], template: template, vocabulary: vocabulary, probabilities: &probabilities)
            },
            constraint: constraint)
        return (texts, sampler.constraintStatistics)
    }

    /// Masks by reader state, kept across batches.
    public let masks = TuneConstraint.MaskCache()
}
