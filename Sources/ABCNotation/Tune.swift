// Tune: one parsed tune — header fields, body elements with their locations, the values that
// matter for playing it (key, meter, unit length, tempo), every diagnostic, and its validity
// tiers. Built by ABCParser; `score()` turns it into timed events.

/// How far a tune gets up the ladder of validity. Tiers are consecutive: `highestTier` is the
/// last tier n such that tiers 1...n all pass.
public struct Validity: Sendable, Hashable, Codable {
    /// Tier 1: no error diagnostics (warnings allowed).
    public var noErrors: Bool
    /// Tier 2: the header has a numeric X:, a valid M: (own or from the file header), L: (or its
    /// default from M:) and a valid K:.
    public var headerComplete: Bool
    /// Tier 3: the tune has bars and every bar's length agrees with the meter. A short bar is
    /// allowed as a pickup (first bar of the tune or of a section, followed by more music), as the
    /// bar that completes the section's pickup at a repeat, section end, ending or the end, or as
    /// the two halves of one bar split by a repeat or ending mark. Free meter passes.
    public var barsMatchMeter: Bool
    /// Tier 4: repeats and endings balanced: no `|:` left open or reopened, first endings
    /// closed by `:|`, later endings right after a `:|` and numbered in order.
    public var repeatsBalanced: Bool

    public init(noErrors: Bool, headerComplete: Bool, barsMatchMeter: Bool, repeatsBalanced: Bool) {
        self.noErrors = noErrors
        self.headerComplete = headerComplete
        self.barsMatchMeter = barsMatchMeter
        self.repeatsBalanced = repeatsBalanced
    }

    /// 0...4: the number of consecutive tiers passed from tier 1.
    public var highestTier: Int {
        let tiers = [noErrors, headerComplete, barsMatchMeter, repeatsBalanced]
        return tiers.firstIndex(of: false) ?? 4
    }

    /// True when tiers 1...tier all pass (tier 0 always passes).
    public func passesTier(_ tier: Int) -> Bool { highestTier >= tier }
}

/// The parts of a tune that round-trip through the formatter: header fields and body elements,
/// without source positions.
public struct TuneStructure: Sendable, Hashable {
    public internal(set) var header: [Field]
    public internal(set) var body: [BodyElement]
}

/// The timed events of a tune and the problems met building them.
public struct ScoreResult: Sendable {
    /// The events, one list per voice.
    public var score: Score
    /// The tune's timeline problems plus any met while expanding repeats (over the caps).
    public var diagnostics: [Diagnostic]
}

/// One tune of an ABC file.
public struct Tune: Sendable {
    /// 1-based position in the file.
    public var index: Int
    /// The file name given to the parser.
    public var fileName: String
    /// The `X:` number, if it is a number.
    public var referenceNumber: Int?
    /// The first `T:`.
    public var title: String?
    /// Header fields in order, up to and including `K:`. A `%%directive` line is kept as a
    /// field with letter `%` and the directive text (without `%%`) as value.
    public internal(set) var header: [Field]
    /// Body elements as written.
    public internal(set) var body: [BodyElement]
    /// Where each body element starts (parallel to `body`).
    public internal(set) var bodyLocations: [SourceLocation]
    /// Fields of the file header, which the tune inherits.
    public internal(set) var fileHeader: [Field]
    /// Key at the start of the tune (C major when missing).
    public internal(set) var key: KeySignature
    /// Meter at the start of the tune (free when missing).
    public internal(set) var meter: Meter
    /// Unit note length at the start, from `L:` or the meter's default, in whole notes.
    public internal(set) var unitLength: Rational
    /// Tempo from `Q:` in quarter notes per minute, if given.
    public internal(set) var tempo: Double?
    /// The tune's text as it appears in the file (lines joined with "\n").
    public var sourceText: String
    /// 1-based file line of the `X:` line.
    public var startLine: Int
    /// Every problem found, parse and analysis, in file order per kind.
    public var diagnostics: [Diagnostic]
    /// Which validity tiers the tune passes.
    public var validity: Validity
    /// Bars in the first voice (a multi-bar rest `Z4` counts 4); written order, repeats not expanded.
    public var barCount: Int
    /// Voice timelines built once at parse time (for the tier checks) and reused by `score()`.
    var timelines: [VoiceTimeline] = []
    var timelineDiagnostics: [Diagnostic] = []

    /// Header and body without positions: what round trip compares.
    public var structure: TuneStructure { TuneStructure(header: header, body: body) }

    /// True when some diagnostic is an error (tier 1 fails).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// True when some diagnostic is a warning.
    public var hasWarnings: Bool { diagnostics.contains { $0.severity == .warning } }

    /// Timed events as a player reads them: repeats and endings expanded, ties merged. O(events).
    public func score() -> ScoreResult { ScoreBuilder.build(self) }
}
