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

/// The strict bar check: the tune passes tiers 1–4, and, as abc2midi plays it, every bar before a
/// `:|` makes one whole bar with the first bar of the section the repeat returns to (a whole bar
/// when that bar is whole), the last bar makes one with the tune's pickup or its section's, and every first ending
/// closed by `:|` has a later ending.
///
/// This is the one function to swap for ABCNotation's own tiers once they are this strict
/// (branch `constrain`: then `tune.validity.passesTier(4)` alone is the strict check).
enum StrictBarCheck {
    /// The problems found, as short messages with `line:column`; empty when the tune passes.
    static func problems(_ tune: Tune, bars: [WrittenBar]) -> [String] {
        var problems: [String] = []
        if !tune.validity.passesTier(4) {
            problems.append("fails validity tier \(tune.validity.highestTier + 1)")
        }
        guard !bars.isEmpty else { return problems.isEmpty ? ["no music"] : problems }
        var sectionStart = 0
        for (k, bar) in bars.enumerated() {
            guard let whole = bar.meterBarLength, bar.multiBars == 0, let length = bar.length else {
                if bar.partStart != nil || bar.repeatStartBefore { sectionStart = k }
                continue
            }
            let where_ = "\(bar.location.line):\(bar.location.column)"
            if bar.partStart != nil || (bar.repeatStartBefore && (bar.endingStart?.min() ?? 1) == 1) { sectionStart = max(sectionStart, k) }
            let nextIsLaterEnding = k + 1 < bars.count && (bars[k + 1].endingStart?.min() ?? 1) > 1
            if bar.endsRepeat {
                let target = bars[sectionStart]
                let first = (target.multiBars == 0 && (target.length ?? whole) < whole) ? (target.length ?? .zero) : .zero
                if length.adding(first) != whole {
                    problems.append("\(where_): the bar before :| is \(length) of a whole note; with the \(first) it returns to it makes \(length.adding(first) ?? length), not \(whole)")
                }
                if let e = bar.endingStart ?? openEnding(bars, before: k), e.min() == 1, !nextIsLaterEnding {
                    problems.append("\(where_): a first ending closed by :| has no later ending")
                }
            } else if k == bars.count - 1, length < whole {
                // It completes the tune's pickup, or the pickup of the section it ends.
                let pickups = [bars[0], bars[sectionStart]].compactMap { $0.multiBars == 0 ? $0.length : nil }.filter { $0 < whole }
                if !pickups.contains(where: { $0.adding(length) == whole }) {
                    problems.append("\(where_): the last bar is \(length) of a whole note and does not complete the pickup")
                }
            }
            if (bar.endsRepeat && !nextIsLaterEnding) || bar.startsRepeatAfter || bar.endsSection { sectionStart = k + 1 }
        }
        return problems
    }

    /// The ending a bar at `index` is in (the last ending started at or before it, in the same section).
    private static func openEnding(_ bars: [WrittenBar], before index: Int) -> [Int]? {
        var k = index
        while k >= 0 {
            if let e = bars[k].endingStart { return e }
            if k < index && (bars[k].endsRepeat || bars[k].endsSection) { return nil }
            k -= 1
        }
        return nil
    }
}
