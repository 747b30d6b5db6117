// MatchModel: the copy half of a cache language model (Kuhn & De Mori 1990; the "match model"
// of context-mixing compressors). A plain LSTM does not copy from its own context: it pays as
// much for a line written a second time as the first. The match model looks for the longest
// suffix of the text so far that occurred before (in the last `window` tokens, the most recent
// occurrence on a tie) and predicts the token that followed it. The next-token distribution is
// the mixture (1 − w)·p_lstm + w·[predicted], with one weight w per bucket of matches, fitted by
// EM on held-out text (`fit`): longer matches earn more trust where the data says so. A match
// whose earlier occurrence ends within its own length of the end (the text ends in a block said
// twice, "X X") is periodic: it predicts a third time, which real text does far less often than a
// second, so periodic matches have buckets of their own (without them, a sample that repeats a
// stretch once tends to loop on it).
// Token ids only: this file knows nothing of what the tokens mean.
import Foundation

/// Mixing weights of the match model, one per bucket of matches (see `bucket(_:)`: the length, and
/// whether the match is periodic).
public struct MatchModel: Sendable, Hashable, Codable {
    /// Matches are measured up to this many tokens; longer ones count as this long.
    public static let maxLength = 32
    /// Only matches ending in the last `window` tokens are considered (bounds the work per token).
    public static let window = 2048
    /// Upper bounds (inclusive) of the length buckets: 1–2, 3–4, 5–7, 8–11, 12–15, 16–23, 24–31, 32.
    public static let bucketUpperBounds = [2, 4, 7, 11, 15, 23, 31, 32]
    /// Buckets: the length buckets of matches that are not periodic, then those of periodic ones.
    public static let bucketCount = 2 * bucketUpperBounds.count
    /// All weights 0: the LSTM alone.
    public static let none = MatchModel(weights: Array(repeating: 0, count: bucketCount))

    /// Weight of the match prediction in each bucket, each in [0, `maxWeight`].
    public var weights: [Float]
    public static let maxWeight: Float = 0.99

    public init(weights: [Float]) {
        precondition(weights.count == Self.bucketCount && weights.allSatisfy { $0 >= 0 && $0 <= Self.maxWeight })
        self.weights = weights
    }

    /// Reads weights from untrusted text (a checkpoint's metadata): a JSON array of
    /// `bucketCount` numbers in [0, maxWeight]; nil otherwise.
    public init?(json text: String) {
        guard text.utf8.count < 1000, let data = text.data(using: .utf8),
              let values = try? JSONDecoder().decode([Double].self, from: data),
              values.count == Self.bucketCount,
              values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= Double(Self.maxWeight) }) else { return nil }
        weights = values.map(Float.init)
    }

    /// The weights as a JSON array (6 decimals: what `init(json:)` reads back).
    public var json: String { "[" + weights.map { String(format: "%.6f", $0) }.joined(separator: ",") + "]" }

    /// The length bucket of a match of `length` ≥ 1 tokens.
    public static func bucket(length: Int) -> Int {
        Self.bucketUpperBounds.firstIndex { length <= $0 } ?? Self.bucketUpperBounds.count - 1
    }

    /// The bucket of `match`: its length bucket, among the periodic ones if it is periodic.
    public static func bucket(_ match: MatchTracker.Match) -> Int {
        bucket(length: match.length) + (match.isPeriodic ? bucketUpperBounds.count : 0)
    }

    /// The weight the match prediction gets for `match`, 0 without one.
    public func weight(_ match: MatchTracker.Match?) -> Float {
        guard let match else { return 0 }
        return weights[Self.bucket(match)]
    }

    /// Mixes `probabilities` (a distribution over the V tokens, at temperature 1) with the match
    /// prediction in place.
    public func mix(_ probabilities: inout [Float], match: MatchTracker.Match?) {
        guard let match else { return }
        let w = weights[Self.bucket(match)]
        guard w > 0 else { return }
        for j in probabilities.indices { probabilities[j] *= 1 - w }
        probabilities[Int(match.next)] += w
    }
}

/// The longest earlier match of a growing token sequence, updated in O(window) per token.
/// `lengths[j]` is how many tokens end at both j and the last position (capped at
/// `MatchModel.maxLength`), for the j within the window; the match is the most recent j with
/// the greatest length, and predicts the token after j.
public struct MatchTracker: Sendable {
    public struct Match: Sendable, Hashable {
        /// Tokens matched, 1...`MatchModel.maxLength`.
        public var length: Int
        /// The token that followed the earlier occurrence.
        public var next: Int32
        /// How many positions before the last token the earlier occurrence ends (≥ 1).
        public var distance: Int
        /// The two occurrences touch or overlap: the text ends in a stretch said twice running.
        public var isPeriodic: Bool { distance <= length }

        public init(length: Int, next: Int32, distance: Int) {
            (self.length, self.next, self.distance) = (length, next, distance)
        }
    }

    public private(set) var tokens: [Int32] = []
    private var lengths: [Int32] = []
    /// The match after the last appended token, nil when no earlier token equals it.
    public private(set) var match: Match?
    /// Matches must end within this many tokens of the last one.
    public let window: Int

