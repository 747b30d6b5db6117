// Vocabulary: the characters a model knows, sorted and unique, with encode/decode.
// A "character" here is a Unicode scalar (a code point), as in Python's sorted(set(text)):
// ABC is nearly all ASCII, and scalars keep "\r\n" as two symbols instead of one grapheme,
// so ids match a PyTorch model trained on the same text.

/// Sorted unique Unicode scalars; symbol id = index in `symbols`. Stable: the same text
/// always gives the same ids. Codable as a single string of the symbols in order.
public struct Vocabulary: Sendable, Hashable, Codable {
    /// V symbols in ascending code-point order.
    public let symbols: [Unicode.Scalar]
    private let index: [Unicode.Scalar: Int32]

    /// The vocabulary of `text`: every scalar that occurs, sorted by code point.
    public init(text: String) {
        self.init(symbols: Array(Set(text.unicodeScalars)))
    }

    /// A vocabulary of the given scalars (sorted and de-duplicated here).
    public init(symbols: [Unicode.Scalar]) {
        let sorted = Array(Set(symbols)).sorted { $0.value < $1.value }
        self.symbols = sorted
        var index: [Unicode.Scalar: Int32] = [:]
        for (i, s) in sorted.enumerated() { index[s] = Int32(i) }
        self.index = index
    }

    /// V.
    public var count: Int { symbols.count }

    /// The id of `scalar`, or nil if the model does not know it.
    public func id(of scalar: Unicode.Scalar) -> Int32? { index[scalar] }

    /// Ids of every scalar of `text`; nil if any scalar is unknown.
    public func encode(_ text: String) -> [Int32]? {
        var out: [Int32] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard let i = index[s] else { return nil }
            out.append(i)
        }
        return out
    }

    /// Ids of the scalars of `text` that the vocabulary knows; unknown ones are dropped and counted.
    public func encodeDroppingUnknown(_ text: String) -> (ids: [Int32], dropped: Int) {
        var out: [Int32] = []
        var dropped = 0
        for s in text.unicodeScalars {
            if let i = index[s] { out.append(i) } else { dropped += 1 }
        }
        return (out, dropped)
    }

    /// The text of `ids` (each must be in 0..<V).
    public func decode<S: Sequence>(_ ids: S) -> String where S.Element: BinaryInteger {
        var s = String.UnicodeScalarView()
        for i in ids {
            precondition(i >= 0 && Int(i) < symbols.count, "token \(i) out of range 0..<\(symbols.count)")
            s.append(symbols[Int(i)])
        }
        return String(s)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        let scalars = Array(text.unicodeScalars)
        if Set(scalars).count != scalars.count {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "vocabulary has repeated symbols")
        }
        self.init(symbols: scalars)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        var s = String.UnicodeScalarView()
        s.append(contentsOf: symbols)
        try c.encode(String(s))
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.symbols == b.symbols }
    public func hash(into h: inout Hasher) { h.combine(symbols) }
}
