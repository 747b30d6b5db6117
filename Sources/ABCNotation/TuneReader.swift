// TuneReader: an incremental reader of one ABC tune, stepped one character at a time, that knows
// which next characters keep the text completable into a tune that passes every validity tier and
// has the requested form (TuneForm). It knows nothing of models: a sampler asks `allows` (or a
// mask cached by state, Composer's TuneConstraint) before each draw. Header: X, T, Z, M, L, K
// lines (each once, K last; meters, unit lengths and keys from fixed lists). Body: notes with
// accidentals, octave marks and lengths (`2 3 4 5 6 7 8 12 16 / 3/2`; not `//`, which no corpus
// tune uses), rests, ties (same pitch, same bar), broken rhythm `>`/`<` (equal notes), `(3`
// triplets, slurs, `~`/`.` decorations, chord names (`"Em7"`), `| || |] :| |:`, `[1`/`[2`
// endings, `!` line ends, then a blank line. Bar arithmetic is exact, in u = L/12: every length
// the reader allows is a whole number of them. Chords `[CEG]`, grace notes `{}`, `::` and inline
// fields are not written (the corpus has none). Every bar, line and part is capped, so every walk ends.
// The free form also reads what the tiers accept that the fixed forms do not write (every valid
// corpus tune replays): K: and M: lines in the body, ties across bar lines, a short bar that the
// endings or the next part's pickup complete, a part closed on a whole bar after a pickup.

/// Reads one tune a character at a time; a value type, so a sampler keeps one per stream.
public struct TuneReader: Hashable, Sendable {
    public let form: TuneForm
    var phase: Phase = .header
    var header = HeaderState()
    /// Set when the header's K: line ends.
    var config: BodyConfig?
    var body = Body()

    enum Phase: UInt8, Hashable, Sendable { case header, body, ended }

    public init(form: TuneForm) { self.form = form }

    /// The meters the reader writes (M: values).
    public static var meters: [String] { HeaderState.meters }

    /// The longest value of a free header line (`T:`, `Z:`), in characters (the corpus's longest is 31).
    public static let maxFieldLength = 48

    /// The most characters a header can have: the six lines X, T, Z, M, L, K, each at most once
    /// (X: up to 6 digits; T and Z up to `maxFieldLength`; M, L, K from their lists).
    public static let maxHeaderCharacters: Int = {
        let longest = { (list: [String]) in list.map(\.unicodeScalars.count).max() ?? 0 }
        return (3 + 6) + 2 * (3 + maxFieldLength) + (3 + longest(HeaderState.meters)) + (3 + longest(HeaderState.units)) + (3 + longest(HeaderState.keys))
    }()

    /// An upper bound on the characters of a tune of `form` the reader allows, header and final blank
    /// line included: every part has at most its bars, a pickup and a second ending of up to 4 bars
    /// (free form: 10 parts of up to 64 bars, each with a `K:` line), and every bar at most
    /// `maxBarChars` characters plus its bar line, `!` and newline. Every walk of allowed characters
    /// ends within it; with the default form it is within `generate`'s default --max-length (2000).
    public static func maxCharacters(_ form: TuneForm) -> Int {
        let bar = maxBarChars + 2 + 2 + 2 + (form.readsEveryLayout ? 8 : 0)  // the bar, its bar line (`:|`, `|]`), `!\n`, `[2` or an empty `|`; free: an `M:` line
        let parts = form.partCount ?? form.freeParts
        let bars = (form.partCount == nil ? form.freeBars : form.barsPerPart) + 1 + 4 + 2  // a pickup, a second ending, two fragments
        let keyLine = form.readsEveryLayout ? 3 + 1 + (HeaderState.keys.map(\.unicodeScalars.count).max() ?? 0) : 0  // or an M: line, shorter
        return maxHeaderCharacters + parts * (bars * bar + keyLine) + 1
    }

    /// True once the tune has ended (its blank line read): nothing more is allowed.
    public var isComplete: Bool { phase == .ended }

    /// Whether `scalar` may come next.
    public func allows(_ scalar: Unicode.Scalar) -> Bool {
        var copy = self
        return copy.read(scalar)
    }

    /// Whether each of `symbols` may come next: exactly `symbols.map(allows)` (a test compares them),
    /// computed without copying the reader for each symbol, and a free header line (`T:`, `Z:`)
    /// answered by character class instead of reading each character into a copy of the line.
    /// Cost: in the body one `step` per symbol and a viability search for each one it accepts.
    public func allowedMask(_ symbols: [Unicode.Scalar]) -> [Bool] {
        switch phase {
        case .ended:
            return [Bool](repeating: false, count: symbols.count)
        case .header:
            let line = header.line
            if line.count >= 2 && (line[0] == "T" || line[0] == "Z") {
                // HeaderState.reading on a T: or Z: value: any character from space up but `%`, while there is room.
                let room = line.count - 2 < TuneReader.maxFieldLength
                return symbols.map { s in s == "\n" ? allows(s) : room && s.value >= 32 && s != "%" }
            }
            return symbols.map { allows($0) }
        case .body:
            guard let c = bodyConfig else { return [Bool](repeating: false, count: symbols.count) }
            let b = body
            return symbols.map { s in
                guard s.isASCII, let next = step(b, UInt8(s.value), c) else { return false }
                return bodyViable(next, c)
            }
        }
    }

    /// Reads `scalar` if it may come next (and returns true); otherwise leaves the reader as it
    /// was and returns false.
    @discardableResult
    public mutating func read(_ scalar: Unicode.Scalar) -> Bool {
        switch phase {
        case .ended: return false
        case .header:
            guard let (h, done) = header.reading(scalar) else { return false }
            if let done {
                guard let c = BodyConfig(meter: done.meter, unit: done.unit, key: done.key) else { return false }
                guard bodyViable(Body(), c) else { return false }
                (phase, header, config, body) = (.body, h, c, Body())
                return true
            }
            header = h
            return true
        case .body:
            guard scalar.isASCII, let c = bodyConfig, let next = step(body, UInt8(scalar.value), c), bodyViable(next, c) else { return false }
            if next.ended { phase = .ended }
            body = next
            return true
        }
    }

    /// The header's config with the bar of the meter a body `M:` line set, if one did. (A step that
    /// reads an `M:` line's newline ends where a part starts, where no bar length is needed, so the
    /// steps within one character may use the config from before it.)
    var bodyConfig: BodyConfig? {
        guard var c = config else { return nil }
        if body.meter >= 0 { c.bar = Int(c.meterBars[Int(body.meter)]) }
        return c
    }

    /// Reads every character of `text`; the index of the first one refused, or nil when all were read.
    public mutating func read(_ text: String) -> String.UnicodeScalarView.Index? {
        var i = text.unicodeScalars.startIndex
        while i < text.unicodeScalars.endIndex {
            if !read(text.unicodeScalars[i]) { return i }
            i = text.unicodeScalars.index(after: i)
        }
        return nil
    }

    /// The key that masks can be cached under: equal keys allow the same characters (under one form).
    /// Nil inside a free header line's value.
    public var cacheKey: CacheKey? {
        if phase == .header {
            // A free T: or Z: value is written once (and answered by class); the other header
            // states (line starts, X:, M:, L:, K: values) repeat from tune to tune.
            if header.line.count >= 2 && (header.line[0] == "T" || header.line[0] == "Z") { return nil }
            return CacheKey(header: header)
        }
        guard let config else { return nil }
        if phase == .ended { return CacheKey(body: Body.endedMarker, config: config) }
        // Fields that cannot change the mask here are left out, so states repeat: the bar's
        // character count only matters near its cap, the line's bar count only at its cap.
        var b = body
        if b.barChars <= 12 { b.barChars = 0 }
        if b.lineBars < Int8(TuneReader.maxLineBars) - 1 { b.lineBars = 0 }
        // With no tie waiting, the last note's pitch matters only to whether a `-` may follow, which
        // depends on the octave marks a tied note needs and whether its letter is the tonic's.
        if b.tie == 0 {
            b.lastPitch = TuneReader.pitchClass(b.lastPitch, config)
            b.notePitch = TuneReader.pitchClass(b.notePitch, config)
        }
        return CacheKey(body: b, config: config)
    }

