// Evaluation: `tunegen evaluate`. Reads TUNES, the reference and the training set (unreadable
// files and tunes with errors are counted, not fatal), measures every tune once, sums each set
// up, compares them (histograms, keys and meters, MGEval) and searches the training set for
// copies; then prints the table, the JSON document, or writes the HTML report.
import ABCNotation
import Foundation

/// What `evaluate` was asked to do.
public struct EvaluationSettings: Sendable, Codable {
    public var tunes: [String]
    public var reference: [String]
    /// nil: the reference.
    public var training: [String]?
    /// A tune whose nearest training tune is at least this similar (1 − normalised edit distance) is a likely copy.
    public var copyThreshold: Double
    /// Distance pairs sampled per MGEval distribution (all pairs when fewer).
    public var mgevalPairs: Int
    /// Seed of the MGEval pair sampling.
    public var seed: UInt64

    public init(tunes: [String], reference: [String], training: [String]?, copyThreshold: Double = 0.8,
                mgevalPairs: Int = 20_000, seed: UInt64 = 1) {
        self.tunes = tunes
        self.reference = reference
        self.training = training
        self.copyThreshold = copyThreshold
        self.mgevalPairs = mgevalPairs
        self.seed = seed
    }
}

/// A tune judged a likely copy.
public struct LikelyCopy: Sendable, Codable {
    public var tune: TuneOrigin
    public var trainingTune: TuneOrigin
    public var similarity: Double
    public var longestSharedNotes: Int
}

/// The novelty of TUNES against the training set.
public struct NoveltySummary: Sendable, Codable {
    public var trainingTunes: Int
    public var noteGram: Int
    public var charGram: Int
    public var meanLongestSharedNotes: Double
    public var maxLongestSharedNotes: Int
    public var meanLongestSharedChars: Double
    public var maxLongestSharedChars: Int
    /// Full bars of TUNES found verbatim in the training set (pooled).
    public var barsInTraining: Share
    public var meanSimilarity: Double
    public var copyThreshold: Double
    public var likelyCopies: [LikelyCopy]
    public var perTune: [TuneNovelty]
}

/// The histograms of TUNES and the reference on shared grids.
public struct SetComparison: Sendable, Codable {
    public var pitchClasses: HistogramComparison
    public var intervals: HistogramComparison
    public var noteLengths: HistogramComparison
    public var barsPerPart: HistogramComparison
    public var keys: HistogramComparison
    public var meters: HistogramComparison
}

/// One tune of TUNES in the JSON document: its form and closure, and why the strict check failed.
public struct TuneSummary: Sendable, Codable {
    public var tune: TuneOrigin
    public var tier: Int
    public var strictProblems: [String]
    public var key: String
    public var meter: String
    public var barsPerPart: [Double]
    public var aabb: Bool
    public var endsOnTonic: Bool?
    public var fullBars: Int
    public var recurringBars: Int
    public var openingBarReturns: Bool?
    public var notes: Int
    public var pitchRange: Int
    public var distinctPitches: Int

    init(_ f: TuneFeatures) {
        tune = f.origin
        tier = f.tier
        strictProblems = f.strictProblems
        key = f.keyLabel
        meter = f.meterLabel
        barsPerPart = f.parts.map(\.bars)
        aabb = f.isAABB
        endsOnTonic = f.endsOnTonic
        fullBars = f.fullBars
        recurringBars = f.recurringBars
        openingBarReturns = f.openingBarReturns
        notes = f.noteCount
        pitchRange = f.pitchRange
        distinctPitches = f.distinctPitches
    }
}

/// Everything `evaluate` measured: what `--json` prints.
public struct EvaluationReport: Sendable, Codable {
    public var settings: EvaluationSettings
    /// Files that could not be read, as "path: reason".
    public var unreadable: [String]
    public var tunes: SetSummary
    public var reference: SetSummary
    public var comparison: SetComparison
    public var mgeval: [MGEvalFeature]
    public var novelty: NoveltySummary
    /// Every tune of TUNES (with errors too), in input order.
    public var perTune: [TuneSummary]
}

/// One set read from files.
struct TuneSet {
    var features: [TuneFeatures] = []
    var files = 0
    var unreadable: [String] = []
}

public enum Evaluation {
    /// Reads every set, measures and compares. Throws a TunegenError when a set has no tunes.
    public static func run(_ settings: EvaluationSettings) throws -> EvaluationReport {
        Phases.last = Date()
        let tunes = try read(settings.tunes, role: "TUNES")
        let reference = try read(settings.reference, role: "--reference")
        let training = try settings.training.map { try read($0, role: "--training") } ?? reference
        Phases.mark("read and measure")
        return report(settings: settings, tunes: tunes, reference: reference, training: training)
    }

