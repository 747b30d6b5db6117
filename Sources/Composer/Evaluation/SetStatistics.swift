// SetStatistics: one set of tunes summed up (validity, form, closure, melody, keys and meters),
// and the comparison of two sets' histograms on one shared grid: overlap (histogram
// intersection) and Kullback–Leibler divergence with additive smoothing.
import Foundation

/// `count` of `of`, and the share (0 when `of` is 0).
public struct Share: Sendable, Codable, Equatable {
    public var count: Int
    public var of: Int
    public var value: Double

    public init(_ count: Int, of: Int) {
        self.count = count
        self.of = of
        value = of == 0 ? 0 : Double(count) / Double(of)
    }
}

/// A histogram on named bins: the counts and the normalised distribution.
public struct Histogram: Sendable, Codable, Equatable {
    public var bins: [String]
    public var counts: [Int]
    public var distribution: [Double]

    public init(bins: [String], counts: [Int]) {
        self.bins = bins
        self.counts = counts
        let total = counts.reduce(0, +)
        distribution = counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    }

    /// Counts keyed by label, on the sorted labels (most frequent first).
    init(labels: [String: Int]) {
        let sorted = labels.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        self.init(bins: sorted.map(\.key), counts: sorted.map(\.value))
    }

    /// This histogram's counts on `grid` (bins it lacks count 0).
    func counts(on grid: [String]) -> [Int] {
        var byBin: [String: Int] = [:]
        for (b, c) in zip(bins, counts) { byBin[b] = c }
        return grid.map { byBin[$0] ?? 0 }
    }
}

/// Two sets' histograms on one grid.
public struct HistogramComparison: Sendable, Codable, Equatable {
    public var bins: [String]
    public var tunes: [Double]
    public var reference: [Double]
    /// Σ min(p, q) over the bins of the two normalised histograms: 1 identical, 0 disjoint.
    public var overlap: Double
    /// KL(TUNES ‖ reference) in bits, after adding `smoothing` to every bin's count of both sets.
    public var klDivergence: Double
    public var smoothing: Double

    /// Pseudo-count added to every bin before KL (Laplace smoothing): a bin empty in the
    /// reference but used by TUNES costs a large but finite amount.
    public static let pseudoCount = 1.0

    public init(_ a: Histogram, _ b: Histogram) {
        // The grid: the reference's bins, then any only TUNES uses (fixed grids are equal already).
        var grid = b.bins
        for bin in a.bins where !grid.contains(bin) { grid.append(bin) }
        // Numbered bins (bars per part) in numeric order, "fractional" last.
        if grid.allSatisfy({ Int($0) != nil || $0 == "fractional" }) {
            grid.sort { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
        }
        let ca = a.counts(on: grid), cb = b.counts(on: grid)
        let ta = Double(ca.reduce(0, +)), tb = Double(cb.reduce(0, +))
        bins = grid
        tunes = ca.map { ta == 0 ? 0 : Double($0) / ta }
        reference = cb.map { tb == 0 ? 0 : Double($0) / tb }
        overlap = zip(tunes, reference).reduce(0) { $0 + min($1.0, $1.1) }
        smoothing = HistogramComparison.pseudoCount
        let n = Double(grid.count), s = smoothing
        var kl = 0.0
        for (x, y) in zip(ca, cb) {
            let p = (Double(x) + s) / (ta + s * n), q = (Double(y) + s) / (tb + s * n)
            kl += p * log2(p / q)
        }
        klDivergence = max(kl, 0)
    }
}

/// One set of tunes, summed up.
public struct SetSummary: Sendable, Codable {
    public var files: Int
    public var unreadableFiles: Int
    public var tunes: Int
    /// Tunes with error diagnostics: counted here and in the tiers, left out of every music measure.
    public var withErrors: Int
    /// Tunes whose music is measured (no errors, at least one note).
    public var measured: Int
    /// passingTier[n-1]: tunes passing tiers 1...n.
    public var passingTier: [Share]
    public var strictBars: Share

    // Form
    public var parts: Int
    public var meanPartsPerTune: Double
    /// Parts by length in bars ("8", "16", "fractional", ...).
    public var barsPerPart: Histogram
    public var eightBarParts: Share
    public var fractionalParts: Share
    public var tunesWithFractionalPart: Share
    public var aabbEightBar: Share