    /// A pitch code (1 + letter + 7 if lower case, plus 16 per octave from −2; 0 for none) reduced to
    /// what a tie to it needs: 0, or 1 + whether its letter is the tonic's + 2 × its octave marks.
    static func pitchClass(_ code: Int8, _ c: BodyConfig) -> Int8 {
        guard code > 0 else { return code }
        let letter = (Int(code % 16) - 1) % 7
        return 1 + (letter == c.tonicLetter ? 1 : 0) + 2 * Int8(abs(Int(code / 16) - 2))
    }

    /// Equal keys allow the same characters under the same form (a cache is per form).
    public struct CacheKey: Hashable, Sendable {
        var header: HeaderState?
        var body: Body
        var config: BodyConfig?
        var form: TuneForm?

        init(body: Body, config: BodyConfig) { (self.body, self.config) = (body, config) }
        init(header: HeaderState) { (self.header, self.body) = (header, Body()) }
        /// The key qualified by its form, for caches shared across forms.
        public init(_ key: CacheKey, form: TuneForm) { self = key; self.form = form }
    }

    // MARK: Header

    struct HeaderValues: Hashable, Sendable { var meter: String; var unit: String; var key: String }

    struct HeaderState: Hashable, Sendable {
        /// The current line so far.
        var line: [Unicode.Scalar] = []
        var seen: Set<UInt8> = []
        var meter = "", unit = "1/8", key = ""

        static let meters = ["C", "C|", "2/2", "2/4", "3/4", "4/4", "3/8", "6/8", "9/8", "12/8"]
        static let units = ["1/8", "1/16", "1/4"]
        static let keys: [String] = {
            let modes = ["", " Major", " Minor", " Dorian", " Mixolydian", " Lydian", " Phrygian", " Locrian", " Aeolian", " Ionian"]
            return ["C", "D", "E", "F", "G", "A", "B"].flatMap { t in ["", "#", "b"].flatMap { a in modes.map { t + a + $0 } } }
        }()
        static func prefixes(_ list: [String]) -> Set<String> {
            var s: Set<String> = []
            for v in list { var p = ""; s.insert(p); for ch in v { p.append(ch); s.insert(p) } }
            return s
        }
        static let meterPrefixes = prefixes(meters), unitPrefixes = prefixes(units), keyPrefixes = prefixes(keys)

        /// The state after `s`, and the header values when `s` ends the K: line. Nil: not allowed.
        func reading(_ s: Unicode.Scalar) -> (HeaderState, HeaderValues?)? {
            var h = self
            if line.isEmpty {
                // A field letter: X first, then T, Z, M, L (once each), K last once T and M are there.
                guard s.isASCII else { return nil }
                let letter = UInt8(s.value)
                if seen.isEmpty { guard letter == UInt8(ascii: "X") else { return nil } } else {
                    guard "TZMLK".utf8.contains(letter), !seen.contains(letter) else { return nil }
                    if letter == UInt8(ascii: "K") && !(seen.contains(UInt8(ascii: "T")) && seen.contains(UInt8(ascii: "M"))) { return nil }
                }
                h.line = [s]
                return (h, nil)
            }
            if line.count == 1 { guard s == ":" else { return nil }; h.line.append(s); return (h, nil) }
            let letter = UInt8(line[0].value)
            let value = String(String.UnicodeScalarView(line[2...]))
            if s == "\n" {
                switch letter {
                case UInt8(ascii: "X"): guard !value.isEmpty else { return nil }
                case UInt8(ascii: "T"): guard !value.trimmingSpaces.isEmpty else { return nil }
                case UInt8(ascii: "M"): guard HeaderState.meters.contains(value) else { return nil }; h.meter = value
                case UInt8(ascii: "L"): guard HeaderState.units.contains(value) else { return nil }; h.unit = value
                case UInt8(ascii: "K"): guard HeaderState.keys.contains(value) else { return nil }; h.key = value
                default: break
                }
                h.seen.insert(letter)
                h.line = []
                if letter == UInt8(ascii: "K") { return (h, HeaderValues(meter: h.meter, unit: h.unit, key: h.key)) }
                return (h, nil)
            }
            let extended = value + String(s)
            switch letter {
            case UInt8(ascii: "X"): guard value.count < 6, s.properties.numericType != nil, s.isASCII else { return nil }
            case UInt8(ascii: "T"), UInt8(ascii: "Z"): guard value.unicodeScalars.count < TuneReader.maxFieldLength, s.value >= 32, s != "%" else { return nil }
            case UInt8(ascii: "M"): guard HeaderState.meterPrefixes.contains(extended) else { return nil }
            case UInt8(ascii: "L"): guard HeaderState.unitPrefixes.contains(extended) else { return nil }
            case UInt8(ascii: "K"): guard HeaderState.keyPrefixes.contains(extended) else { return nil }
            default: return nil
            }
            h.line.append(s)
            return (h, nil)
        }
    }

    // MARK: Body

    /// What the body's rules need from the header, in whole numbers.
    struct BodyConfig: Hashable, Sendable {
        /// One bar, in u (L/12).
        var bar: Int
        /// Index 0…6 (C…B) of the tonic's letter and the key's alteration of each letter.
        var tonicLetter: Int
        var alterations: SIMD8<Int8>  // C…B in lanes 0…6 (a vector, not an array: a config is copied with every cache key)

        /// One bar of each of HeaderState.meters under this unit length, in u (0: not a whole number
        /// of u); what a body `M:` line switches `bar` to.
        var meterBars = SIMD16<Int16>()

        /// One bar of `meter` under unit length `unit`, in u; nil unless a whole number of u up to 600.
        static func barUnits(meter: String, unit: String) -> Int? {
            guard let barLength = Meter.parse(meter).meter?.barLength, let l = Meter.parseUnitLength(unit),
                  let units = barLength.multiplied(by: Rational(l.denominator * 12, l.numerator) ?? .zero),
                  units.denominator == 1, units.numerator > 0, units.numerator <= 600 else { return nil }
            return units.numerator
        }

        init?(meter: String, unit: String, key: String) {
            guard let units = BodyConfig.barUnits(meter: meter, unit: unit) else { return nil }
            bar = units
            for (i, m) in HeaderState.meters.prefix(16).enumerated() { meterBars[i] = Int16(BodyConfig.barUnits(meter: m, unit: unit) ?? 0) }
            let (k, problems) = KeySignature.parse(key)
            guard problems.isEmpty, let tonic = k.tonic?.first, let t = KeySignature.letterIndex(tonic) else { return nil }
            tonicLetter = t
            alterations = SIMD8()
            for (i, a) in k.alterations.prefix(7).enumerated() { alterations[i] = Int8(clamping: a) }
        }
    }

