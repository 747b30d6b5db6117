// TuneFeatures: everything `evaluate` measures on one tune, read once from the parse (tiers, the
// written bars of the first voice) and the timed events (the melody as played). Set statistics,
// the MGEval comparison and the novelty search all work from these values, never from the text.
import ABCNotation
import Foundation

/// Where a tune comes from: `file:line` of its `X:` line, and its title.
public struct TuneOrigin: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var title: String?

    public var description: String { "\(file):\(line)" }
}

/// One part of a tune's form: the bars between two section marks, a repeated section with its
/// endings counted once (the body plus the first ending).
public struct TunePart: Sendable, Hashable, Codable {
    /// Length in bars: the part's written length (pickup included, later endings excluded) over
    /// the meter's bar length. 8 for a well-formed reel part with a pickup and a short last bar.
    public var bars: Double
    /// The length in bars is not a whole number.
    public var fractional: Bool
    /// The part ends with `:|` (played twice).
    public var repeated: Bool
    /// The last note of the part (of its last ending) is a chord tone of I or V; nil when unknown.
    public var endsOnChordTone: Bool?
}

/// The measured values of one tune.
public struct TuneFeatures: Sendable {
    // Bins of the three melody histograms, shared by every set (the "one shared grid").
    /// Interval bins: −12 ... +12 semitones, the outer bins holding everything beyond.
    public static let intervalRange = -12...12
    /// Note-length bins in whole notes (a quarter note is 1/4); anything else is "other".
    public static let lengthBins: [Rational] = [Rational(1, 32)!, Rational(1, 16)!, Rational(1, 12)!, Rational(1, 8)!,
                                                Rational(1, 6)!, Rational(3, 16)!, Rational(1, 4)!, Rational(3, 8)!,
                                                Rational(1, 2)!, Rational(3, 4)!, Rational(1)]
    public static var lengthLabels: [String] { lengthBins.map(\.description) + ["other"] }
    public static var intervalLabels: [String] {
        intervalRange.map { $0 == -12 ? "≤-12" : $0 == 12 ? "≥+12" : ($0 > 0 ? "+\($0)" : "\($0)") }
    }
    public static let pitchClassLabels = ["1", "♭2", "2", "♭3", "3", "4", "♯4", "5", "♭6", "6", "♭7", "7"]

    public var origin: TuneOrigin
    /// 0...4: consecutive validity tiers passed (`Tune.validity`).
    public var tier: Int
    /// The tune has error diagnostics (tier 1 fails); its music is not measured.
    public var hasErrors: Bool
    /// The strict bar check (see `StrictBarCheck`): problems found, empty when it passes.
    public var strictProblems: [String]
    /// `K:` as "D major", "A dorian" ("none" for K:none).
    public var keyLabel: String
    /// `M:` as written ("6/8", "C|", "none").
    public var meterLabel: String

    // Form (empty parts: free meter or no bars).
    public var parts: [TunePart] = []
    // Closure and coherence (nil: not measurable, e.g. no notes or K:none).
    public var endsOnTonic: Bool?
    /// Full bars (the meter's length, with notes) and how many of them occur more than once in the tune.
    public var fullBars = 0
    public var recurringBars = 0
    /// The first full bar (the pickup skipped) occurs again later; nil without a full bar.
    public var openingBarReturns: Bool?

    // Melody: the first voice as played (repeats expanded), the top note where notes start together.
    public var noteCount = 0
    public var pitchRange = 0
    public var distinctPitches = 0
    /// Notes whose pitch class is in the key signature's scale (K:none: none counted).
    public var notesInScale = 0
    public var scaleKnown = false
    /// Counts per bin: 12 tonic-relative pitch classes; intervals on `intervalRange`; lengths on `lengthBins` + other.
    public var pitchClassCounts = [Int](repeating: 0, count: 12)
    public var intervalCounts = [Int](repeating: 0, count: TuneFeatures.intervalRange.count)
    public var lengthCounts = [Int](repeating: 0, count: TuneFeatures.lengthBins.count + 1)

