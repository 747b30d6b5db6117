// MGEval: the comparison of Yang and Lerch (2020), "On the evaluation of generative models in
// music". For each per-tune feature: distances between tunes of one set (intra-set) and between
// a tune of TUNES and a tune of the reference (inter-set), each smoothed into a density by a
// Gaussian kernel (Scott's bandwidth, as scipy's gaussian_kde), then the overlap area of the
// intra-set and inter-set densities and KL(intra ‖ inter). A set that varies the way the
// reference does, and sits where it sits, has intra and inter distributions that overlap.
import CharModel
import Foundation

/// One feature's result.
public struct MGEvalFeature: Sendable, Codable {
    public var feature: String
    /// Mean intra-set distance in TUNES and in the reference, and mean inter-set distance.
    public var meanIntraTunes: Double
    public var meanIntraReference: Double
    public var meanInter: Double
    /// Overlap area (0...1) of intra-TUNES with inter, and of intra-reference with inter.
    public var overlapTunes: Double
    public var overlapReference: Double
    /// KL(intra-TUNES ‖ inter) and KL(intra-reference ‖ inter), in bits.
    public var klTunes: Double
    public var klReference: Double
}

enum MGEval {
    /// The per-tune features compared: scalars, or vectors (distance: Euclidean).
    static let features: [(name: String, value: @Sendable (TuneFeatures) -> [Double])] = [
        ("pitch range", { [Double($0.pitchRange)] }),
        ("distinct pitches", { [Double($0.distinctPitches)] }),
        ("mean |interval|", { [$0.meanAbsInterval] }),
        ("notes", { [Double($0.noteCount)] }),
        ("pitch-class histogram", { normalised($0.pitchClassCounts) }),
        ("interval histogram", { normalised($0.intervalCounts) }),
        ("note-length histogram", { normalised($0.lengthCounts) }),
    ]

    static func normalised(_ counts: [Int]) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.map { total == 0 ? 0 : Double($0) / total }
    }

    /// Compares `a` (TUNES) with `b` (reference) on every feature. At most `pairs` random pairs
    /// per distance set (all pairs when fewer), drawn from `seed`.
    static func compare(_ a: [TuneFeatures], _ b: [TuneFeatures], pairs: Int, seed: UInt64) -> [MGEvalFeature] {
        guard a.count >= 2, b.count >= 2 else { return [] }
        var rng = SeededGenerator(seed: seed)
        return features.map { feature in
            let fa = a.map(feature.value), fb = b.map(feature.value)
            let intraA = distances(fa, fa, same: true, pairs: pairs, rng: &rng)
            let intraB = distances(fb, fb, same: true, pairs: pairs, rng: &rng)
            let inter = distances(fa, fb, same: false, pairs: pairs, rng: &rng)
            return MGEvalFeature(feature: feature.name, meanIntraTunes: mean(intraA), meanIntraReference: mean(intraB),
                                 meanInter: mean(inter), overlapTunes: overlap(intraA, inter), overlapReference: overlap(intraB, inter),
                                 klTunes: kl(intraA, inter), klReference: kl(intraB, inter))
        }
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    static func distance(_ x: [Double], _ y: [Double]) -> Double {
        var s = 0.0
        for (p, q) in zip(x, y) { s += (p - q) * (p - q) }
        return s.squareRoot()
    }

    /// Distances between pairs (i from x, j from y, i ≠ j when `same`): all when there are at
    /// most `pairs`, else `pairs` drawn at random.
    static func distances(_ x: [[Double]], _ y: [[Double]], same: Bool, pairs: Int, rng: inout SeededGenerator) -> [Double] {
        let all = same ? x.count * (x.count - 1) / 2 : x.count * y.count
        var out: [Double] = []
        if all <= pairs {
            out.reserveCapacity(all)
            for i in x.indices { for j in (same ? i + 1 : 0)..<y.count { out.append(distance(x[i], y[j])) } }
            return out
        }
        out.reserveCapacity(pairs)
        while out.count < pairs {
            let i = Int(rng.next() % UInt64(x.count)), j = Int(rng.next() % UInt64(y.count))
            if same && i == j { continue }
            out.append(distance(x[i], y[j]))
        }
        return out
    }

    /// Gaussian kernel density of `x` on `grid`, Scott's bandwidth (n^(-1/5) σ), floored so that
    /// a set of equal distances still has a density.
    static func density(_ x: [Double], on grid: [Double], span: Double) -> [Double] {
        let n = Double(x.count)
        let m = mean(x)
        let sd = (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / max(n - 1, 1)).squareRoot()
        let h = max(sd * pow(n, -0.2), span * 1e-3, 1e-9)
        // Binned first: the kernel sum runs over grid bins, not over every distance.
        let step = grid.count > 1 ? grid[1] - grid[0] : 1
        var bins = [Double](repeating: 0, count: grid.count)
        for v in x { bins[min(max(Int(((v - grid[0]) / step).rounded()), 0), grid.count - 1)] += 1 }
        var out = [Double](repeating: 0, count: grid.count)
        let norm = 1 / (n * h * (2 * Double.pi).squareRoot())
        let reach = Int((5 * h / step).rounded(.up))
        for (b, c) in bins.enumerated() where c > 0 {
            for g in max(0, b - reach)...min(grid.count - 1, b + reach) {
                let z = (grid[g] - grid[b]) / h
                out[g] += c * exp(-0.5 * z * z)
            }
        }
        return out.map { $0 * norm }
    }

    static let gridPoints = 512

    /// The grid both densities are evaluated on: the two sets' range, widened by a margin.
    static func grid(_ a: [Double], _ b: [Double]) -> (points: [Double], step: Double, span: Double) {
        let lo = min(a.min() ?? 0, b.min() ?? 0), hi = max(a.max() ?? 1, b.max() ?? 1)
        let span = max(hi - lo, 1e-6)
        let start = lo - 0.1 * span, step = 1.2 * span / Double(gridPoints - 1)
        return ((0..<gridPoints).map { start + Double($0) * step }, step, span)
    }

    /// Overlap area ∫ min(f, g) of the two densities (0...1).
    static func overlap(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let (points, step, span) = grid(a, b)
        let f = density(a, on: points, span: span), g = density(b, on: points, span: span)
        return min(1, zip(f, g).reduce(0) { $0 + min($1.0, $1.1) } * step)
    }

    /// KL(f ‖ g) in bits on the grid, densities floored at 1e-10 where g vanishes.
    static func kl(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let (points, step, span) = grid(a, b)
        let f = density(a, on: points, span: span), g = density(b, on: points, span: span)
        var s = 0.0
        for (p, q) in zip(f, g) where p > 1e-12 { s += p * log2(p / max(q, 1e-10)) * step }
        return max(s, 0)
    }
}
