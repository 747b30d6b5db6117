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

    /// "tune 1: The Title — K:D Major M:6/8, 16 bars, tiers ✓1 ✓2 ✗3 ✓4".
    public var summaryLine: String {
        guard let tune else { return "tune \(number): no tune (no X: line)" }
        let v = tune.validity
        let marks = [v.noErrors, v.headerComplete, v.barsMatchMeter, v.repeatsBalanced].enumerated()
            .map { ($1 ? "✓" : "✗") + "\($0 + 1)" }.joined(separator: " ")
        let field = { (letter: Character) in tune.header.first { $0.letter == letter }?.value ?? "?" }
        return "tune \(number): \(tune.title ?? "(untitled)") — K:\(field("K")) M:\(field("M")), \(tune.barCount) bars, tiers \(marks)"
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
                        highestTier: highestTier, truncated: truncated,
                        diagnostics: tune?.diagnostics.map(\.description) ?? [], text: text, files: files)
    }
}

/// Share of tunes passing each tier (a tier counts only if the tiers below it pass too).
public struct TierRates: Encodable {
    public var tunes: Int
    public var passing: [Int]

    public init(_ tunes: [GeneratedTune]) {
        self.tunes = tunes.count
        passing = (1 ... 4).map { tier in tunes.filter { $0.highestTier >= tier }.count }
    }

    public var summary: String {
        "\(tunes) tune\(tunes == 1 ? "" : "s"): " + passing.enumerated().map { "tier \($0 + 1) \($1)/\(tunes)" }.joined(separator: ", ")
    }
}

/// Samples tunes through a template. Each call to `sample` continues the same seeded stream
/// of random numbers, so rounds of --valid-only are reproducible too.
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

    /// `count` tunes sampled side by side (one batch of `count` streams).
    public func sample(count: Int) -> [GeneratedTune] {
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
                Self.force(cursors[stream], template: template, vocabulary: vocabulary, probabilities: &probabilities)
            })
        return texts.map { generated in
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

    // MARK: Steered by the parser

    /// Problems in a partial tune that another draw of its last line could avoid: errors and bars
    /// whose length disagrees with the meter.
    static func lineProblems(_ text: String) -> Int {
        guard let tune = ABCParser.parseTune(text, fileName: "partial") else { return 0 }
        return tune.diagnostics.filter { $0.severity == .error || $0.category == .barLength }.count
    }

    /// `count` tunes, one stream each, steered with the parser: whenever the model finishes a
    /// line of music, the tune so far is parsed, and a line that adds an error or a bar of the
    /// wrong length is drawn again from the model's state at the start of that line (at most
    /// `retriesPerLine` times; then it is kept and the tune's check reports it). Costs one parse
    /// of the tune per line and the characters of the redrawn lines. Returns the redraw count too.
    public func sampleSteered(count: Int, retriesPerLine: Int = 8) -> (tunes: [GeneratedTune], redrawnLines: Int) {
        let vocabulary = file.vocabulary
        let sampler = Sampler(model: file.model, streams: 1)
        let newline = vocabulary.id(of: "\n")!  // checked by the caller: an ABC model writes lines
        let primeIDs = vocabulary.encode(template.prime)!  // checked against the vocabulary by the caller
        var probabilities = [Float](repeating: 0, count: vocabulary.count)
        var tunes: [GeneratedTune] = []
        var redrawn = 0

        struct LineStart { var state: LSTMState; var scalars: Int; var cursor: TuneTemplate.Cursor }
        for _ in 0 ..< count {
            sampler.reset()
            sampler.prime(primeIDs)
            var scalars: [Unicode.Scalar] = []
            var cursor = TuneTemplate.Cursor()
            var lineStart: LineStart?
            var accepted = 0
            var retries = 0
            var ended = false
            func text() -> String { template.prime + String(String.UnicodeScalarView(scalars)) }

            while scalars.count < options.maxLength {
                sampler.probabilities(stream: 0, temperature: options.temperature, into: &probabilities)
                Self.force(cursor, template: template, vocabulary: vocabulary, probabilities: &probabilities)
                guard let token = sampler.draw(from: probabilities, topK: options.topK, topP: options.topP, rng: &rng) else { break }
                let scalar = vocabulary.symbols[Int(token)]
                scalars.append(scalar)
                cursor.advance(past: Character(scalar), in: template)
                if scalar == "\n" {
                    if scalars.count >= 2 && scalars[scalars.count - 2] == "\n" { ended = true; break }
                    let inBody = cursor.segment >= template.segments.count && text().contains("\nK:")
                    if inBody, let start = lineStart {
                        let problems = Self.lineProblems(text())
                        if problems > accepted && retries < retriesPerLine {
                            // Draw the line again from where it began.
                            retries += 1
                            redrawn += 1
                            scalars.removeSubrange(start.scalars...)
                            cursor = start.cursor
                            sampler.state = start.state
                            sampler.step([newline])
                            continue
                        }
                        accepted = problems
                    }
                    retries = 0
                    // The next line starts here: the state before the model reads this newline.
                    lineStart = LineStart(state: sampler.state, scalars: scalars.count, cursor: cursor)
                }
                sampler.step([token])
            }
            produced += 1
            tunes.append(GeneratedTune(number: produced, text: text(), truncated: !ended))
        }
        return (tunes, redrawn)
    }
}

