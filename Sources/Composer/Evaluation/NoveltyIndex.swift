// NoveltyIndex: is a tune copied from the training set? An n-gram index over the training tunes'
// note tokens and music characters finds, for each tune, the longest run it shares with any
// training tune (seed and extend, each maximal run extended once), the training tunes sharing
// the most n-grams (candidates), and among those the nearest by normalised edit distance. No
// pairs of whole sets are compared: the cost is the n-gram hits, not tunes × training tunes.
import Foundation

/// A sorted flat index of k-grams: (hash, tune, position), looked up by binary search.
struct GramIndex {
    let k: Int
    /// Every sequence, end to end (one flat array: reading it retains nothing per access).
    private let tokens: [Int64]
    /// Sequence t is tokens[starts[t] ..< starts[t + 1]].
    private let starts: [Int]
    private var hashes: [UInt64] = []
    private var refs: [UInt64] = []   // tune << 32 | position
    /// A gram occurring more often than this is skipped as a seed (runs through it are still
    /// found from a rarer gram inside them, as extension goes both ways).
    static let maxOccurrences = 2_000

    init(sequences: [[Int64]], k: Int) {
        self.k = k
        var flat: [Int64] = []
        var starts = [0]
        for s in sequences { flat += s; starts.append(flat.count) }
        tokens = flat
        self.starts = starts
        var pairs: [(UInt64, UInt64)] = []
        pairs.reserveCapacity(sequences.reduce(0) { $0 + max($1.count - k + 1, 0) })
        for (t, s) in sequences.enumerated() where s.count >= k {
            for p in 0...(s.count - k) { pairs.append((GramIndex.hash(s, p, k), UInt64(t) << 32 | UInt64(p))) }
        }
        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        hashes = pairs.map(\.0)
        refs = pairs.map(\.1)
    }

    static func hash(_ s: [Int64], _ start: Int, _ k: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<(start + k) {
            h = (h ^ UInt64(bitPattern: s[i])) &* 0x0000_0100_0000_01B3
            h ^= h >> 29
        }
        return h
    }

    /// Sequence `t`.
    func sequence(_ t: Int) -> ArraySlice<Int64> { tokens[starts[t]..<starts[t + 1]] }

    /// Index range of entries with hash `h`.
    func occurrences(_ h: UInt64) -> Range<Int> {
        var lo = 0, hi = hashes.count
        while lo < hi { let mid = (lo + hi) / 2; if hashes[mid] < h { lo = mid + 1 } else { hi = mid } }
        var end = lo
        while end < hashes.count && hashes[end] == h { end += 1 }
        return lo..<end
    }

    struct Match {
        /// Longest run shared with one training tune (0 when shorter than k).
        var longest = 0
        var longestTune: Int?
        /// Training tunes by number of shared grams.
        var gramHits: [Int: Int] = [:]
    }

    /// Seeds at every gram of `query`, extends each maximal run once, counts hits per training tune.
    func match(_ query: [Int64], countHits: Bool) -> Match {
        var result = Match()
        guard query.count >= k else { return result }
        var previousSeeded = false
        return tokens.withUnsafeBufferPointer { all in
        for i in 0...(query.count - k) {
            let range = occurrences(GramIndex.hash(query, i, k))
            let seeded = !range.isEmpty && range.count <= GramIndex.maxOccurrences
            defer { previousSeeded = seeded }
            guard seeded else { continue }
            for e in range {
                let t = Int(refs[e] >> 32), j = Int(refs[e] & 0xFFFF_FFFF)
                let s = UnsafeBufferPointer(rebasing: all[starts[t]..<starts[t + 1]])
                // Verify the k tokens (hashes can collide).
                guard j + k <= s.count else { continue }
                var f = 0
                while f < k && query[i + f] == s[j + f] { f += 1 }
                guard f == k else { continue }
                if countHits { result.gramHits[t, default: 0] += 1 }
                // The same run was already extended from the gram before, if that one seeded:
                // each maximal run is extended once, so the cost is hits · k, not hits · run length.
                if previousSeeded && i > 0 && j > 0 && query[i - 1] == s[j - 1] { continue }
                while i + f < query.count && j + f < s.count && query[i + f] == s[j + f] { f += 1 }
                var b = 0
                while i - b > 0 && j - b > 0 && query[i - b - 1] == s[j - b - 1] { b += 1 }
                if b + f > result.longest { result.longest = b + f; result.longestTune = t }
            }
        }
        return result
        }
    }
}

