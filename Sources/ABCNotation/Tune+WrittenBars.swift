// Tune+WrittenBars: a tune's first voice as written, bar by bar: each bar's sounds (MIDI pitches
// and exact lengths, key and bar accidentals, tuplets and broken rhythm applied, repeats NOT
// expanded), the bar lines after it, and the ending or part that starts with it. A read-only
// public view of the same voice timeline the tier checks and the score use, for tools that
// judge form (evaluate: parts, bar recurrence, copies) rather than play.

/// One sounding or silent thing in a written bar.
public struct WrittenSound: Sendable, Hashable {
    /// MIDI pitches (one for a note, several for a chord, none for a rest).
    public var pitches: [Int]
    /// Length in whole notes.
    public var duration: Rational
}

/// One bar as written: the sounds between two bar lines (or ending marks, part marks, the ends).
public struct WrittenBar: Sendable, Hashable {
    /// The sounds, in order.
    public var sounds: [WrittenSound]
    /// Sum of the sounds' lengths in whole notes; nil when it overflows exact arithmetic.
    public var length: Rational?
    /// Bars of a multi-bar rest (`Z4` is 4) in this bar, 0 otherwise.
    public var multiBars: Int
    /// The bar length of the meter in force, in whole notes; nil in free meter.
    public var meterBarLength: Rational?
    /// The bar lines written after this bar, before the next sound (usually one; `:| |:` is two).
    /// Empty when the bar is closed by an ending mark, a part mark or the end of the tune.
    public var barLinesAfter: [BarLine]
    /// The numbers of an ending that starts with this bar (`|1`, `[2`, `:|2`), if one does.
    public var endingStart: [Int]?
    /// The `P:` label of a part that starts with this bar, if one does.
    public var partStart: String?
    /// True when a `|:` (or `::`) stands before this bar with no sound between.
    public var repeatStartBefore: Bool
    /// Where the bar's first sound is written.
    public var location: SourceLocation

    /// Closed by a repeat end (`:|`, `::`, `:|:`).
    public var endsRepeat: Bool { barLinesAfter.contains { $0.isRepeatEnd } }
    /// Followed by a repeat start (`|:`, `::`).
    public var startsRepeatAfter: Bool { barLinesAfter.contains { $0.isRepeatStart } }
    /// Closed by a double or thick bar (`||`, `|]`, `[|`).
    public var endsSection: Bool { barLinesAfter.contains { $0.isSectionEnd } }
}

extension Tune {
    /// The first voice's bars in written order. O(sounds).
    public func writtenBars() -> [WrittenBar] {
        guard let voice = timelines.first else { return [] }
        var meter = self.meter
        var bars: [WrittenBar] = []
        var sounds: [WrittenSound] = []
        var length: Rational? = .zero
        var multi = 0
        var location = SourceLocation(line: startLine, column: 1)
        var pendingEnding: [Int]?
        var pendingPart: String?
        var pendingRepeatStart = false
        func close() {
            guard !sounds.isEmpty else { return }
            bars.append(WrittenBar(sounds: sounds, length: length, multiBars: multi, meterBarLength: meter.barLength,
                                   barLinesAfter: [], endingStart: pendingEnding, partStart: pendingPart,
                                   repeatStartBefore: pendingRepeatStart, location: location))
            sounds = []
            length = .zero
            multi = 0
            pendingEnding = nil
            pendingPart = nil
            pendingRepeatStart = false
        }
        for item in voice.items {
            switch item {
            case let .sound(sound):
                if sounds.isEmpty { location = sound.location }
                sounds.append(WrittenSound(pitches: Array(voice.pitches[sound.pitchRange]), duration: sound.duration))
                multi += sound.multiBars
                if sound.multiBars == 0 { length = length?.adding(sound.duration) }
            case let .bar(bar, _):
                // The bar line belongs to the bar before it, unless something that starts the next
                // bar (|:, an ending, a part) stands between them.
                let hadSounds = !sounds.isEmpty
                close()
                let startsNext = pendingRepeatStart || pendingEnding != nil || pendingPart != nil
                if hadSounds || !startsNext, let last = bars.indices.last { bars[last].barLinesAfter.append(bar) }
                if bar.isRepeatStart { pendingRepeatStart = true }
            case let .ending(numbers, _):
                close()
                pendingEnding = numbers
            case let .meter(m):
                meter = m
            case let .part(label):
                close()
                pendingPart = label
            case .tempo, .chordSymbol:
                break
            }
        }
        close()
        return bars
    }
}