    // Novelty inputs: written order, repeats not expanded.
    /// One token per note or chord (top pitch and exact length); rests are skipped.
    public var noteTokens: [Int64] = []
    /// The music lines' characters without spaces, tabs and line breaks.
    public var musicChars: [Int64] = []
    /// Hashes of the full bars' contents (pitches and lengths), in order.
    public var fullBarKeys: [Int] = []

    /// Tunes whose music is measured: no errors and at least one note.
    public var isMeasured: Bool { !hasErrors && noteCount > 0 }
    public var strictValid: Bool { strictProblems.isEmpty }
    public var isAABB: Bool { parts.count == 2 && parts.allSatisfy { $0.repeated && !$0.fractional && $0.bars == 8 } }
    public var hasFractionalPart: Bool { parts.contains { $0.fractional } }
    public var meanAbsInterval: Double {
        var sum = 0, n = 0
        for (k, c) in intervalCounts.enumerated() { sum += abs(k + TuneFeatures.intervalRange.lowerBound) * c; n += c }
        return n == 0 ? 0 : Double(sum) / Double(n)
    }
}

extension TuneFeatures {
    /// Measures `tune`. O(notes) plus one `score()`.
    public init(_ tune: Tune) {
        origin = TuneOrigin(file: tune.fileName, line: tune.startLine, title: tune.title)
        tier = tune.validity.highestTier
        hasErrors = tune.hasErrors
        keyLabel = TuneFeatures.keyLabel(tune.key)
        meterLabel = TuneFeatures.meterLabel(tune.meter)
        let bars = tune.writtenBars()
        strictProblems = StrictBarCheck.problems(tune)
        let tonic = TuneFeatures.tonicPitchClass(tune.key)
        let scale = TuneFeatures.scalePitchClasses(tune.key)
        readMusicText(tune)
        readBars(bars, tonic: tonic, scale: scale)
        guard !hasErrors else { return }
        readMelody(tune.score().score, tonic: tonic, scale: scale)
    }

    /// "D major", "A dorian", "E minor" (aeolian is minor, ionian major), "A mixolydian" for K:HP.
    static func keyLabel(_ key: KeySignature) -> String {
        guard let tonic = key.tonic else { return "none" }
        let name = key.isHighlandPipes ? "A" : tonic
        let mode: String
        switch key.mode {
        case .major, .ionian: mode = "major"
        case .minor, .aeolian: mode = "minor"
        default: mode = key.mode.rawValue
        }
        return "\(name) \(mode)"
    }

    static func meterLabel(_ meter: Meter) -> String {
        switch meter {
        case .free: return "none"
        case .common: return "C"
        case .cut: return "C|"
        case let .fraction(numerators, denominator):
            return numerators.map(String.init).joined(separator: "+") + "/\(denominator)"
        }
    }

