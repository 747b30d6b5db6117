// TuneConstraint: the notation's incremental reader as a sampling constraint. One TuneReader per
// stream; before each draw it hands the sampler the mask of characters the reader allows next,
// cached by the reader's state (the body's states repeat: the same place in a bar, part and
// form allows the same characters), so most draws cost one dictionary lookup.
import ABCNotation
import CharModel

/// Masks each stream's next character with its TuneReader.
public final class TuneConstraint: SamplingConstraint {
    public private(set) var readers: [TuneReader]
    let symbols: [Unicode.Scalar]
    let cache: MaskCache

    /// Masks computed once per reader state, shared by every batch of one composer.
    public final class MaskCache {
        var masks: [TuneReader.CacheKey: [Bool]] = [:]
        public private(set) var hits = 0, misses = 0
        /// CPU time spent computing masks (misses, and free header lines, which are not cached), for `bench steer`.
        public private(set) var computeNanoseconds: UInt64 = 0
        public init() {}
        /// Past this many states the cache starts again (a bound on memory, never reached by tunes of normal length).
        static let limit = 500_000

        func mask(_ reader: TuneReader, symbols: [Unicode.Scalar]) -> [Bool] {
            guard let bare = reader.cacheKey else { return timed { reader.allowedMask(symbols) } }
            let key = TuneReader.CacheKey(bare, form: reader.form)
            if let m = masks[key] { hits += 1; return m }
            misses += 1
            if masks.count >= MaskCache.limit { masks.removeAll(keepingCapacity: true) }
            let m = timed { reader.allowedMask(symbols) }
            masks[key] = m
            return m
        }

        private func timed(_ work: () -> [Bool]) -> [Bool] {
            let start = Benchmarks.cpuNanoseconds()
            defer { computeNanoseconds += Benchmarks.cpuNanoseconds() - start }
            return work()
        }
    }

    /// `streams` readers of `form`, each having read `prime`. Throws when the prime itself
    /// cannot start a tune the reader can complete.
    public init(form: TuneForm, prime: String, streams: Int, symbols: [Unicode.Scalar], cache: MaskCache = MaskCache()) throws {
        var reader = TuneReader(form: form)
        if let bad = reader.read(prime) {
            let offset = prime.unicodeScalars.distance(from: prime.unicodeScalars.startIndex, to: bad)
            throw TunegenError("--prime cannot start a well-formed tune: \(String(prime.unicodeScalars[bad]).debugDescription) at character \(offset + 1) is not allowed there (the header is X:, T:, Z:, M:, L:, K: lines, each once); use --no-steer for raw sampling")
        }
        readers = Array(repeating: reader, count: streams)
        self.symbols = symbols
        self.cache = cache
    }

    public func allowed(stream: Int) -> [Bool]? { cache.mask(readers[stream], symbols: symbols) }

    public func didDraw(stream: Int, token: Int32) {
        let ok = readers[stream].read(symbols[Int(token)])
        precondition(ok, "the sampler drew a character the constraint masked")
    }
}