    /// Where a character sits inside a token that is not finished yet.
    enum Lex: Hashable, Sendable {
        case between
        /// `^ ^^ _ __ =` read (alteration; `=` is 0): a letter must follow.
        case accidental(Int8, doubled: Bool)
        /// A note or rest letter read; `suffix` is a node of the length trie. Tonic: whether this note is the tonic.
        case note(suffix: Int8, tonic: Bool, octave: Int8, rest: Bool, lower: Bool)
        /// `|` read (may become `||`, `|]`, `|:`, or stay `|`).
        case pipe
        /// `:` read (must become `:|`).
        case colon
        /// `[` read: `1` or `2` must follow.
        case bracket
        /// `(` read: `3` makes a triplet, anything else opens a slur.
        case paren
        /// Inside a chord symbol: the index of what it holds so far in `chordPrefixes`.
        case chordSymbol(Int16)
        /// `!` at the end of a line: the newline must follow.
        case bang
        /// A `K` at the start of a line between parts (free form): `:` must follow.
        case keyLetter
        /// Inside a body `K:` line: the index of its value so far in `keyLinePrefixes`.
        case keyLine(Int16)
        /// An `M` at the start of a line between parts (free form): `:` must follow.
        case meterLetter
        /// Inside a body `M:` line: the meter value so far, as its index in `meterLinePrefixes`.
        case meterLine(Int8)
        /// Free form: a `|` at the start of a line that follows a bar line (an empty bar, read as nothing).
        case emptyPipe
    }

    struct Body: Hashable, Sendable {
        var lex = Lex.between
        // Bar: its length so far (u), characters, accidentals of the tonic letter, the last note.
        var fill: Int16 = 0
        var barChars: Int16 = 0
        var tonicAltered = false
        var lastTonic = false
        // Between elements.
        var prefix: UInt8 = 0     // a decoration (1) or chord symbol (2) waits for its note
        var afterNote: Int8 = 0   // the last note's raw length in quarters of L (0: not right after a note)
        var broken: Int8 = 0      // +1: the next note is halved (after `>`); −1: one and a half (after `<`)
        var brokenLength: Int8 = 0 // the raw length (quarters of L) the next note must have: abc2midi wants equal notes
        var notePitch: Int8 = 0   // the note being read: 1 + letter + 7 if lower case (0: a rest or an explicit accidental)
        var lastPitch: Int8 = 0   // the last note's pitch code (notePitch + 16·(octave + 2)), 0 if it cannot be tied
        var tie: Int8 = 0         // after `-`: the pitch code the next note must have (abc2midi ties equal pitches only)
        var tupletLeft: Int8 = 0
        var slur: Int8 = 0
        var space = false
        var afterBar = false
        var lineStart = true
        var lineBars: Int8 = 0
        // Form.
        var part: Int8 = 0
        var barInPart: Int8 = 0
        var pickupSlot = true
        var partPickup: Int16 = 0
        var tunePickup: Int16 = -1
        var partStart = true      // nothing of this part written yet (`|:` may open it)
        var openedRepeat = false
        var ending: Int8 = 0      // 1 or 2 inside an ending
        var endingStart: Int8 = 0
        var partBars: Int8 = 0    // the free form: bars this part must reach (set by ending 1), 0 open
        var endingsUsed = false
        var needEnding2 = false
        var mustOpenRepeat = false // after a second ending and `||`, a pickup reads cleanly (abc2midi) only after `|:`
        var finished = false      // the form is complete: only the end of the tune may follow
        var canEnd = false        // free form: a part just closed on the tonic, the tune may end here
        var ended = false
        // Free form only: layouts the rules accept that the fixed forms do not write.
        var key: Int16 = -1       // a body K: line's key (index in HeaderState.keys), -1: the header's
        var meter: Int8 = -1      // a body M: line's meter (index in HeaderState.meters), -1: the header's
        var afterKeyLine = false  // a body K: or M: line was just read (one per part start)
        var endable = false       // a plain `|` that could have closed the tune: a blank line may end it here
        var split: Int16 = 0      // a short bar closed by `|` that each ending completes: what it lacks (u)
        var splitPhase: Int8 = 0  // 1: `[1` must follow; 2: ending 1's fragment; 3: ending 1; 4: ending 2's fragment
        var owedPickup: Int16 = 0 // a part closed short by `||`/`|]`: the next part's pickup must complete it (u)
        var afterSection = false  // `||` or `|]` was just read: a `|` right after would merge with it (`|||:` is one bar line)

        static let endedMarker: Body = { var b = Body(); b.ended = true; return b }()
    }

    /// Length suffixes a note may take, in quarters of L.
    static let suffixes: [(String, Int)] = [("", 4), ("2", 8), ("3", 12), ("4", 16), ("5", 20), ("6", 24), ("7", 28), ("8", 32),
                                            ("12", 48), ("16", 64), ("/", 2), ("3/2", 6)]
    /// The suffix trie: node → (character → node), node → length if complete, node → every length reachable.
    static let trie: (next: [[UInt8: Int8]], complete: [Int8], reachable: [[(length: Int8, chars: Int16)]]) = {
        var prefixes: [String] = [""]
        for (s, _) in suffixes { var p = ""; for ch in s { p.append(ch); if !prefixes.contains(p) { prefixes.append(p) } } }
        var next = [[UInt8: Int8]](repeating: [:], count: prefixes.count)
        var complete = [Int8](repeating: 0, count: prefixes.count)
        var reachable = [[(length: Int8, chars: Int16)]](repeating: [], count: prefixes.count)
        for (i, p) in prefixes.enumerated() {
            for (j, q) in prefixes.enumerated() where q.count == p.count + 1 && q.hasPrefix(p) { next[i][q.utf8.last!] = Int8(j) }
            for (s, len) in suffixes {
                if s == p { complete[i] = Int8(len) }
                if s.hasPrefix(p) { reachable[i].append((Int8(len), Int16(s.count - p.count))) }
            }
        }
        return (next, complete, reachable)
    }()

    /// Every prefix of the chord names the reader writes, by index; which prefixes are whole names.
    static let chordPrefixes: (names: [String], index: [String: Int16], complete: Set<Int16>) = {
        var names = [""], index = ["": Int16(0)], complete = Set<Int16>()
        for root in ["A", "B", "C", "D", "E", "F", "G"] {
            for acc in ["", "#", "b"] {
                for quality in ["", "m", "7", "m7", "maj7", "dim", "aug", "sus4", "6", "m6", "9"] {
                    var p = ""
                    for ch in root + acc + quality {
                        p.append(ch)
                        if index[p] == nil { index[p] = Int16(names.count); names.append(p) }
                    }
                    complete.insert(index[p]!)
                }
            }
        }
        return (names, index, complete)
    }()

    /// Every prefix of the values a body `K:` line may hold (a key the header may hold, after an
    /// optional space: `K: G Major`), by index; the index in HeaderState.keys of each whole value.
    static let keyLinePrefixes: (names: [String], index: [String: Int16], key: [Int16: Int16]) = {
        var names = [""], index = ["": Int16(0)], key: [Int16: Int16] = [:]
        for (k, value) in HeaderState.keys.enumerated() {
            for written in [value, " " + value] {
                var p = ""
                for ch in written {
                    p.append(ch)
                    if index[p] == nil { index[p] = Int16(names.count); names.append(p) }
                }
                key[index[p]!] = Int16(k)
            }
        }
        return (names, index, key)
    }()

    /// Every prefix of the meters a body `M:` line may hold, by index.
    static let meterLinePrefixes: [String] = {
        var names = [""]
        for m in HeaderState.meters { var p = ""; for ch in m { p.append(ch); if !names.contains(p) { names.append(p) } } }
        return names
    }()

    /// The alteration of each letter C…B under each key of HeaderState.keys.
    static let keyAlterations: [[Int8]] = HeaderState.keys.map { KeySignature.parse($0).key.alterations.map { Int8(clamping: $0) } }

    static let maxBarChars = 48, maxLineBars = 12, maxSlur = 2

    // The part's bar targets, in u.
    enum Target { case none, exact(Int16), upTo(Int16) }

