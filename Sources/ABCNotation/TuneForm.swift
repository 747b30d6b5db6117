// TuneForm: the shape a generated tune must have: how many parts, whether each is played
// twice (AABB) or once (AB), how many bars a part has, and whether the tune ends on its tonic.
// `free` leaves parts and their lengths to the writer (at most 6 parts of at most 16 bars);
// `TuneForm.reading` also reads every layout the tiers accept (10 parts of up to 64 bars).

/// The form a tune is read or written against (see TuneReader).
public struct TuneForm: Sendable, Hashable, CustomStringConvertible {
    /// Fixed parts: `count` parts of `barsPerPart` bars, each repeated (`:|`) or not (`||`, `|]`).
    /// Nil: free (the writer decides, within the caps).
    public var parts: (count: Int, repeated: Bool)? {
        get { partCount.map { ($0, repeated) } }
        set { partCount = newValue?.count; repeated = newValue?.repeated ?? true }
    }
    var partCount: Int?
    var repeated = true
    /// Bars of each part, the pickup not counted (a part with a pickup has its last bar short by it).
    public var barsPerPart: Int
    /// The last note of the tune is the tonic of its key.
    public var endOnTonic: Bool

    /// Free form only: also read every layout the tiers accept that `generate` does not write (K: and
    /// M: lines in the body, ties across bar lines, a short bar that the endings or the next part's
    /// pickup complete, a part closed on a whole bar after a pickup, …), under the reading caps.
    /// `TuneForm.reading`: the form every valid corpus tune replays through.
    public private(set) var readsEveryLayout = false
    /// Caps of the free form (so every walk ends): parts, and bars a part.
    public private(set) var freeParts = TuneForm.maxFreeParts, freeBars = TuneForm.maxFreeBars

    /// Caps of the free form as `generate` writes it (a model that rambles stays near --max-length).
    public static let maxFreeParts = 6
    public static let maxFreeBars = 16
    /// Caps of the reading form (the corpus has a part of 56 bars and a tune of 8 parts).
    public static let readingFreeParts = 10
    public static let readingFreeBars = 64

    /// The free form that reads every layout the tiers accept, with the reading caps.
    public static func reading(endOnTonic: Bool = false) -> TuneForm {
        var f = TuneForm(parts: nil, endOnTonic: endOnTonic)
        (f.readsEveryLayout, f.freeParts, f.freeBars) = (true, readingFreeParts, readingFreeBars)
        return f
    }

    public init(parts: (count: Int, repeated: Bool)?, barsPerPart: Int = 8, endOnTonic: Bool = true) {
        precondition(barsPerPart >= 1 && barsPerPart <= 64 && (parts?.count ?? 1) >= 1 && (parts?.count ?? 1) <= 26)
        partCount = parts?.count
        repeated = parts?.repeated ?? true
        self.barsPerPart = barsPerPart
        self.endOnTonic = endOnTonic
    }

    /// `AABB`, `AB`, `AABBCC`, `ABC`, … (each letter twice: repeated parts; once: single parts;
    /// letters in order from A) or `free`. Nil for anything else.
    public init?(parsing text: String, barsPerPart: Int = 8, endOnTonic: Bool = true) {
        guard barsPerPart >= 1 && barsPerPart <= 64 else { return nil }
        let t = text.uppercased()
        if t == "FREE" { self.init(parts: nil, barsPerPart: barsPerPart, endOnTonic: endOnTonic); return }
        let letters = Array(t.unicodeScalars)
        guard !letters.isEmpty, letters.count <= 52, letters.allSatisfy({ $0.value >= 65 && $0.value <= 90 }) else { return nil }
        let twice = letters.count % 2 == 0 && stride(from: 0, to: letters.count, by: 2).allSatisfy { letters[$0] == letters[$0 + 1] }
        let names = twice ? stride(from: 0, to: letters.count, by: 2).map { letters[$0] } : letters
        guard names.enumerated().allSatisfy({ $0.element.value == 65 + UInt32($0.offset) }) else { return nil }
        self.init(parts: (names.count, twice), barsPerPart: barsPerPart, endOnTonic: endOnTonic)
    }

    /// What the corpus does for every meter it has (reels C|/C, hornpipes, jigs 6/8, slip jigs 9/8,
    /// polkas 2/4, waltzes 3/4): two parts of 8 bars, each played twice.
    public static func standard(endOnTonic: Bool = true) -> TuneForm {
        TuneForm(parts: (2, true), barsPerPart: 8, endOnTonic: endOnTonic)
    }

    /// "AABB, 8 bars a part", "free".
    public var description: String {
        guard let n = partCount else { return readsEveryLayout ? "free (every layout the tiers accept)" : "free" }
        let letters = (0 ..< n).map { String(UnicodeScalar(UInt8(65 + $0))) }
        return letters.map { repeated ? $0 + $0 : $0 }.joined() + ", \(barsPerPart) bars a part"
    }

    public static func == (a: TuneForm, b: TuneForm) -> Bool {
        a.partCount == b.partCount && a.repeated == b.repeated && a.barsPerPart == b.barsPerPart && a.endOnTonic == b.endOnTonic
            && a.readsEveryLayout == b.readsEveryLayout && a.freeParts == b.freeParts && a.freeBars == b.freeBars
    }

    public func hash(into h: inout Hasher) {
        h.combine(partCount); h.combine(repeated); h.combine(barsPerPart); h.combine(endOnTonic)
        h.combine(readsEveryLayout); h.combine(freeParts); h.combine(freeBars)
    }
}
