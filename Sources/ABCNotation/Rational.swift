// Rational: exact fractions for note lengths and bar lengths. Every operation checks for
// overflow and returns nil instead of trapping, so hostile lengths (`A999999999999`,
// `L:1/0`) become diagnostics rather than crashes.

/// An exact fraction in lowest terms with a positive denominator.
public struct Rational: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Numerator; carries the sign.
    public let numerator: Int
    /// Denominator, always positive.
    public let denominator: Int

    /// Returns nil when `denominator` is zero or the value cannot be normalised.
    public init?(_ numerator: Int, _ denominator: Int) {
        guard denominator != 0, numerator != .min, denominator != .min else { return nil }
        let g = Rational.gcd(abs(numerator), abs(denominator))
        let sign = denominator < 0 ? -1 : 1
        self.numerator = sign * numerator / max(g, 1)
        self.denominator = sign * denominator / max(g, 1)
    }

    /// A whole number.
    public init(_ value: Int) {
        numerator = value
        denominator = 1
    }

    /// 0.
    public static let zero = Rational(0)
    /// 1.
    public static let one = Rational(1)

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// Sum, or nil on overflow.
    public func adding(_ other: Rational) -> Rational? {
        let g = Rational.gcd(denominator, other.denominator)
        let (l, o1) = numerator.multipliedReportingOverflow(by: other.denominator / g)
        let (r, o2) = other.numerator.multipliedReportingOverflow(by: denominator / g)
        let (n, o3) = l.addingReportingOverflow(r)
        let (d, o4) = denominator.multipliedReportingOverflow(by: other.denominator / g)
        if o1 || o2 || o3 || o4 { return nil }
        return Rational(n, d)
    }

    /// Difference, or nil on overflow.
    public func subtracting(_ other: Rational) -> Rational? {
        guard other.numerator != .min else { return nil }
        return adding(Rational(-other.numerator, other.denominator) ?? .zero)
    }

    /// Product, or nil on overflow.
    public func multiplied(by other: Rational) -> Rational? {
        let g1 = Rational.gcd(abs(numerator), other.denominator)
        let g2 = Rational.gcd(abs(other.numerator), denominator)
        let (n, o1) = (numerator / max(g1, 1)).multipliedReportingOverflow(by: other.numerator / max(g2, 1))
        let (d, o2) = (denominator / max(g2, 1)).multipliedReportingOverflow(by: other.denominator / max(g1, 1))
        if o1 || o2 { return nil }
        return Rational(n, d)
    }

    /// The nearest Double.
    public var doubleValue: Double { Double(numerator) / Double(denominator) }

    /// Exact ordering (Double only when cross products would overflow).
    public static func < (lhs: Rational, rhs: Rational) -> Bool {
        // Compare by cross-multiplying in Double when Int would overflow; exact enough for ordering.
        let (a, o1) = lhs.numerator.multipliedReportingOverflow(by: rhs.denominator)
        let (b, o2) = rhs.numerator.multipliedReportingOverflow(by: lhs.denominator)
        if o1 || o2 { return lhs.doubleValue < rhs.doubleValue }
        return a < b
    }

    /// `n/d`, or `n` when the denominator is 1.
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}