    /// (length that closes the bar with a plain `|`, length that closes the part or ending).
    func targets(_ b: Body, _ c: BodyConfig) -> (plain: Target, close: Int16?) {
        let bar = Int16(c.bar)
        if b.finished || b.needEnding2 { return (.none, nil) }
        // An ending's first bar completes the short bar before the endings.
        if b.splitPhase == 2 || b.splitPhase == 4 { return (.exact(b.split), nil) }
        if b.pickupSlot {
            if b.owedPickup > 0 { return (.exact(b.owedPickup), nil) }
            if b.part == 0 || form.partCount == nil { return (.upTo(bar), nil) }
            return (b.tunePickup > 0 ? .exact(b.tunePickup) : .none, nil)
        }
        let j = Int(b.barInPart) + 1
        let last = b.partPickup > 0 ? bar - b.partPickup : bar
        if let _ = form.partCount {
            let n = form.barsPerPart
            return (j < n ? .exact(bar) : .none, j == n ? last : nil)
        }
        if b.ending == 2 || b.partBars > 0 {
            return (j < Int(b.partBars) ? .exact(bar) : .none, j == Int(b.partBars) ? last : nil)
        }
        if b.ending == 1 {
            return (j < form.freeBars && j - Int(b.endingStart) < 4 ? .exact(bar) : .none, last)
        }
        return (j < form.freeBars ? .exact(bar) : .none, last)
    }

    /// Whether the part-closing bar about to be written ends the tune.
    func closesTune(_ b: Body) -> Bool {
        guard b.ending != 1 else { return false }
        if let n = form.partCount { return Int(b.part) == n - 1 }
        return Int(b.part) == form.freeParts - 1
    }

    /// Can `rest` u more be written in this bar, with `tuplet` triplet notes and `broken` pending,
    /// and `note` (a note must come: a prefix or accidental waits)?
    static func reachable(_ rest: Int, tuplet: Int, broken: Int8, brokenLength: Int8 = 0, note: Bool) -> Bool {
        // Every length the reader writes is a whole number of eighths of L (6 u); a triplet note of
        // m quarters of L counts 2m u, m even.
        guard rest >= 0 else { return false }
        if broken != 0 {
            // The note after `>` (`<`) has the length of the one before, halved (one and a half).
            let next = broken > 0 ? 3 * Int(brokenLength) / 2 : 9 * Int(brokenLength) / 2
            return rest >= next && (rest - next) % 6 == 0
        }
        if tuplet > 0 {
            var s = tuplet
            while 4 * s <= rest { if (rest - 4 * s) % 6 == 0 { return true }; s += 1 }
            return false
        }
        return rest % 6 == 0 && (!note || rest >= 6)
    }

    /// The fewest characters that write exactly `rest` u (a note is its letter and its length suffix),
    /// the `tuplet` triplet notes still owed first, or the note a broken rhythm owes; `bigLast`: one
    /// plain note at least L long (the tune's last note, the tonic). Int.max/2 when it cannot be done.
    /// Exact, so a bar judged finishable within its character cap stays so along its shortest
    /// completion (an estimate that did not shrink as notes were written left walks with nothing allowed).
    static func minChars(rest: Int, tuplet: Int, broken: Int8, brokenLength: Int8, bigLast: Bool) -> Int {
        let table = bigLast ? noteChars.big : noteChars.plain
        guard rest >= 0, rest < table.count else { return Int.max / 2 }
        if broken != 0 {
            let m = Int(brokenLength)
            let next = broken > 0 ? 3 * m / 2 : 9 * m / 2
            guard next <= rest, let suffix = suffixes.first(where: { $0.1 == m })?.0 else { return Int.max / 2 }
            return 1 + suffix.count + Int(table[rest - next])
        }
        if tuplet > 0 {
            let notes = noteChars.triplet[min(tuplet, 3) - 1]
            var best = Int.max / 2
            var t = 0
            while t <= rest { best = min(best, Int(notes[t]) + Int(table[rest - t])); t += 2 }
            return best
        }
        return Int(table[rest])
    }

    /// Fewest characters for each length in u up to 600 (a bar's most): plain notes; plain notes with
    /// one at least L long; 1, 2 and 3 triplet notes. Int16.max/4 when it cannot be written.
    static let noteChars: (plain: [Int16], big: [Int16], triplet: [[Int16]]) = {
        let n = 601, never = Int16.max / 4
        let notes = suffixes.map { (m: $0.1, chars: Int16(1 + $0.0.count)) }
        var plain = [Int16](repeating: never, count: n), big = plain
        plain[0] = 0
        for r in 1 ..< n {
            for (m, c) in notes where 3 * m <= r {
                plain[r] = min(plain[r], plain[r - 3 * m] + c)
                big[r] = min(big[r], (m >= 4 ? plain[r - 3 * m] : big[r - 3 * m]) + c)
            }
        }
        var triplet: [[Int16]] = []
        var last = [Int16](repeating: never, count: n)
        last[0] = 0
        for _ in 1 ... 3 {
            var next = [Int16](repeating: never, count: n)
            for r in 1 ..< n { for (m, c) in notes where 2 * m <= r && last[r - 2 * m] < never { next[r] = min(next[r], last[r - 2 * m] + c) } }
            triplet.append(next)
            last = next
        }
        return (plain.map { min($0, never) }, big.map { min($0, never) }, triplet)
    }()

    /// Whether the bar can still be finished for some target from `b` (between elements), with
    /// the tune ending on the tonic where it must.
    func barViable(_ b: Body, _ c: BodyConfig, note: Bool) -> Bool {
        let (plain, close) = targets(b, c)
        let bar = Int16(c.bar)
        let budget = TuneReader.maxBarChars - Int(b.barChars)
        func ok(_ t: Int16, final: Bool, isClose: Bool = false) -> Bool {
            let rest = Int(t) - Int(b.fill)
            guard TuneReader.reachable(rest, tuplet: Int(b.tupletLeft), broken: b.broken, brokenLength: b.brokenLength, note: note) else { return false }
            // Room for the notes still owed (the shortest way to write them; the last tonic with an
            // accidental when the bar or a body key altered its letter), the open slurs and the bar line.
            let tonicLast = rest > 0 && final && form.endOnTonic
            let accidental = tonicLast && (b.tonicAltered || b.key >= 0 && TuneReader.keyAlterations[Int(b.key)][c.tonicLetter] != c.alterations[c.tonicLetter])
            let need = TuneReader.minChars(rest: rest, tuplet: Int(b.tupletLeft), broken: b.broken, brokenLength: b.brokenLength, bigLast: tonicLast)
            if budget < need + (accidental ? 1 : 0) + Int(b.slur) + 1 { return false }
            if rest == 0 && final && form.endOnTonic && !b.lastTonic { return false }
            if rest > 0 && final && form.endOnTonic {
                // Room for a tonic of at least L (12 u) after what is owed: the triplet's notes, the broken pair's second.
                let owed = 4 * Int(b.tupletLeft) + (b.broken > 0 ? 3 * Int(b.brokenLength) / 2 : b.broken < 0 ? 9 * Int(b.brokenLength) / 2 : 0)
                if rest - owed < 12 { return false }
            }
            if rest == 0 && b.slur > 0 && final { return false }
            // The tied note's pitch is fixed: in the last bar a tonic note must still fit after it.
            if final && form.endOnTonic && b.tie != 0 && rest < 12 { return false }
            return true
        }
        switch plain {
        case let .exact(t): if ok(t, final: false) { return true }
        case let .upTo(top):
            var t = max(Int(b.fill), 1)
            while t <= Int(top) { if t % 6 == 0 && pickupLeavesRoomForTonic(t, b, c) && ok(Int16(t), final: false) { return true }; t += 1 }
        case .none: break
        }
        if let t = close, ok(t, final: closesTune(b), isClose: true) { return true }
        if form.readsEveryLayout {
            if close != nil && b.ending != 1 && (!b.openedRepeat || b.ending == 2) {
                // `||`, `|]` or a plain `|` that ends the tune may close a part on a whole bar even after a
                // pickup, on the bar that completes the tune's pickup (then the tune ends), or short by
                // what the next part's pickup completes.
                if ok(bar, final: closesTune(b)) { return true }
                if b.tunePickup > 0 && ok(bar - b.tunePickup, final: true) { return true }
                if !closesTune(b) {
                    var t = max(Int(b.fill), 1)
                    while t < Int(bar) { if (Int(bar) - t) % 6 == 0 && ok(Int16(t), final: false) { return true }; t += 1 }
                }
            }
            // A short bar closed by `|` that the endings complete.
            if canSplitBar(b) {
                var t = max(Int(b.fill), 1)
                while t < Int(bar) { if (Int(bar) - t) % 6 == 0 && ok(Int16(t), final: false) { return true }; t += 1 }
            }
        }
        return false
    }