    public init(window: Int = MatchModel.window) {
        precondition(window >= 1)
        self.window = window
    }

    public mutating func append(_ token: Int32) {
        let t = tokens.count  // the new token's position; lengths[t − 1] is unused until now
        let low = max(0, t - window)
        let cap = Int32(MatchModel.maxLength)
        lengths.append(0)
        var best: Int32 = 0, bestAt = -1
        tokens.withUnsafeBufferPointer { x in
            lengths.withUnsafeMutableBufferPointer { m in
                // Descending, so m[j − 1] still holds the match of (j − 1, t − 1) when m[j] becomes (j, t).
                var j = t - 1
                while j >= low {
                    let l: Int32 = x[j] != token ? 0 : j > 0 ? min(cap, m[j - 1] + 1) : 1
                    m[j] = l
                    if l > best { (best, bestAt) = (l, j) }
                    j -= 1
                }
            }
        }
        tokens.append(token)
        match = bestAt >= 0 ? Match(length: Int(best), next: tokens[bestAt + 1], distance: t - bestAt) : nil
    }
}

extension MatchModel {
    /// One scored position: the LSTM's probability of the token that came, and the match before it.
    public struct Observation: Sendable {
        public var lstmProbability: Double
        public var match: Match?
        public typealias Match = MatchTracker.Match
        public var actual: Int32
    }

    /// The observations of `tunes` under `model`: every token after a tune's first, predicted from
    /// the tune's earlier tokens from a zero state (the LSTM's probability via
    /// `targetProbabilities`).
    public static func observations(model: CharLSTM, tunes: [[Int32]]) -> [Observation] {
        let probabilities = targetProbabilities(model: model, tunes: tunes)
        var out: [Observation] = []
        for (tune, p) in zip(tunes, probabilities) where tune.count >= 2 {
            var tracker = MatchTracker()
            for k in 0 ..< tune.count - 1 {
                tracker.append(tune[k])
                out.append(Observation(lstmProbability: p[k], match: tracker.match, actual: tune[k + 1]))
            }
        }
        return out
    }

    /// Bits the mixture pays for the token of `observation`.
    public func bits(_ observation: Observation) -> Double {
        let w = Double(weight(observation.match))
        let hit = observation.match?.next == observation.actual ? 1.0 : 0.0
        return -log2((1 - w) * observation.lstmProbability + w * hit)
    }

    /// Bits per character of the mixture on `observations` (NaN when there are none).
    public func bitsPerCharacter(_ observations: [Observation]) -> Double {
        observations.isEmpty ? .nan : observations.reduce(0) { $0 + bits($1) } / Double(observations.count)
    }

    /// The weights that maximise the likelihood of `observations` (EM on each bucket's mixing
    /// weight, from 0.5, `iterations` rounds; a bucket with no observations gets 0). Each round
    /// sets w to the mean, over the bucket's observations, of the posterior that the match
    /// produced the token: w / (w + (1 − w)·p_lstm) when the match was right, 0 when wrong.
    public static func fit(_ observations: [Observation], iterations: Int = 60) -> MatchModel {
        let n = bucketCount
        var w = [Double](repeating: 0.5, count: n)
        for _ in 0 ..< iterations {
            var responsibility = [Double](repeating: 0, count: n), count = [Double](repeating: 0, count: n)
            for o in observations {
                guard let m = o.match else { continue }
                let b = bucket(m)
                count[b] += 1
                guard m.next == o.actual else { continue }
                let p = o.lstmProbability
                responsibility[b] += w[b] / (w[b] + (1 - w[b]) * p)
            }
            for b in 0 ..< n {
                let r = count[b] > 0 ? responsibility[b] / count[b] : 0
                w[b] = r.isFinite ? min(Double(maxWeight), r) : 0  // a NaN probability (a broken model) trusts nothing
            }
        }
        return MatchModel(weights: w.map(Float.init))
    }

    /// For each tune, the LSTM's probability of each token after the first, read from a zero
    /// state ([count − 1] per tune; empty below 2 tokens), as `Trainer.bitsPerCharacter(model:tunes:)`
    /// reads them (`Trainer.forEachTuneWindow`).
    public static func targetProbabilities(model: CharLSTM, tunes: [[Int32]], streams: Int = 8, steps: Int = 100) -> [[Double]] {
        let v = model.shape.vocabularySize
        var out = tunes.map { [Double](repeating: 0, count: max(0, $0.count - 1)) }
        Trainer.forEachTuneWindow(model: model, tunes: tunes, streams: streams, steps: steps) { group, start, cache, _ in
            let (b, t) = (cache.batch, cache.steps)
            let z = UnsafePointer(cache.logits.p)  // time-major [T·B, V]
            for (s, i) in group.enumerated() {
                for k in 0 ..< t where start + k + 1 < tunes[i].count {
                    let row = z + (k * b + s) * v
                    var top = row[0]
                    for j in 1 ..< v { top = max(top, row[j]) }
                    var sum = 0.0
                    for j in 0 ..< v { sum += Foundation.exp(Double(row[j] - top)) }
                    out[i][start + k] = Foundation.exp(Double(row[Int(tunes[i][start + k + 1])] - top)) / sum
                }
            }
        }
        return out
    }
}
