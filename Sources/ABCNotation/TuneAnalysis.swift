// TuneAnalysis: turns a parsed tune into a judged one. Reads the header (key, meter, unit
// length, tempo), builds the voice timelines, then checks bar lengths (tier 3) and repeats
// and endings (tier 4). Problems of both checks are warnings, so tier 1 only fails on errors.

enum TuneAnalysis {
    static func makeTune(parser: TuneParser, index: Int, fileHeader: [Field]) -> Tune {
        var diagnostics = parser.diagnostics
        let fileName = parser.fileName
        let startLine = parser.lines.lowerBound + 1
        func diag(_ severity: Severity, _ category: DiagnosticCategory, _ line: Int, _ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(severity: severity, category: category, fileName: fileName, line: line, column: 1,
                                          message: message, hint: hint))
        }
        let header = parser.header
        func field(_ letter: Character) -> (value: String, line: Int)? {
            if let k = header.firstIndex(where: { $0.letter == letter }) { return (header[k].value, parser.headerLines[k]) }
            if let f = fileHeader.first(where: { $0.letter == letter }) { return (f.value, startLine) }
            return nil
        }
        var referenceNumber: Int?
        if let x = header.first, x.letter == "X" {
            referenceNumber = Int(x.value)
            if referenceNumber == nil {
                diag(.warning, .header, startLine, "X: should be a number, not '\(x.value)'")
            }
        }
        let title = header.first { $0.letter == "T" }?.value
        var meter = Meter.free
        var hasMeter = false
        if let m = field("M") {
            let (parsed, problem) = Meter.parse(m.value)
            if let parsed { meter = parsed; hasMeter = true } else if let problem {
                diag(.error, .header, m.line, problem, hint: "e.g. M:6/8, M:C, M:C|, M:none")
            }
        } else {
            diag(.warning, .header, startLine, "tune has no M: field", hint: "add M:4/4 (or M:none for free meter)")
        }
        var unitLength = meter.defaultUnitLength
        if let l = field("L") {
            if let parsed = Meter.parseUnitLength(l.value) { unitLength = parsed } else {
                diag(.error, .header, l.line, "bad unit length '\(l.value)'", hint: "e.g. L:1/8")
            }
        }
        var key = KeySignature.cMajor
        var hasKey = false
        if let k = header.firstIndex(where: { $0.letter == "K" }) {
            let (parsed, problems) = KeySignature.parse(header[k].value)
            key = parsed
            hasKey = problems.isEmpty
            for p in problems { diag(.error, .header, parser.headerLines[k], p, hint: "e.g. K:D, K:Ador, K:Em, K:D ^g") }
        } else {
            diag(.warning, .header, startLine, "tune has no K: field", hint: "end the header with a K: line, e.g. K:C")
        }
        var tempo: Double?
        if let q = field("Q") {
            tempo = Meter.parseTempo(q.value, unitLength: unitLength)
            if tempo == nil { diag(.warning, .header, q.line, "unreadable tempo '\(q.value)'", hint: "e.g. Q:1/4=120") }
        }
        let source = parser.source
        var tune = Tune(index: index, fileName: fileName, referenceNumber: referenceNumber, title: title, header: header,
                        body: parser.body, bodyLocations: parser.locations, fileHeader: fileHeader, key: key, meter: meter,
                        unitLength: unitLength, tempo: tempo, sourceText: source.text(lines: parser.lines), startLine: startLine,
                        diagnostics: [], validity: Validity(noErrors: true, headerComplete: true, barsMatchMeter: true, repeatsBalanced: true),
                        barCount: 0)
        let (voices, timelineDiagnostics) = TimelineBuilder.build(tune)
        diagnostics += timelineDiagnostics
        tune.timelines = voices
        tune.timelineDiagnostics = timelineDiagnostics
        var barsOK = true, repeatsOK = true
        var barCount = 0
        for (v, voice) in voices.enumerated() {
            let bars = BarChecker.check(voice, meter: meter, fileName: fileName)
            if v == 0 { barCount = bars.barCount }
            barsOK = barsOK && bars.diagnostics.isEmpty
            diagnostics += bars.diagnostics
            let repeats = RepeatChecker.check(voice, fileName: fileName)
            repeatsOK = repeatsOK && repeats.isEmpty
            diagnostics += repeats
        }
        if barCount == 0 {
            // Judged under tier 3: a tune with no bars has nothing whose length could agree with the meter.
            diagnostics.append(Diagnostic(severity: .warning, category: .barLength, fileName: fileName,
                                          line: parser.lines.upperBound, column: 1, message: "tune has no music",
                                          hint: "a blank line ends a tune; remove blank lines between the header and the music"))
            barsOK = false
        }
        if parser.suppressed > 0 {
            diag(.error, .syntax, startLine, "\(parser.suppressed) more problems in this tune not shown")
        }
        let noErrors = !diagnostics.contains { $0.severity == .error }
        tune.diagnostics = diagnostics
        diagnostics.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        tune.validity = Validity(noErrors: noErrors, headerComplete: referenceNumber != nil && hasMeter && hasKey, barsMatchMeter: barsOK, repeatsBalanced: repeatsOK)
        tune.barCount = barCount
        return tune
    }
}