    /// Whether a pickup of `p` u may close here: when the bar that completes it will be the tune's
    /// last, which must end on a tonic at least L long, that bar (the bar less the pickup) needs
    /// room for it. A fixed form's pickup is every part's (the first part's sets it); the free form's
    /// final part is the one at the cap. (Without this a pickup of 7/16 in 2/4 left a last bar of
    /// 1/16: nothing could be written there.)
    func pickupLeavesRoomForTonic(_ p: Int, _ b: Body, _ c: BodyConfig) -> Bool {
        guard form.endOnTonic, p > 0, p < c.bar, c.bar - p < 12 else { return true }
        if form.partCount != nil { return b.part != 0 }
        return form.readsEveryLayout || Int(b.part) != form.freeParts - 1
    }

    /// Free form: whether the bar being written may stop short at a plain `|` with `[1` next, each
    /// ending starting with what it lacks (`c2A2 A2|[1 fg|…:|[2 (3ABc|…`), as BarChecker allows.
    func canSplitBar(_ b: Body) -> Bool {
        form.readsEveryLayout && b.splitPhase == 0 && b.ending == 0 && !b.endingsUsed && !b.pickupSlot
            && Int(b.barInPart) + 1 < form.freeBars
    }

    /// Free form: whether a plain `|` here could be the tune's last bar line (a blank line may follow),
    /// as `|]` could be: the part's bars are complete, and nothing is left open.
    func plainBarEndsTune(_ b: Body, close: Int16?, _ c: BodyConfig) -> Bool {
        guard form.readsEveryLayout, let t = close, !b.partStart, b.ending != 1, !b.openedRepeat || b.ending == 2,
              b.fill == t || b.fill == Int16(c.bar) || b.tunePickup > 0 && b.fill == Int16(c.bar) - b.tunePickup, b.tie == 0, b.slur == 0, b.splitPhase != 2, b.splitPhase != 4 else { return false }
        return !form.endOnTonic || b.lastTonic
    }

    /// Whether some completion of the tune exists from `b`.
    func bodyViable(_ b: Body, _ c: BodyConfig) -> Bool {
        if b.ended { return true }
        if b.finished || b.needEnding2 {
            if case .note = b.lex { return false }
            return true
        }
        switch b.lex {
        case .between:
            if b.partStart && b.fill == 0 && b.tupletLeft == 0 && b.prefix == 0 { return true }
            // After a short bar's `|`: `[1` (or the end of the tune).
            if b.splitPhase == 1 {
                if b.endable { return true }
                return step(b, UInt8(ascii: "["), c).flatMap { step($0, UInt8(ascii: "1"), c) }.map { bodyViable($0, c) } ?? false
            }
            if b.prefix != 0 || b.broken != 0 || b.tie != 0 {
                // A note must follow; it may have to be the tonic.
                if barViable(b, c, note: true) {
                    for ch in "^_=CDEFGABcdefgabz".utf8 { if let n = step(b, ch, c), bodyViable(n, c) { return true } }
                }
                // Free form: a tie may cross a bar line.
                if b.tie != 0 && form.readsEveryLayout, let n = step(b, UInt8(ascii: "|"), c), bodyViable(n, c) { return true }
                return false
            }
            return barViable(b, c, note: false)
        case .accidental:
            // The letter must be able to follow (the last note of the tune must be the tonic).
            for ch in "^_CDEFGABcdefgab".utf8 { if let n = step(b, ch, c), bodyViable(n, c) { return true } }
            return false
        case let .chordSymbol(n):
            // Every prefix completes into a name; what follows is a note, as after any prefix.
            var named = b
            named.lex = .between
            named.prefix |= 2
            named.barChars += Int16(7 - TuneReader.chordPrefixes.names[Int(n)].count)
            return bodyViable(named, c)
        case let .note(suffix, tonic, octave, rest, _):
            // Some length this suffix can still become must leave the bar finishable.
            var code = rest || b.notePitch == 0 ? 0 : b.notePitch + 16 * (octave + 2)
            var extra: Int16 = 0  // octave marks still to write
            if b.tie != 0 && code != b.tie {
                // Octave marks may still bring it to the tied pitch.
                let target = b.tie / 16 - 2
                guard suffix == 0, code != 0, b.notePitch == b.tie % 16, abs(target) > abs(octave),
                      octave == 0 || octave.signum() == target.signum() else { return false }
                code = b.tie
                extra = Int16(abs(target - octave))
            }
            for (m, chars) in TuneReader.trie.reachable[Int(suffix)] {
                guard var after = resolved(b, length: Int(m), tonic: tonic, code: code, c) else { continue }
                after.lex = .between
                after.barChars += chars + extra
                if barViable(after, c, note: false) { return true }
            }
            return false
        case .colon:
            return step(b, UInt8(ascii: "|"), c).map { bodyViable($0, c) } ?? false
        case .pipe:
            for ch in "|]:".utf8 { if let n = step(b, ch, c), bodyViable(n, c) { return true } }
            if !b.partStart, var n = closeBar(b, part: false, repeats: false, c) { n.lex = .between; return bodyViable(n, c) }
            return false
        case .bracket:
            for ch in "12".utf8 { if let n = step(b, ch, c), bodyViable(n, c) { return true } }
            return false
        case .paren:
            if let n = step(b, UInt8(ascii: "3"), c), bodyViable(n, c) { return true }
            var slurred = b
            slurred.slur += 1
            slurred.lex = .between
            return b.slur < TuneReader.maxSlur && barViable(slurred, c, note: true)
        case .emptyPipe:
            return barViable(b, c, note: true)
        case .bang, .keyLetter, .keyLine, .meterLetter, .meterLine:
            // Every prefix of a key completes; the line ends where a part may start.
            return true
        }
    }

    /// `b` with the pending note of raw length `m` (quarters of L) added to the bar; nil if it cannot be.
    func resolved(_ b: Body, length m: Int, tonic: Bool, code: Int8, _ c: BodyConfig) -> Body? {
        var n = b
        if b.tie != 0 { guard code == b.tie else { return nil }; n.tie = 0 }
        n.lastPitch = code
        n.notePitch = 0
        var u = 3 * m
        if b.broken != 0 {
            guard m == Int(b.brokenLength) else { return nil }
            u = b.broken > 0 ? u / 2 : u * 3 / 2
            n.broken = 0
            n.brokenLength = 0
        }
        if b.tupletLeft > 0 {
            u = 2 * m
            n.tupletLeft -= 1
        }
        guard Int(n.fill) + u <= c.bar else { return nil }
        n.fill += Int16(u)
        // The tune ends on the tonic held at least one unit length, not on a passing fragment of it.
        n.lastTonic = tonic && m >= 4 && b.tupletLeft == 0 && b.broken == 0
        n.afterNote = b.broken == 0 && b.tupletLeft == 0 ? Int8(m) : 0
        n.prefix = 0
        n.partStart = false
        return n
    }