/// Levenshtein distance between two token sequences, two rows. O(n·m) time, O(m) memory.
func editDistance<A: Collection<Int64>, B: Collection<Int64>>(_ a: A, _ b: B) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            for i in 1...a.count {
                previous.withUnsafeMutableBufferPointer { prev in
                    current.withUnsafeMutableBufferPointer { cur in
                        cur[0] = i
                        let ai = a[i - 1]
                        for j in 1...b.count {
                            let substitute = prev[j - 1] + (ai == b[j - 1] ? 0 : 1)
                            cur[j] = min(substitute, min(prev[j], cur[j - 1]) + 1)
                        }
                    }
                }
                swap(&previous, &current)
            }
        }
    }
    return previous[b.count]
}

/// What the novelty search says about one tune.
public struct TuneNovelty: Sendable, Codable {
    public var tune: TuneOrigin
    /// Longest run of notes (note tokens: top pitch and exact length, written order) shared with
    /// one training tune; 0 when no run of `noteGram` notes is shared.
    public var longestSharedNotes: Int
    public var longestSharedNotesWith: TuneOrigin?
    /// Longest run of music characters (spaces and line breaks removed) shared with one training
    /// tune; 0 when no run of `charGram` characters is.
    public var longestSharedChars: Int
    public var longestSharedCharsWith: TuneOrigin?
    /// Full bars, and how many of them occur verbatim (same pitches and lengths) in the training set.
    public var fullBars: Int
    public var barsInTraining: Int
    /// Nearest training tune by edit distance on note tokens over the longer length (0 equal, 1
    /// nothing in common), among the candidates sharing the most n-grams; nil when none shares one.
    public var nearest: TuneOrigin?
    public var nearestDistance: Double?
    /// 1 − nearestDistance (0 when there is no candidate).
    public var similarity: Double { nearestDistance.map { 1 - $0 } ?? 0 }
}

/// The training tunes, indexed once.
public struct NoveltyIndex: Sendable {
    /// n for the note n-grams and character n-grams.
    public static let noteGram = 6
    public static let charGram = 12
    /// Candidates (by shared note n-grams) whose edit distance is computed.
    public static let candidates = 4

    let origins: [TuneOrigin]
    let notes: GramIndex
    let chars: GramIndex
    let bars: Set<Int>

    /// Indexes `training` (tunes with errors are left out). O(total tokens · log).
    public init(training: [TuneFeatures]) {
        let kept = training.filter { !$0.hasErrors }
        origins = kept.map(\.origin)
        notes = GramIndex(sequences: kept.map(\.noteTokens), k: NoveltyIndex.noteGram)
        chars = GramIndex(sequences: kept.map(\.musicChars), k: NoveltyIndex.charGram)
        bars = Set(kept.flatMap(\.fullBarKeys))
    }

    public var count: Int { origins.count }

    /// The novelty of one tune. Cost: its n-gram hits plus `candidates` edit distances.
    public func novelty(of tune: TuneFeatures) -> TuneNovelty {
        let noteMatch = notes.match(tune.noteTokens, countHits: true)
        let charMatch = chars.match(tune.musicChars, countHits: false)
        let ranked = noteMatch.gramHits.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        var nearest: Int?
        var best = Double.infinity
        for (t, _) in ranked.prefix(NoveltyIndex.candidates) {
            let other = notes.sequence(t)
            let longer = Double(max(tune.noteTokens.count, other.count, 1))
            // The distance is at least the difference in length: skip a candidate that cannot win.
            if Double(abs(tune.noteTokens.count - other.count)) / longer > best { continue }
            let d = Double(editDistance(tune.noteTokens, other)) / longer
            if d < best || (d == best && t < (nearest ?? .max)) { best = d; nearest = t }
        }
        return TuneNovelty(tune: tune.origin, longestSharedNotes: noteMatch.longest,
                           longestSharedNotesWith: noteMatch.longestTune.map { origins[$0] },
                           longestSharedChars: charMatch.longest, longestSharedCharsWith: charMatch.longestTune.map { origins[$0] },
                           fullBars: tune.fullBarKeys.count, barsInTraining: tune.fullBarKeys.filter { bars.contains($0) }.count,
                           nearest: nearest.map { origins[$0] }, nearestDistance: nearest.map { _ in best })
    }
}
