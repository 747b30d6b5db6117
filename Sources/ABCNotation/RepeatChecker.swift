// RepeatChecker: tier 4. Walks a voice's bar lines and endings: a `|:` must not be reopened or
// left open, a first ending must be closed by `:|`, later endings must follow a `:|` and be
// numbered in order, an ending closed by `:|` must have a later ending after it (`[1` needs a
// `[2`), and a later ending must not end (at a section mark or the end) in fewer bars than the
// first. `:|` with no `|:` is fine (it repeats from the start or the last `:|`/`||`).

/// Tier 4: repeats and endings balanced.
enum RepeatChecker {
    static func check(_ voice: VoiceTimeline, fileName: String) -> [Diagnostic] {
        var walk = RepeatWalk(fileName: fileName)
        for item in voice.items { walk.read(item) }
        walk.finish()
        return walk.diagnostics
    }

    /// The repeats and endings open at the current point of the voice, and what was found wrong so far.
    private struct RepeatWalk {
        let fileName: String
        var diagnostics: [Diagnostic] = []
        var openStart: SourceLocation?
        var openFirstEnding: SourceLocation?
        var lastWasRepeatEnd = false
        var expectedEnding: Int?
        // An ending closed by `:|` owes a later ending: (its number, where it started).
        var owed: (number: Int, at: SourceLocation)?
        // Bars of the first ending; bars so far of the later ending being read.
        var firstEndingBars: Int?
        var endingBars: Int?
        var laterEnding: (number: Int, at: SourceLocation)?
        var soundInBar = false

        init(fileName: String) { self.fileName = fileName }

        mutating func read(_ item: TimedItem) {
            switch item {
            case let .bar(bar, at):
                readBar(bar, at: at)
            case let .ending(numbers, at):
                readEnding(numbers, at: at)
            case .sound:
                settleOwed()
                lastWasRepeatEnd = false
                soundInBar = true
            default:
                break
            }
        }

        mutating func readBar(_ bar: BarLine, at: SourceLocation) {
            countBar()
            if bar.isRepeatEnd, let n = endingBars {
                // The ending this `:|` closes: the first sets the length the later ones must reach.
                if expectedEnding == 2 { firstEndingBars = n }
                owed = (max(1, (expectedEnding ?? 2) - 1), at)
                if laterEnding == nil { endingBars = nil }
            }
            if bar.isRepeatEnd || bar.isRepeatStart || bar.isSectionEnd {
                if laterEnding != nil { closeLaterEnding() }
                if !bar.isRepeatEnd { settleOwed() }
            }
            if bar.isRepeatEnd {
                openFirstEnding = nil
                openStart = nil
            } else if bar.isSectionEnd {
                reportOpenFirstEnding()
                expectedEnding = nil
            }
            if bar.isRepeatStart {
                if let s = openStart {
                    report(at, "repeat start |: while the |: at line \(s.line) is still open", hint: "close the earlier repeat with :|")
                }
                reportOpenFirstEnding()
                openStart = at
                expectedEnding = nil
            }
            lastWasRepeatEnd = bar.isRepeatEnd
        }

        mutating func readEnding(_ numbers: [Int], at: SourceLocation) {
            countBar()
            owed = nil
            if laterEnding != nil { closeLaterEnding() }
            let first = numbers.min() ?? 1
            endingBars = 0
            if first > 1 { laterEnding = (first, at) } else { firstEndingBars = nil }
            if first == 1 {
                // A new group of endings; the previous first ending must have been closed.
                reportOpenFirstEnding()
                openFirstEnding = at
            } else {
                if let expected = expectedEnding {
                    if !lastWasRepeatEnd {
                        report(at, "ending \(first) does not follow a repeat :|", hint: "end the previous ending with :|")
                    }
                    if first != expected { report(at, "ending \(first) where ending \(expected) was expected") }
                } else {
                    report(at, "ending \(first) without an ending 1 before it")
                }
                openFirstEnding = nil
            }
            expectedEnding = (numbers.max() ?? first) + 1
            lastWasRepeatEnd = false
        }

        /// The end of the voice: whatever is still open or owed is a problem.
        mutating func finish() {
            countBar()
            if laterEnding != nil { closeLaterEnding() }
            settleOwed()
            if let s = openStart {
                report(s, "repeat start |: is never closed", hint: "add :| where the repeat ends")
            }
            reportOpenFirstEnding()
        }

        /// A bar line or ending closes a bar; it counts toward the ending being read if it held a sound.
        mutating func countBar() {
            if soundInBar, endingBars != nil { endingBars! += 1 }
            soundInBar = false
        }

        mutating func settleOwed() {
            if let o = owed {
                report(o.at, "ending \(o.number) is closed by :| but no ending \(o.number + 1) follows", hint: "add [\(o.number + 1) after the :|, or end this ending with | instead")
                owed = nil
            }
        }

        mutating func closeLaterEnding() {
            if let e = laterEnding, let first = firstEndingBars, let n = endingBars, n < first {
                report(e.at, "ending \(e.number) has \(n) bar\(n == 1 ? "" : "s"), ending 1 has \(first)", hint: "endings of a group have the same number of bars")
            }
            laterEnding = nil
            endingBars = nil
        }

        /// A first ending still open where it should have been closed by `:|`.
        mutating func reportOpenFirstEnding() {
            if let e = openFirstEnding {
                report(e, "ending is not closed by a repeat :|", hint: "end the first ending with :|")
                openFirstEnding = nil
            }
        }

        mutating func report(_ at: SourceLocation, _ message: String, hint: String? = nil) {
            guard diagnostics.count < TuneParser.maxDiagnostics else { return }
            diagnostics.append(Diagnostic(severity: .warning, category: .repeats, fileName: fileName, line: at.line,
                                          column: at.column, message: message, hint: hint))
        }
    }
}