    /// The state after character `ch`, or nil if `ch` cannot come here (viability is checked apart).
    func step(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        switch b.lex {
        case .between: return between(b, ch, c)
        case let .accidental(a, doubled): return afterAccidental(b, ch, a, doubled: doubled, c)
        case let .note(suffix, tonic, octave, rest, lower):
            return inNote(b, ch, suffix: suffix, tonic: tonic, octave: octave, rest: rest, lower: lower, c)
        case .pipe: return afterPipe(b, ch, c)
        case .colon: return afterColon(b, ch, c)
        case .bracket: return afterBracket(b, ch, c)
        case .paren: return afterParen(b, ch, c)
        case let .chordSymbol(n): return inChordSymbol(b, ch, n)
        case .bang:
            guard ch == UInt8(ascii: "\n") else { return nil }
            return newline(b)
        case .keyLetter:
            guard ch == UInt8(ascii: ":") else { return nil }
            var b = b
            b.lex = .keyLine(0)
            return b
        case let .keyLine(n): return inKeyLine(b, ch, n)
        case .meterLetter:
            guard ch == UInt8(ascii: ":") else { return nil }
            var b = b
            b.lex = .meterLine(0)
            return b
        case let .meterLine(n):
            var b = b
            let name = TuneReader.meterLinePrefixes[Int(n)]
            if ch == UInt8(ascii: "\n") {
                // A meter whose bar is a whole number of u under the tune's unit length and, within a
                // part, longer than its pickup (its last bar completes the pickup in the new meter).
                guard let m = HeaderState.meters.firstIndex(of: name), c.meterBars[m] > 0,
                      b.partStart || c.meterBars[m] > b.partPickup else { return nil }
                b.meter = Int8(m)
                b = newline(b)
                b.afterKeyLine = true
                return b
            }
            guard let next = TuneReader.meterLinePrefixes.firstIndex(of: name + String(UnicodeScalar(ch))) else { return nil }
            b.lex = .meterLine(Int8(next))
            return b
        case .emptyPipe:
            guard ch != UInt8(ascii: "|") && ch != UInt8(ascii: "]") && ch != UInt8(ascii: ":") else { return nil }
            var b = b
            b.lex = .between
            return between(b, ch, c)
        }
    }

    /// Inside a body `K:` line holding prefix `n` of a key: its newline sets the key the notes are read in.
    func inKeyLine(_ b: Body, _ ch: UInt8, _ n: Int16) -> Body? {
        var b = b
        if ch == UInt8(ascii: "\n") {
            guard let k = TuneReader.keyLinePrefixes.key[n] else { return nil }
            b.key = k
            b = newline(b)
            b.afterKeyLine = true
            return b
        }
        let name = TuneReader.keyLinePrefixes.names[Int(n)]
        guard let next = TuneReader.keyLinePrefixes.index[name + String(UnicodeScalar(ch))] else { return nil }
        b.lex = .keyLine(next)
        return b
    }

    /// After `^`, `_` or `=`: a second `^` or `_` doubles it, else the note letter.
    func afterAccidental(_ b: Body, _ ch: UInt8, _ a: Int8, doubled: Bool, _ c: BodyConfig) -> Body? {
        var b = b
        if !doubled && (ch == UInt8(ascii: "^") || ch == UInt8(ascii: "_")) && (a == 1 && ch == UInt8(ascii: "^") || a == -1 && ch == UInt8(ascii: "_")) {
            b.lex = .accidental(a * 2, doubled: true)
            b.barChars += 1
            return b
        }
        b.barChars += 1
        return noteLetter(b, ch, accidental: a, c)
    }

    /// After a note letter: octave marks, then the length (a path in the length trie); any
    /// other character ends the note, which then must fit the bar.
    func inNote(_ b: Body, _ ch: UInt8, suffix: Int8, tonic: Bool, octave: Int8, rest: Bool, lower: Bool, _ c: BodyConfig) -> Body? {
        var b = b
        if ch == UInt8(ascii: "'") || ch == UInt8(ascii: ",") {
            // `'` raises lower-case notes, `,` lowers upper-case ones (abc2midi refuses `e,`).
            let d: Int8 = ch == UInt8(ascii: "'") ? 1 : -1
            guard !rest, suffix == 0, lower == (d > 0), abs(Int(octave + d)) <= 2 else { return nil }
            b.lex = .note(suffix: 0, tonic: tonic, octave: octave + d, rest: false, lower: lower)
            b.barChars += 1
            return b
        }
        if let s = TuneReader.trie.next[Int(suffix)][ch] {
            b.lex = .note(suffix: s, tonic: tonic, octave: octave, rest: rest, lower: lower)
            b.barChars += 1
            return b
        }
        let m = TuneReader.trie.complete[Int(suffix)]
        let code = rest || b.notePitch == 0 ? 0 : b.notePitch + 16 * (octave + 2)
        guard m > 0, var n = resolved(b, length: Int(m), tonic: tonic && !rest, code: code, c) else { return nil }
        n.lex = .between
        if rest { n.afterNote = 0 }
        return between(n, ch, c)
    }

    /// After `|`: `|:` opens a repeated part, `||` or `|]` closes the part, anything else was a plain bar line.
    func afterPipe(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        var b = b
        if ch == UInt8(ascii: ":") {
            // `|:` opens a part that is played twice.
            guard b.partStart, b.fill == 0, !b.openedRepeat, form.repeated || form.partCount == nil else { return nil }
            b.openedRepeat = true
            b.mustOpenRepeat = false
            b.canEnd = false
            b.lex = .between
            b.barChars += 1
            b.afterBar = false
            return b
        }
        if ch == UInt8(ascii: "|") || ch == UInt8(ascii: "]") {
            guard !b.partStart else { return nil }
            let final = closesTune(b)
            guard b.ending != 1, !b.openedRepeat || b.ending == 2 else { return nil }  // a `|:` is closed by `:|`
            if let _ = form.partCount {
                guard !form.repeated || b.ending == 2 else { return nil }
                guard (ch == UInt8(ascii: "]")) == final else { return nil }
            }
            var n = closeBar(b, part: true, repeats: false, c)
            n?.afterSection = true
            return n
        }
        guard !b.partStart, var n = closeBar(b, part: false, repeats: false, c) else { return nil }
        n.lex = .between
        return between(n, ch, c)
    }

    /// After `:`: only `:|`, closing a repeated part (or its first ending).
    func afterColon(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        guard ch == UInt8(ascii: "|"), !b.partStart else { return nil }
        if form.partCount != nil { guard form.repeated && b.ending != 2 else { return nil } } else { guard b.ending != 2 else { return nil } }
        return closeBar(b, part: true, repeats: true, c)
    }

    /// After `[`: `1` starts a first ending, `2` the second one that is owed.
    func afterBracket(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        var b = b
        if ch == UInt8(ascii: "1") {
            // A first ending: the part is played twice and, in a fixed form, was opened with `|:` or is
            // the first (abc2midi calls `[1` after a `:|` with no `|:` between an error).
            guard !b.endingsUsed, b.ending == 0, !b.pickupSlot, b.barInPart >= 1, b.fill == 0, b.tupletLeft == 0,
                  b.openedRepeat || b.part == 0 || form.partCount == nil, form.repeated || form.partCount == nil else { return nil }
            if form.partCount != nil {
                let e = form.barsPerPart - Int(b.barInPart)
                guard e >= 1 && e <= 4 else { return nil }
            } else {
                guard Int(b.barInPart) < form.freeBars else { return nil }
            }
            b.ending = 1
            b.endingsUsed = true
            b.endingStart = b.barInPart
            if b.splitPhase == 1 { b.splitPhase = 2 }
        } else if ch == UInt8(ascii: "2") {
            guard b.needEnding2 else { return nil }
            b.needEnding2 = false
            b.ending = 2
            b.barInPart = b.endingStart
            if b.splitPhase == 3 { b.splitPhase = 4 }
            if form.partCount == nil { b.partBars = b.partBars == 0 ? b.barInPart : b.partBars }
        } else { return nil }
        b.lex = .between
        b.barChars += 1
        b.afterBar = false
        return b
    }