    static func report(settings: EvaluationSettings, tunes: TuneSet, reference: TuneSet, training: TuneSet) -> EvaluationReport {
        let a = SetSummary(tunes.features, files: tunes.files, unreadableFiles: tunes.unreadable.count)
        let b = SetSummary(reference.features, files: reference.files, unreadableFiles: reference.unreadable.count)
        let comparison = SetComparison(pitchClasses: HistogramComparison(a.pitchClasses, b.pitchClasses),
                                       intervals: HistogramComparison(a.intervals, b.intervals),
                                       noteLengths: HistogramComparison(a.noteLengths, b.noteLengths),
                                       barsPerPart: HistogramComparison(a.barsPerPart, b.barsPerPart),
                                       keys: HistogramComparison(a.keys, b.keys),
                                       meters: HistogramComparison(a.meters, b.meters))
        let measuredA = tunes.features.filter(\.isMeasured), measuredB = reference.features.filter(\.isMeasured)
        Phases.mark("summaries")
        let mgeval = MGEval.compare(measuredA, measuredB, pairs: settings.mgevalPairs, seed: settings.seed)
        Phases.mark("MGEval")
        let index = NoveltyIndex(training: training.features)
        Phases.mark("n-gram index")
        let perTune = parallelMap(measuredA) { index.novelty(of: $0) }
        Phases.mark("novelty search")
        let copies = perTune.filter { $0.nearest != nil && $0.similarity >= settings.copyThreshold }
            .map { LikelyCopy(tune: $0.tune, trainingTune: $0.nearest!, similarity: $0.similarity, longestSharedNotes: $0.longestSharedNotes) }
        let n = Double(max(perTune.count, 1))
        let novelty = NoveltySummary(
            trainingTunes: index.count, noteGram: NoveltyIndex.noteGram, charGram: NoveltyIndex.charGram,
            meanLongestSharedNotes: Double(perTune.reduce(0) { $0 + $1.longestSharedNotes }) / n,
            maxLongestSharedNotes: perTune.map(\.longestSharedNotes).max() ?? 0,
            meanLongestSharedChars: Double(perTune.reduce(0) { $0 + $1.longestSharedChars }) / n,
            maxLongestSharedChars: perTune.map(\.longestSharedChars).max() ?? 0,
            barsInTraining: Share(perTune.reduce(0) { $0 + $1.barsInTraining }, of: perTune.reduce(0) { $0 + $1.fullBars }),
            meanSimilarity: perTune.reduce(0) { $0 + $1.similarity } / n,
            copyThreshold: settings.copyThreshold, likelyCopies: copies, perTune: perTune)
        return EvaluationReport(settings: settings, unreadable: tunes.unreadable + reference.unreadable + training.unreadable,
                                tunes: a, reference: b, comparison: comparison, mgeval: mgeval, novelty: novelty,
                                perTune: tunes.features.map(TuneSummary.init))
    }

    /// Reads and measures the tunes of `paths` (files or folders of .abc files). A path or file
    /// that cannot be read is recorded, not fatal; no tunes at all is an error.
    static func read(_ paths: [String], role: String) throws -> TuneSet {
        var set = TuneSet()
        var files: [String] = []
        for path in paths {
            do { files += try ABCInput.abcFiles([path]) } catch let e as TunegenError { set.unreadable.append(e.description) }
        }
        var parsed: [ABCFile] = []
        for file in files {
            do { parsed.append(try ABCInput.parse(file)) } catch let e as TunegenError { set.unreadable.append(e.description) }
        }
        set.files = parsed.count
        let tunes = parsed.flatMap(\.tunes)
        guard !tunes.isEmpty else {
            let why = set.unreadable.isEmpty ? "" : " (\(set.unreadable.joined(separator: "; ")))"
            throw TunegenError("\(role): no tunes in \(paths.joined(separator: " "))\(why)",
                               exitStatus: 2)
        }
        set.features = parallelMap(tunes) { TuneFeatures($0) }
        return set
    }

    /// Reads one set from ABC text (tests and benchmarks).
    static func set(text: String, fileName: String) -> TuneSet {
        let file = ABCParser.parse(text, fileName: fileName)
        return TuneSet(features: parallelMap(file.tunes) { TuneFeatures($0) }, files: 1, unreadable: [])
    }
}

/// `transform` over `items` on every core, results in order.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
    let slots = ParallelSlots<R>(items.count)
    let chunks = max(1, min(items.count, ProcessInfo.processInfo.activeProcessorCount * 4))
    slots.values.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let out = buffer
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c * items.count / chunks
            let end = (c + 1) * items.count / chunks
            while i < end { out[i] = transform(items[i]); i += 1 }
        }
    }
    return slots.values.map { $0! }
}

/// Result slots written by disjoint indices from several threads (see parallelMap).
final class ParallelSlots<R>: @unchecked Sendable {
    var values: [R?]
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}

/// With TUNEGEN_EVALUATE_PHASES set, each phase's wall time goes to standard error (for
/// Scripts/bench-evaluate.sh).
enum Phases {
    nonisolated(unsafe) static var last = Date()
    static let enabled = ProcessInfo.processInfo.environment["TUNEGEN_EVALUATE_PHASES"] != nil

    static func mark(_ name: String) {
        guard enabled else { return }
        let now = Date()
        Output.stderrIfPossible(String(format: "phase %@: %.2f s\n", name, now.timeIntervalSince(last)))
        last = now
    }
}
