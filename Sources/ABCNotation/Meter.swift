// Meter (`M:`), unit length (`L:`) and tempo (`Q:`) values, parsed exactly. The unit length
// default follows the standard: a meter below 3/4 gives 1/16, otherwise 1/8 (free meter 1/8).

/// A time signature.
public enum Meter: Sendable, Hashable, Codable {
    /// `M:none` (or an empty M:): bars are not checked.
    case free
    /// `M:C` (4/4).
    case common
    /// `M:C|` (2/2).
    case cut
    /// `M:6/8`, `M:(2+3)/8`: numerators summed over one denominator.
    case fraction(numerators: [Int], denominator: Int)

    /// Length of one bar in whole notes; nil for free meter.
    public var barLength: Rational? {
        switch self {
        case .free: return nil
        case .common: return .one
        case .cut: return .one
        case let .fraction(numerators, denominator):
            let sum = numerators.reduce(0, +)
            return Rational(sum, denominator)
        }
    }

    /// Compound meters (6/8, 9/8, 12/8 ...) change the default tuplet q.
    public var isCompound: Bool {
        if case let .fraction(n, d) = self {
            let sum = n.reduce(0, +)
            return d == 8 && sum % 3 == 0 && sum > 3
        }
        return false
    }

    /// The standard's default unit length for this meter.
    public var defaultUnitLength: Rational {
        guard let bar = barLength else { return Rational(1, 8)! }
        return bar < Rational(3, 4)! ? Rational(1, 16)! : Rational(1, 8)!
    }

    /// Parses an `M:` value: `C`, `C|`, `none`, `6/8`, `(2+3)/8`, `2+3/8`, `2/4+3/8`.
    static func parse(_ raw: String) -> (meter: Meter?, problem: String?) {
        let value = raw.filter { $0 != " " && $0 != "\t" }
        if value.isEmpty || value.lowercased() == "none" { return (.free, nil) }
        if value == "C" { return (.common, nil) }
        if value == "C|" { return (.cut, nil) }
        // Sum of terms, each `a/b` or `(a+b)/c` or `a+b/c` style: collect numerators until a `/d`.
        var numerators: [Int] = []
        var denominator: Int?
        var pending: [Int] = []
        var total = Rational.zero
        var i = value.startIndex
        func readInt() -> Int? {
            var n = 0
            var any = false
            while i < value.endIndex, let d = value[i].wholeNumberValue, value[i].isASCII {
                if n > 100_000 { return nil }
                n = n * 10 + d
                any = true
                i = value.index(after: i)
            }
            return any ? n : nil
        }
        while i < value.endIndex {
            let c = value[i]
            if c == "(" || c == ")" || c == "+" { i = value.index(after: i); continue }
            if c == "/" {
                i = value.index(after: i)
                guard let d = readInt(), d > 0, !pending.isEmpty else { return (nil, "bad meter '\(raw)'") }
                let sum = pending.reduce(0, +)
                guard let term = Rational(sum, d), let t = total.adding(term) else { return (nil, "bad meter '\(raw)'") }
                total = t
                if denominator == nil || denominator == d { numerators += pending; denominator = d } else { denominator = -1 }
                pending = []
                continue
            }
            guard let n = readInt() else { return (nil, "bad meter '\(raw)'") }
            pending.append(n)
        }
        guard pending.isEmpty, let d = denominator, numerators.reduce(0, +) > 0 else { return (nil, "bad meter '\(raw)'") }
        if d == -1 {
            // Mixed denominators (2/4+3/8): keep the exact sum over one denominator.
            return (.fraction(numerators: [total.numerator], denominator: total.denominator), nil)
        }
        return (.fraction(numerators: numerators, denominator: d), nil)
    }

    /// Parses an `L:` value (`1/8`, `1`, `1/16`).
    static func parseUnitLength(_ raw: String) -> Rational? {
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard parts.count <= 2, let n = Int(parts[0]), n > 0, n <= 1_000_000 else { return nil }
        let d = parts.count == 2 ? Int(parts[1]) : 1
        guard let d, d > 0, d <= 1_000_000 else { return nil }
        return Rational(n, d)
    }

    /// Parses a `Q:` value into quarter notes per minute. `unitLength` serves the legacy `Q:120`.
    static func parseTempo(_ raw: String, unitLength: Rational) -> Double? {
        // Drop quoted text ("Allegro").
        var text = ""
        var inQuote = false
        for c in raw {
            if c == "\"" { inQuote.toggle(); continue }
            if !inQuote { text.append(c) }
        }
        let sides = text.split(separator: "=", omittingEmptySubsequences: false)
        if sides.count == 1 {
            let t = sides[0].trimmingSpaces()
            if t.isEmpty { return nil }
            guard let bpm = Double(t), bpm > 0, bpm <= 10_000 else { return nil }
            return bpm * unitLength.doubleValue * 4
        }
        guard sides.count == 2, let bpm = Double(sides[1].trimmingSpaces()), bpm > 0, bpm <= 10_000 else { return nil }
        var beat = Rational.zero
        for term in sides[0].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let r = parseUnitLength(String(term)), let s = beat.adding(r) else { return nil }
            beat = s
        }
        guard beat > .zero else { return nil }
        return bpm * beat.doubleValue * 4
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
