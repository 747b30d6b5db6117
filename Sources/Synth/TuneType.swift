// TuneType: the dance a tune is for (from `R:`, else guessed from the meter) and the speed it is
// played at in sessions, so a tune without `Q:` plays at its dance's tempo rather than at a flat
// 120 quarter notes a minute. Sources for each speed are in the table's comments and the README.

import ABCNotation

/// A kind of tune, with the tempo it is usually played at.
public enum TuneType: String, CaseIterable, Sendable, Codable {
    case reel, jig, slipJig = "slip jig", hornpipe, polka, slide, waltz, mazurka, march, air, strathspey, barndance

    /// The counted beat and how many a minute, in the unit players count in (a reel in half
    /// notes, a jig in dotted quarters). Sources (session and dance guides, see README):
    /// - reel 112 half notes: Chiff & Fipple forum "Tempo/Speed" (reels 112/120) and a tempo
    ///   summary (mjphillips74, "reel 112 to 120"); céilí dancers want 58–62 bars a minute (116–124).
    /// - jig 116 dotted quarters: Sydney Irish Céilí Dancers (58–62 bars a minute = 116–124);
    ///   Chiff & Fipple 126; Scottish country dance jigs 108–118 (Nanaimo SCD).
    /// - slip jig 132 dotted quarters (44 bars a minute): Chiff & Fipple gives 144; played here a
    ///   little under it, as sessions (not dancers) do.
    /// - hornpipe 92 half notes (46 bars a minute): Chiff & Fipple 92; céilí 46–50 bars a minute.
    /// - polka 136 quarters: céilí 66–70 bars a minute (132–140); Chiff & Fipple 132/138.
    /// - slide 132 dotted quarters: Chiff & Fipple "slides and polkas 132/138"; céilí 66–70.
    /// - waltz 144 quarters (48 bars a minute): australianfolkmusic.com.au, waltzes 48–52 bars.
    /// - mazurka 150 quarters (50 bars a minute): same page, polka mazurka 48–52 bars.
    /// - march 118 beats (quarter, or dotted quarter in 6/8): una.ie measured marches at 118;
    ///   Mudcat "marches 117 to 123".
    /// - air 66 quarters: no steady dance beat; slow, "at the lower end" (mjphillips74). Our choice.
    /// - strathspey 116 quarters (29 bars a minute): scots-l (RSCDS) "116 ticks a minute";
    ///   Nanaimo SCD about 32 bars a minute.
    /// - barndance 120 quarters (30 bars a minute): australianfolkmusic.com.au, barn dance and
    ///   schottische 28–32 bars a minute.
    public var countedBeats: (perMinute: Double, unitInQuarters: Double, name: String) {
        switch self {
        case .reel: (112, 2, "half notes")
        case .jig: (116, 1.5, "dotted quarters")
        case .slipJig: (132, 1.5, "dotted quarters")
        case .hornpipe: (92, 2, "half notes")
        case .polka: (136, 1, "quarter notes")
        case .slide: (132, 1.5, "dotted quarters")
        case .waltz: (144, 1, "quarter notes")
        case .mazurka: (150, 1, "quarter notes")
        case .march: (118, 1, "beats")
        case .air: (66, 1, "quarter notes")
        case .strathspey: (116, 1, "quarter notes")
        case .barndance: (120, 1, "quarter notes")
        }
    }

    /// Tempo in quarter notes a minute for `meter` (a march in a compound meter counts dotted
    /// quarters; every other type counts its fixed unit).
    public func quarterNotesPerMinute(meter: Meter) -> Double {
        let c = countedBeats
        if self == .march && meter.isCompound { return c.perMinute * 1.5 }
        return c.perMinute * c.unitInQuarters
    }

    /// Reads an `R:` value: "reel", "Double Jig", "single jig", "slip-jig", "hop jig", "set dance"
    /// (nil), "slow air", "schottische", "highland", "fling", "Hornpipe (set)", … Case and
    /// punctuation do not matter; nil for a rhythm this table has no speed for.
    public init?(rhythm: String) {
        var words: [String] = []
        var word = ""
        for ch in rhythm.lowercased() {
            if ch.isLetter { word.append(ch) } else if !word.isEmpty { words.append(word); word = "" }
        }
        if !word.isEmpty { words.append(word) }
        func starts(_ prefixes: [String]) -> Bool {
            words.contains { w in prefixes.contains { w.hasPrefix($0) } }
        }
        if starts(["slip", "hop"]) { self = .slipJig }
        else if starts(["jig"]) { self = .jig }
        else if starts(["reel"]) { self = .reel }
        else if starts(["hornpipe"]) { self = .hornpipe }
        else if starts(["polka"]) { self = .polka }
        else if starts(["slide"]) { self = .slide }
        else if starts(["waltz", "valse"]) { self = .waltz }
        else if starts(["mazurka", "varsovi"]) { self = .mazurka }
        else if starts(["march"]) { self = .march }
        else if starts(["air", "lament", "song"]) { self = .air }
        else if starts(["strathspey"]) { self = .strathspey }
        else if starts(["barndance", "barn", "schottis", "highland", "fling", "german"]) { self = .barndance }
        else { return nil }
    }

