// FormReader: a tune's parts from its written bars, and the strict bar check that agrees with
// abc2midi on repeats. Both read the same section marks: `|:`, `:|`, `::`, `||`, `|]`, `[|`,
// endings and `P:`.
import ABCNotation

enum FormReader {
    /// The parts of a tune, each with the index of its last written bar. A part ends at a section
    /// mark; a `:|` followed by a later ending (`:|2`) keeps the part open, and a later ending
    /// ends the part when it reaches the first ending's length (when no mark ends it sooner).
    /// Empty in free meter or when a bar's length overflows.
    static func parts(_ bars: [WrittenBar]) -> [(part: TunePart, lastBar: Int)] {
        var out: [(part: TunePart, lastBar: Int)] = []
        var count = Rational.zero            // bars counted so far in this part (body + first ending)
        var firstEnding = Rational.zero      // bars in the first ending
        var laterEnding = Rational.zero      // bars in the current later ending
        var ending: Int?                     // the ending being read (lowest number)
        var repeated = false
        var open = false
        var last = 0
        func close() {
            guard open else { return }
            out.append((TunePart(bars: count.doubleValue, fractional: count.denominator != 1, repeated: repeated,
                                 endsOnChordTone: nil), last))
            count = .zero
            firstEnding = .zero
            laterEnding = .zero
            ending = nil
            repeated = false
            open = false
        }
        for (k, bar) in bars.enumerated() {
            guard let barLength = bar.meterBarLength, let inverse = Rational(barLength.denominator, barLength.numerator) else { return [] }
            if bar.partStart != nil || bar.repeatStartBefore { close() }
            if let numbers = bar.endingStart, let n = numbers.min() {
                ending = n
                laterEnding = .zero
            }
            let counted: Rational
            if bar.multiBars > 0 {
                counted = Rational(bar.multiBars)
            } else {
                guard let length = bar.length, let b = length.multiplied(by: inverse) else { return [] }
                counted = b
            }
            open = true
            last = k
            switch ending {
            case nil:
                guard let c = count.adding(counted) else { return [] }
                count = c
            case 1?:
                guard let c = count.adding(counted), let e = firstEnding.adding(counted) else { return [] }
                count = c
                firstEnding = e
            default:
                guard let e = laterEnding.adding(counted) else { return [] }
                laterEnding = e
            }
            let nextIsLaterEnding = k + 1 < bars.count && (bars[k + 1].endingStart?.min() ?? 1) > 1
            if bar.endsRepeat { repeated = true }
            if bar.endsRepeat || bar.startsRepeatAfter || bar.endsSection {
                if !nextIsLaterEnding { close() }
            } else if let e = ending, e > 1, firstEnding > .zero, !(laterEnding < firstEnding), !nextIsLaterEnding {
                close()
            }
        }
        close()
        return out
    }
}

/// The strict bar check is ABCNotation's own tier 4: the same rules `check` and the reader that
/// steers `generate` apply (every bar the meter's length except a pickup; the bar before `:|` with
/// the bar the repeat returns to makes one whole bar, as abc2midi counts it; the last bar completes
/// the pickup; endings balanced). Evaluation does not keep a second copy of them.
enum StrictBarCheck {
    /// The problems found, as `line:column: message`; empty when the tune passes.
    static func problems(_ tune: Tune) -> [String] {
        guard !tune.validity.passesTier(4) else { return [] }
        let found = tune.diagnostics
            .filter { $0.severity == .error || $0.category == .barLength || $0.category == .repeats }
            .map { "\($0.line):\($0.column): \($0.message)" }
        return found.isEmpty ? ["fails validity tier \(tune.validity.highestTier + 1)"] : found
    }
}