    // Closure and coherence
    public var endsOnTonic: Share
    public var partEndsOnChordTone: Share
    /// Mean over tunes of the share of full bars that recur in the same tune; and pooled.
    public var recurringBarsMean: Double
    public var recurringBarsPooled: Share
    public var openingBarReturns: Share

    // Melody
    public var meanPitchRange: Double
    public var meanDistinctPitches: Double
    public var notesInScale: Share
    public var pitchClasses: Histogram
    public var intervals: Histogram
    public var noteLengths: Histogram
    public var keys: Histogram
    public var meters: Histogram

    init(_ set: [TuneFeatures], files: Int, unreadableFiles: Int) {
        self.files = files
        self.unreadableFiles = unreadableFiles
        tunes = set.count
        withErrors = set.filter(\.hasErrors).count
        let m = set.filter(\.isMeasured)
        measured = m.count
        passingTier = (1...4).map { t in Share(set.filter { $0.tier >= t }.count, of: set.count) }
        strictBars = Share(set.filter(\.strictValid).count, of: set.count)

        let formed = m.filter { !$0.parts.isEmpty }
        let allParts = formed.flatMap(\.parts)
        parts = allParts.count
        meanPartsPerTune = formed.isEmpty ? 0 : Double(allParts.count) / Double(formed.count)
        var lengths: [String: Int] = [:]
        for p in allParts { lengths[p.fractional ? "fractional" : String(Int(p.bars)), default: 0] += 1 }
        let order = lengths.keys.sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
        barsPerPart = Histogram(bins: order, counts: order.map { lengths[$0]! })
        eightBarParts = Share(allParts.filter { !$0.fractional && $0.bars == 8 }.count, of: allParts.count)
        fractionalParts = Share(allParts.filter(\.fractional).count, of: allParts.count)
        tunesWithFractionalPart = Share(formed.filter(\.hasFractionalPart).count, of: formed.count)
        aabbEightBar = Share(formed.filter(\.isAABB).count, of: formed.count)

        let tonicKnown = m.compactMap(\.endsOnTonic)
        endsOnTonic = Share(tonicKnown.filter { $0 }.count, of: tonicKnown.count)
        let chordTones = allParts.compactMap(\.endsOnChordTone)
        partEndsOnChordTone = Share(chordTones.filter { $0 }.count, of: chordTones.count)
        let withBars = m.filter { $0.fullBars > 0 }
        recurringBarsMean = withBars.isEmpty ? 0
            : withBars.reduce(0) { $0 + Double($1.recurringBars) / Double($1.fullBars) } / Double(withBars.count)
        recurringBarsPooled = Share(withBars.reduce(0) { $0 + $1.recurringBars }, of: withBars.reduce(0) { $0 + $1.fullBars })
        let opening = m.compactMap(\.openingBarReturns)
        openingBarReturns = Share(opening.filter { $0 }.count, of: opening.count)

        meanPitchRange = m.isEmpty ? 0 : Double(m.reduce(0) { $0 + $1.pitchRange }) / Double(m.count)
        meanDistinctPitches = m.isEmpty ? 0 : Double(m.reduce(0) { $0 + $1.distinctPitches }) / Double(m.count)
        let scaled = m.filter(\.scaleKnown)
        notesInScale = Share(scaled.reduce(0) { $0 + $1.notesInScale }, of: scaled.reduce(0) { $0 + $1.noteCount })
        func sum(_ path: KeyPath<TuneFeatures, [Int]>, _ n: Int) -> [Int] {
            var total = [Int](repeating: 0, count: n)
            for t in m { for (k, c) in t[keyPath: path].enumerated() { total[k] += c } }
            return total
        }
        pitchClasses = Histogram(bins: TuneFeatures.pitchClassLabels, counts: sum(\.pitchClassCounts, 12))
        intervals = Histogram(bins: TuneFeatures.intervalLabels, counts: sum(\.intervalCounts, TuneFeatures.intervalRange.count))
        noteLengths = Histogram(bins: TuneFeatures.lengthLabels, counts: sum(\.lengthCounts, TuneFeatures.lengthBins.count + 1))
        var keyCounts: [String: Int] = [:], meterCounts: [String: Int] = [:]
        for t in set where !t.hasErrors {
            keyCounts[t.keyLabel, default: 0] += 1
            meterCounts[t.meterLabel, default: 0] += 1
        }
        keys = Histogram(labels: keyCounts)
        meters = Histogram(labels: meterCounts)
    }
}