/// Tier 3: bar lengths against the meter, with pickups.
enum BarChecker {
    struct Segment {
        var length: Rational
        var multiBars: Int
        var barLength: Rational?
        var boundaryBefore: Bool
        var boundaryAfter: Bool
        var location: SourceLocation
        var overflow: Bool
        /// Lowest number of an ending that starts with this bar, if one does.
        var endingStart: Int?
    }

    static func check(_ voice: VoiceTimeline, meter initial: Meter, fileName: String) -> (diagnostics: [Diagnostic], barCount: Int) {
        var segments: [Segment] = []
        var meter = initial
        var length = Rational.zero
        var multi = 0
        var overflow = false
        var hasContent = false
        var start = SourceLocation(line: 0, column: 0)
        var before = true
        var endingStart: Int?
        func close(boundaryAfter: Bool) {
            if hasContent {
                segments.append(Segment(length: length, multiBars: multi, barLength: meter.barLength, boundaryBefore: before,
                                        boundaryAfter: boundaryAfter, location: start, overflow: overflow, endingStart: endingStart))
                endingStart = nil
                before = boundaryAfter
            } else {
                before = before || boundaryAfter
                if boundaryAfter, let last = segments.indices.last { segments[last].boundaryAfter = true }
            }
            length = .zero
            multi = 0
            overflow = false
            hasContent = false
        }
        for item in voice.items {
            switch item {
            case let .sound(sound):
                if !hasContent { start = sound.location }
                hasContent = true
                multi += sound.multiBars
                if sound.multiBars == 0 {
                    if let sum = length.adding(sound.duration) { length = sum } else { overflow = true }
                }
            case let .bar(bar, _):
                close(boundaryAfter: bar.isRepeatEnd || bar.isRepeatStart || bar.isSectionEnd || bar.ending != nil)
            case let .ending(numbers, _):
                close(boundaryAfter: true)
                endingStart = numbers.min()
            case let .meter(m):
                meter = m
            case .tempo, .chordSymbol:
                break
            }
        }
        close(boundaryAfter: true)

        var diagnostics: [Diagnostic] = []
        var pickup: Rational?
        var barCount = 0
        // The bar before a group of endings: every ending may start by completing it.
        var beforeEndings: Int?
        for (k, seg) in segments.enumerated() {
            barCount += max(seg.multiBars, 1)
            if seg.endingStart == 1 { beforeEndings = k > 0 ? k - 1 : nil }
            guard let bar = seg.barLength, seg.multiBars == 0 else { continue }
            func report(_ message: String) {
                guard diagnostics.count < TuneParser.maxDiagnostics else { return }
                diagnostics.append(Diagnostic(severity: .warning, category: .barLength, fileName: fileName, line: seg.location.line,
                                              column: seg.location.column, message: message,
                                              hint: "a bar holds \(bar) of a whole note; only a pickup and the bar that completes it may be short"))
            }
            if seg.overflow { report("bar length overflows exact arithmetic"); continue }
            if seg.length == bar { continue }
            if bar < seg.length {
                report("bar is too long: \(seg.length) of a whole note, the meter wants \(bar)")
                continue
            }
            // A short bar at the end of a section first tries to complete the section's pickup
            // (or the short bar after the boundary); failing that, a short bar after a boundary is
            // itself a pickup.
            var ok = false
            if seg.boundaryAfter {
                if let p = pickup, p.adding(seg.length) == bar { ok = true }
                if k + 1 < segments.count, segments[k + 1].boundaryBefore, segments[k + 1].multiBars == 0,
                   segments[k + 1].length.adding(seg.length) == bar { ok = true }
            }
            if !ok && seg.boundaryBefore {
                // A short bar that completes the one before it (`A2|[1 fg|`) is not a new pickup.
                var completes = k > 0 && segments[k - 1].boundaryAfter && segments[k - 1].length.adding(seg.length) == bar
                if let e = seg.endingStart, e > 1, let b = beforeEndings, segments[b].length.adding(seg.length) == bar {
                    completes = true
                }
                // At a section start it is also the new section's pickup; at an ending it only splits a bar.
                if !completes || seg.endingStart == nil { pickup = seg.length }
                // A pickup leads into more music: a short bar alone between two boundaries
                // (`||AB||`) passes only by completing the bar before it.
                ok = completes || !seg.boundaryAfter
            }
            if !ok { report("bar is too short: \(seg.length) of a whole note, the meter wants \(bar)") }
        }
        return (diagnostics, barCount)
    }
}

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