    /// After `(`: `3` starts a triplet; anything else means the `(` opened a slur.
    func afterParen(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        var b = b
        if ch == UInt8(ascii: "3") {
            guard b.tupletLeft == 0, b.broken == 0 else { return nil }
            b.tupletLeft = 3
            b.lex = .between
            b.barChars += 1
            b.partStart = false
            return b
        }
        guard b.slur < TuneReader.maxSlur else { return nil }
        b.slur += 1
        b.lex = .between
        return between(b, ch, c)
    }

    /// Inside a chord symbol holding prefix `n` of a chord name abc2midi knows: `G`, `Em`, `D7`, `Bbmaj7`, `F#m7`, `Asus4`…
    func inChordSymbol(_ b: Body, _ ch: UInt8, _ n: Int16) -> Body? {
        var b = b
        let name = TuneReader.chordPrefixes.names[Int(n)]
        if ch == UInt8(ascii: "\"") {
            guard TuneReader.chordPrefixes.complete.contains(n) else { return nil }
            b.lex = .between
            b.prefix |= 2
            b.barChars += 1
            return b
        }
        guard let next = TuneReader.chordPrefixes.index[name + String(UnicodeScalar(ch))] else { return nil }
        b.lex = .chordSymbol(next)
        b.barChars += 1
        return b
    }

    /// What `between` clears on each character, as it was before this one.
    struct Before {
        /// The raw length of the note just ended (0 after anything else).
        var justNote: Int8
        var space: Bool
        var afterBar: Bool
        var lineStart: Bool
        var afterKeyLine: Bool
        var afterSection: Bool
    }

    /// A character between elements.
    func between(_ b: Body, _ ch: UInt8, _ c: BodyConfig) -> Body? {
        var b = b
        let was = Before(justNote: b.afterNote, space: b.space, afterBar: b.afterBar, lineStart: b.lineStart, afterKeyLine: b.afterKeyLine,
                         afterSection: b.afterSection)
        b.afterNote = 0
        if ch != UInt8(ascii: "-") && ch != UInt8(ascii: ">") && ch != UInt8(ascii: "<") { b.lastPitch = 0 }
        b.space = false
        b.afterBar = false
        b.lineStart = false
        b.afterKeyLine = false
        b.afterSection = false
        if b.finished || b.needEnding2 { return afterLastBar(b, ch, was) }
        // A tie waits for its note, next and in the same bar (the same pitch, no accidental); the
        // free form lets it cross a plain bar line.
        if b.tie != 0 && !((ch >= UInt8(ascii: "A") && ch <= UInt8(ascii: "G")) || (ch >= UInt8(ascii: "a") && ch <= UInt8(ascii: "g"))
                           || (ch == UInt8(ascii: "|") && form.readsEveryLayout)) { return nil }
        // Broken rhythm waits for its note; a decoration or chord symbol for its note (one decoration each).
        if b.broken != 0 && !isNoteStart(ch) { return nil }
        if b.prefix != 0 && !isNoteStart(ch) && !((ch == UInt8(ascii: "~") || ch == UInt8(ascii: ".")) && b.prefix & 1 == 0) { return nil }
        if ch == UInt8(ascii: "\n") {
            if was.afterBar { return newline(b) }
            // A blank line ends the tune where the free form allows it.
            guard was.lineStart && (b.canEnd && b.partStart && b.fill == 0 || b.endable) else { return nil }
            b.ended = true
            return b
        }
        // After a short bar's `|`, only `[1` (on this line or the next).
        if b.splitPhase == 1 && ch != UInt8(ascii: "!") && ch != UInt8(ascii: "[") { return nil }
        if was.afterBar && b.lineBars >= Int8(TuneReader.maxLineBars) && ch != UInt8(ascii: "!") { return nil }
        if b.mustOpenRepeat && b.partStart && ch != UInt8(ascii: "|") && ch != UInt8(ascii: "!") { return nil }
        if ch == UInt8(ascii: "K") || ch == UInt8(ascii: "M") { return fieldLineStart(b, ch, was) }
        if ch != UInt8(ascii: "!") { b.canEnd = false; b.endable = false }
        b.barChars += 1
        return elementStart(b, ch, was, c)
    }

    /// Free form: a `K:` or `M:` line at the start of a line between parts changes the key or the
    /// meter (one such line at a time; a meter not while the next pickup is owed a length). An `M:`
    /// line may also start a line within a part, after a bar line, outside endings.
    func fieldLineStart(_ b: Body, _ ch: UInt8, _ was: Before) -> Body? {
        guard form.readsEveryLayout, was.lineStart, !was.afterKeyLine, b.fill == 0,
              b.tupletLeft == 0, b.prefix == 0, b.slur == 0, b.splitPhase == 0 else { return nil }
        let meter = ch == UInt8(ascii: "M")
        if meter && b.owedPickup > 0 { return nil }
        if b.partStart { guard b.part > 0 else { return nil } } else {
            guard meter, b.ending == 0, !b.needEnding2, b.tie == 0 else { return nil }
        }
        var b = b
        b.canEnd = false
        b.endable = false
        b.lex = ch == UInt8(ascii: "K") ? .keyLetter : .meterLetter
        return b
    }

    /// Between elements once the tune is finished or an ending is owed: only the end of the line,
    /// then the blank line (finished) or `[2` (an ending is owed).
    func afterLastBar(_ b: Body, _ ch: UInt8, _ was: Before) -> Body? {
        var b = b
        switch ch {
        case UInt8(ascii: "!"): guard was.afterBar else { return nil }; b.lex = .bang; return b
        case UInt8(ascii: "\n"):
            if was.afterBar { return newline(b) }
            guard was.lineStart && b.finished else { return nil }
            b.ended = true
            return b
        case UInt8(ascii: "["): guard b.needEnding2 else { return nil }; b.lex = .bracket; return b
        default: return nil
        }
    }

    /// The first character of an element (a note, an accidental, a decoration, a bar line…).
    func elementStart(_ b: Body, _ ch: UInt8, _ was: Before, _ c: BodyConfig) -> Body? {
        var b = b
        switch ch {
        case UInt8(ascii: "A") ... UInt8(ascii: "G"), UInt8(ascii: "a") ... UInt8(ascii: "g"), UInt8(ascii: "z"):
            return noteLetter(b, ch, accidental: nil, c)
        case UInt8(ascii: "^"): b.lex = .accidental(1, doubled: false)
        case UInt8(ascii: "_"): b.lex = .accidental(-1, doubled: false)
        case UInt8(ascii: "="): b.lex = .accidental(0, doubled: false)
        case UInt8(ascii: " "):
            guard !was.space, !was.lineStart, b.prefix == 0, b.tupletLeft == 0 else { return nil }
            b.space = true
        case UInt8(ascii: "~"), UInt8(ascii: "."):
            b.prefix |= 1
        case UInt8(ascii: "\""):
            guard b.prefix == 0 else { return nil }
            b.lex = .chordSymbol(0)
        case UInt8(ascii: "-"):
            guard was.justNote > 0, b.lastPitch != 0, b.tupletLeft == 0 else { return nil }
            b.tie = b.lastPitch
        case UInt8(ascii: ">"), UInt8(ascii: "<"):
            return brokenRhythm(b, ch, justNote: was.justNote, c)
        case UInt8(ascii: "("):
            guard b.prefix == 0 else { return nil }
            b.lex = .paren
        case UInt8(ascii: ")"):
            guard b.slur > 0, b.broken == 0 else { return nil }
            b.slur -= 1
        case UInt8(ascii: "|"):
            // The parser reads `|||:` and `|]|:` as one bar line, a repeat start with no section end.
            guard b.tupletLeft == 0, b.broken == 0, b.prefix == 0, !was.afterSection else { return nil }
            // Free form: a line may start with the `|` the line before ended with (an empty bar).
            let empty = form.readsEveryLayout && was.lineStart && !was.afterKeyLine && b.fill == 0 && !b.partStart && b.tie == 0 && b.splitPhase == 0
            b.lex = empty ? .emptyPipe : .pipe
        case UInt8(ascii: ":"):
            guard b.tupletLeft == 0, b.broken == 0, b.prefix == 0, !b.partStart else { return nil }
            b.lex = .colon
        case UInt8(ascii: "["):
            guard was.afterBar || was.lineStart else { return nil }
            b.lex = .bracket
        case UInt8(ascii: "!"):
            guard was.afterBar else { return nil }
            b.lex = .bang
        default:
            return nil
        }
        return b
    }

