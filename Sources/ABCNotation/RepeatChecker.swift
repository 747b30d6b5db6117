// RepeatChecker: tier 4. Walks a voice's bar lines and endings: a `|:` must not be reopened or
// left open, a first ending must be closed by `:|`, later endings must follow a `:|` and be
// numbered in order. `:|` with no `|:` is fine (it repeats from the start or the last `:|`/`||`).

/// Tier 4: repeats and endings balanced.
enum RepeatChecker {
    static func check(_ voice: VoiceTimeline, fileName: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func report(_ at: SourceLocation, _ message: String, hint: String? = nil) {
            guard diagnostics.count < TuneParser.maxDiagnostics else { return }
            diagnostics.append(Diagnostic(severity: .warning, category: .repeats, fileName: fileName, line: at.line,
                                          column: at.column, message: message, hint: hint))
        }
        var openStart: SourceLocation?
        var openFirstEnding: SourceLocation?
        var lastWasRepeatEnd = false
        var expectedEnding: Int?
        for item in voice.items {
            switch item {
            case let .bar(bar, at):
                if bar.isRepeatEnd {
                    openFirstEnding = nil
                    openStart = nil
                } else if bar.isSectionEnd {
                    if let e = openFirstEnding {
                        report(e, "ending is not closed by a repeat :|", hint: "end the first ending with :|")
                        openFirstEnding = nil
                    }
                    expectedEnding = nil
                }
                if bar.isRepeatStart {
                    if let s = openStart {
                        report(at, "repeat start |: while the |: at line \(s.line) is still open", hint: "close the earlier repeat with :|")
                    }
                    if let e = openFirstEnding {
                        report(e, "ending is not closed by a repeat :|", hint: "end the first ending with :|")
                        openFirstEnding = nil
                    }
                    openStart = at
                    expectedEnding = nil
                }
                lastWasRepeatEnd = bar.isRepeatEnd
            case let .ending(numbers, at):
                let first = numbers.min() ?? 1
                if first == 1 {
                    // A new group of endings; the previous first ending must have been closed.
                    if let e = openFirstEnding { report(e, "ending is not closed by a repeat :|", hint: "end the first ending with :|") }
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
            case .sound:
                lastWasRepeatEnd = false
            default:
                break
            }
        }
        if let s = openStart {
            report(s, "repeat start |: is never closed", hint: "add :| where the repeat ends")
        }
        if let e = openFirstEnding {
            report(e, "ending is not closed by a repeat :|", hint: "end the first ending with :|")
        }
        return diagnostics
    }
}