    /// The most common tune type written in `meter` (Irish repertoire): C|, 2/2, C and 4/4 reel;
    /// 6/8 jig; 9/8 slip jig; 12/8 slide; 2/4 polka; 3/4 waltz; nil otherwise (free meter, 3/2, 5/4…).
    public static func guess(meter: Meter) -> TuneType? {
        switch meter {
        case .common, .cut: return .reel
        case .free: return nil
        case let .fraction(n, d):
            switch (n.reduce(0, +), d) {
            case (4, 4), (2, 2): return .reel
            case (6, 8): return .jig
            case (9, 8): return .slipJig
            case (12, 8): return .slide
            case (2, 4): return .polka
            case (3, 4): return .waltz
            default: return nil
            }
        }
    }
}

/// The tempo a tune is played at and why.
public struct TempoChoice: Sendable, Equatable {
    /// Quarter notes a minute at the start of the tune.
    public var quarterNotesPerMinute: Double
    /// The tune type the tempo came from, if any.
    public var type: TuneType?
    /// Where it came from, for the user: "Q: field", "--tempo", "R:reel", "M:6/8 (a jig)", "default".
    public var source: String

    /// The tempo for `tune`: `override` (a `--tempo`) wins, then the tune's `Q:`, then its `R:`
    /// tune type, then the type its meter suggests, then `Score.defaultQuarterNotesPerMinute`.
    public init(tune: Tune, override: Double? = nil) {
        let meter = tune.meter
        defer {
            // A written or forced tempo is shown in quarter notes, as Q: and --tempo count.
            if let type, source != "--tempo", source != "Q: field" {
                countedUnit = type == .march && meter.isCompound ? 1.5 : type.countedBeats.unitInQuarters
            }
        }
        let fromRhythm = tune.rhythm.flatMap(TuneType.init(rhythm:))
        if let override {
            self.init(quarterNotesPerMinute: override, type: fromRhythm ?? TuneType.guess(meter: meter), source: "--tempo")
        } else if let q = tune.tempo {
            self.init(quarterNotesPerMinute: q, type: fromRhythm ?? TuneType.guess(meter: meter), source: "Q: field")
        } else if let t = fromRhythm {
            self.init(quarterNotesPerMinute: t.quarterNotesPerMinute(meter: meter), type: t, source: "R:\(tune.rhythm ?? "")")
        } else if let t = TuneType.guess(meter: meter) {
            self.init(quarterNotesPerMinute: t.quarterNotesPerMinute(meter: meter), type: t,
                      source: "M:\(meter.abcText) (played as a \(t.rawValue))")
        } else {
            self.init(quarterNotesPerMinute: Score.defaultQuarterNotesPerMinute, type: nil, source: "default (no Q:, R: or common meter)")
        }
    }

    public init(quarterNotesPerMinute: Double, type: TuneType?, source: String) {
        self.quarterNotesPerMinute = quarterNotesPerMinute
        self.type = type
        self.source = source
    }

    /// The unit the tempo is counted in, in quarter notes (2 = half notes, 1.5 = dotted quarters).
    public var countedUnit: Double = 1

    /// "112 half notes a minute (M:C| (played as a reel))": the tempo in the unit the tune type
    /// counts, or quarter notes when there is no type.
    public var description: String {
        let unit = countedUnit == 2 ? "half notes" : countedUnit == 1.5 ? "dotted quarters" : "quarter notes"
        return "\(Self.round(quarterNotesPerMinute / countedUnit)) \(unit) a minute (\(source))"
    }

    static func round(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? "\(Int(r))" : "\(r)"
    }
}

extension Meter {
    /// The meter as written in an `M:` field ("6/8", "C|", "none").
    var abcText: String {
        switch self {
        case .free: "none"
        case .common: "C"
        case .cut: "C|"
        case let .fraction(n, d): (n.count == 1 ? "\(n[0])" : "(" + n.map(String.init).joined(separator: "+") + ")") + "/\(d)"
        }
    }
}