    /// Broken rhythm: the note before (of raw length `justNote`) is lengthened (`>`) or shortened (`<`) by half its length.
    func brokenRhythm(_ b: Body, _ ch: UInt8, justNote: Int8, _ c: BodyConfig) -> Body? {
        var b = b
        guard justNote > 0, justNote % 4 == 0, justNote <= 16, b.tupletLeft == 0 else { return nil }
        let half = Int16(3 * Int(justNote) / 2)
        if ch == UInt8(ascii: ">") { guard Int(b.fill) + Int(half) <= c.bar else { return nil }; b.fill += half; b.broken = 1 }
        else { b.fill -= half; b.broken = -1 }
        b.brokenLength = justNote
        return b
    }

    func isNoteStart(_ ch: UInt8) -> Bool {
        (ch >= UInt8(ascii: "A") && ch <= UInt8(ascii: "G")) || (ch >= UInt8(ascii: "a") && ch <= UInt8(ascii: "g"))
            || ch == UInt8(ascii: "z") || ch == UInt8(ascii: "^") || ch == UInt8(ascii: "_") || ch == UInt8(ascii: "=")
    }

    func newline(_ b: Body) -> Body {
        var b = b
        b.lex = .between
        b.lineStart = true
        b.lineBars = 0
        b.afterBar = false
        return b
    }

    /// A note letter (or `z`) read, after `accidental` if one was written.
    func noteLetter(_ b: Body, _ ch: UInt8, accidental: Int8?, _ c: BodyConfig) -> Body? {
        var b = b
        if ch == UInt8(ascii: "z") {
            guard accidental == nil else { return nil }
            b.lex = .note(suffix: 0, tonic: false, octave: 0, rest: true, lower: false)
            b.notePitch = 0
            return b
        }
        guard let letter = KeySignature.letterIndex(code: ch & ~0x20), isNoteStart(ch), ch != UInt8(ascii: "z") else { return nil }
        b.notePitch = accidental == nil ? Int8(1 + letter + (ch >= UInt8(ascii: "a") ? 7 : 0)) : 0
        var tonic = false
        if letter == c.tonicLetter {
            if let a = accidental {
                tonic = a == c.alterations[letter]
                b.tonicAltered = true
            } else {
                tonic = !b.tonicAltered && (b.key < 0 || TuneReader.keyAlterations[Int(b.key)][letter] == c.alterations[letter])
            }
        }
        b.lex = .note(suffix: 0, tonic: tonic, octave: 0, rest: false, lower: ch >= UInt8(ascii: "a"))
        return b
    }

    /// Closes the current bar at a bar line: plain `|`, or the part's (or ending's) closing one.
    func closeBar(_ b: Body, part: Bool, repeats: Bool, _ c: BodyConfig) -> Body? {
        var b = b
        guard b.tupletLeft == 0, b.broken == 0, b.prefix == 0, b.fill > 0 else { return nil }
        guard part ? closePart(&b, repeats: repeats, c) : closePlainBar(&b, c) else { return nil }
        b.fill = 0
        b.barChars = 0
        b.tonicAltered = false
        b.lastTonic = false
        b.lex = .between
        b.afterBar = true
        b.lineBars += 1
        return b
    }

    /// `closeBar` at the bar line that closes a part or an ending; false where it may not close.
    private func closePart(_ b: inout Body, repeats: Bool, _ c: BodyConfig) -> Bool {
        let close = targets(b, c).close
        // The free form may close with `||` or `|]` on a whole bar even after a pickup (BarChecker accepts
        // any whole bar), on the bar that completes the tune's pickup (the tune may end there), or
        // short by what the next part's pickup will complete.
        let bar = Int16(c.bar)
        guard let t = close, b.tie == 0 else { return false }
        let single = form.readsEveryLayout && !repeats && b.ending != 1
        let regular = b.fill == t || single && (b.fill == bar || b.tunePickup > 0 && b.fill == bar - b.tunePickup)
        let owes = single && b.fill != t && !closesTune(b) && b.fill < bar && (bar - b.fill) % 6 == 0
        guard regular || owes else { return false }
        b.owedPickup = owes ? bar - b.fill : 0
        let final = closesTune(b)
        if final && form.endOnTonic && !b.lastTonic { return false }
        if final && b.slur > 0 { return false }
        if b.ending == 1 {
            // Ending 1 closed by `:|`: ending 2 must follow, as long.
            guard repeats else { return false }
            b.barInPart += 1
            if form.partCount == nil { b.partBars = b.barInPart }
            b.ending = 0
            b.needEnding2 = true
        } else {
            b.mustOpenRepeat = !form.readsEveryLayout && b.ending == 2 && b.tunePickup > 0
            if form.partCount == nil {
                b.canEnd = regular && (!form.endOnTonic || b.lastTonic)
                if b.slur > 0 { b.canEnd = false }
            }
            b.part += 1
            b.barInPart = 0
            b.pickupSlot = form.partCount == nil || b.tunePickup > 0
            b.partPickup = b.tunePickup
            b.partStart = true
            b.openedRepeat = false
            b.ending = 0
            b.endingsUsed = false
            b.partBars = 0
            if let n = form.partCount { b.finished = Int(b.part) == n } else { b.finished = Int(b.part) == form.freeParts }
        }
        return true
    }

    /// `closeBar` at a plain `|`; false where the bar may not end.
    private func closePlainBar(_ b: inout Body, _ c: BodyConfig) -> Bool {
        let (plain, close) = targets(b, c)
        let fits: Bool
        switch plain {
        case let .exact(t): fits = b.fill == t
        case let .upTo(top): fits = b.fill <= top
        case .none: fits = false
        }
        // Free form: a short bar the endings complete, or a last bar closed by a plain `|`.
        let splits = !fits && canSplitBar(b) && b.fill < Int16(c.bar) && (c.bar - Int(b.fill)) % 6 == 0 && b.tie == 0
        let ends = plainBarEndsTune(b, close: close, c)
        guard fits || splits || ends else { return false }
        b.endable = ends
        if !fits {
            if splits {
                b.barInPart += 1
                b.split = Int16(c.bar) - b.fill
                b.splitPhase = 1
            } else {
                b.finished = true
            }
        } else if b.splitPhase == 2 || b.splitPhase == 4 {
            // An ending's first bar, completing the bar before the endings: not a bar of its own.
            b.splitPhase = b.splitPhase == 2 ? 3 : 0
            if b.splitPhase == 0 { b.split = 0 }
        } else if b.pickupSlot {
            guard pickupLeavesRoomForTonic(Int(b.fill), b, c) else { return false }
            let bar = Int16(c.bar)
            b.owedPickup = 0
            if b.part == 0 { b.tunePickup = b.fill == bar ? 0 : b.fill }
            b.partPickup = b.fill == bar ? 0 : b.fill
            if b.fill == bar { b.barInPart = 1 }
            b.pickupSlot = false
        } else {
            b.barInPart += 1
        }
        b.canEnd = false
        return true
    }
}

extension String {
    var trimmingSpaces: Substring { drop { $0 == " " } }
}