    /// The pitch class (0 = C) of the `K:` tonic as written (the mode's own tonic: A for K:Ador,
    /// A for K:HP); nil for K:none.
    static func tonicPitchClass(_ key: KeySignature) -> Int? {
        guard let tonic = key.tonic else { return nil }
        if key.isHighlandPipes { return 9 }
        let base: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]
        guard let letter = tonic.first, let pc = base[letter] else { return nil }
        let shift = tonic.dropFirst().first == "#" ? 1 : tonic.dropFirst().first == "b" ? -1 : 0
        return (pc + shift + 12) % 12
    }

    /// The seven pitch classes of the key signature (mode-aware by construction: K:Ador has no
    /// sharps, so A dorian's scale; explicit accidentals included); nil for K:none.
    static func scalePitchClasses(_ key: KeySignature) -> Set<Int>? {
        guard key.tonic != nil else { return nil }
        let natural = [0, 2, 4, 5, 7, 9, 11]
        return Set((0..<7).map { (natural[$0] + key.alterations[$0] + 24) % 12 })
    }

    /// The chord tones of I and V relative to the tonic (degrees 1 3 5 and 5 7 2 of the key's
    /// own scale, so v is minor in dorian): every scale degree but 4 and 6.
    static func chordTones(scale: Set<Int>, tonic: Int) -> Set<Int> {
        let degrees = scale.map { ($0 - tonic + 12) % 12 }.sorted()
        guard degrees.count == 7, degrees[0] == 0 else { return [0, 7] }
        return [degrees[0], degrees[1], degrees[2], degrees[4], degrees[6]]
    }

    static func token(pitch: Int, duration: Rational) -> Int64 {
        Int64(pitch & 0xFF) << 48 | Int64(duration.numerator & 0xFFFFFF) << 24 | Int64(duration.denominator & 0xFFFFFF)
    }

    mutating func readMusicText(_ tune: Tune) {
        // The music starts on the line after K: (the last header field).
        let lines = tune.sourceText.split(separator: "\n", omittingEmptySubsequences: false)
        var inBody = false
        for line in lines {
            if !inBody {
                if line.hasPrefix("K:") { inBody = true }
                continue
            }
            if line.hasPrefix("%") { continue }
            for b in line.utf8 where b != 0x20 && b != 0x09 && b != 0x0D && b != UInt8(ascii: "!") { musicChars.append(Int64(b)) }
        }
    }

    mutating func readBars(_ bars: [WrittenBar], tonic: Int?, scale: Set<Int>?) {
        var seen: [Int: Int] = [:]
        for bar in bars {
            for sound in bar.sounds {
                guard let top = sound.pitches.max() else { continue }
                noteTokens.append(TuneFeatures.token(pitch: top, duration: sound.duration))
            }
            guard bar.multiBars == 0, let length = bar.length, length == bar.meterBarLength,
                  bar.sounds.contains(where: { !$0.pitches.isEmpty }) else { continue }
            var hasher = Hasher()
            hasher.combine(bar.sounds)
            let key = hasher.finalize()
            fullBarKeys.append(key)
            seen[key, default: 0] += 1
        }
        fullBars = fullBarKeys.count
        recurringBars = fullBarKeys.filter { seen[$0]! > 1 }.count
        if let first = fullBarKeys.first { openingBarReturns = fullBarKeys.dropFirst().contains(first) }
        let chordTones = tonic.flatMap { t in scale.map { TuneFeatures.chordTones(scale: $0, tonic: t) } }
        parts = FormReader.parts(bars).map { part in
            var p = part.part
            if let tones = chordTones, let t = tonic,
               let last = bars[part.lastBar].sounds.last(where: { !$0.pitches.isEmpty })?.pitches.max() {
                p.endsOnChordTone = tones.contains((last - t + 12) % 12)
            }
            return p
        }
    }

    mutating func readMelody(_ score: Score, tonic: Int?, scale: Set<Int>?) {
        guard let voice = score.voices.first else { return }
        // The melody: where notes start together (a chord), the top one.
        var melody: [NoteEvent] = []
        melody.reserveCapacity(voice.notes.count)
        for note in voice.notes {
            if let last = melody.last, abs(last.onset - note.onset) < 1e-9 {
                if note.pitch > last.pitch { melody[melody.count - 1] = note }
            } else {
                melody.append(note)
            }
        }
        noteCount = melody.count
        guard let first = melody.first else { return }
        var low = first.pitch, high = first.pitch
        var pitches = Set<Int>()
        scaleKnown = scale != nil
        for (k, note) in melody.enumerated() {
            low = min(low, note.pitch)
            high = max(high, note.pitch)
            pitches.insert(note.pitch)
            if let scale, scale.contains(note.pitch % 12) { notesInScale += 1 }
            if let t = tonic { pitchClassCounts[(note.pitch - t + 120) % 12] += 1 }
            if k > 0 {
                let step = min(max(note.pitch - melody[k - 1].pitch, -12), 12)
                intervalCounts[step + 12] += 1
            }
            lengthCounts[TuneFeatures.lengthBin(beats: note.duration)] += 1
        }
        pitchRange = high - low
        distinctPitches = pitches.count
        if let t = tonic { endsOnTonic = melody.last!.pitch % 12 == t }
    }

    /// The bin of a note `beats` long (a quarter note is 1 beat) on `lengthBins`, or the last ("other").
    static func lengthBin(beats: Double) -> Int {
        let whole = beats / 4
        for (k, bin) in lengthBins.enumerated() where abs(bin.doubleValue - whole) < 1e-6 { return k }
        return lengthBins.count
    }
}
