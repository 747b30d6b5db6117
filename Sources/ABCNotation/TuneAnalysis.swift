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
        // Exactly one tune: X, T, M, L and K at most once each, X, M and K present (a missing T:
        // stays allowed: older collections and our own fixtures leave it out; generate writes one).
        var once = true
        for letter in ["X", "T", "M", "L", "K"] as [Character] {
            let lines = header.indices.filter { header[$0].letter == letter }.map { parser.headerLines[$0] }
            if lines.count > 1 {
                once = false
                diag(.warning, .header, lines[1], "\(letter): appears \(lines.count) times in the header",
                     hint: "a tune has one \(letter): field; a second X: starts a new tune after a blank line")
            }
        }
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
        diagnostics.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        tune.diagnostics = diagnostics
        tune.validity = Validity(noErrors: noErrors, headerComplete: referenceNumber != nil && once && hasMeter && hasKey, barsMatchMeter: barsOK, repeatsBalanced: repeatsOK)
        tune.barCount = barCount
        return tune
    }
}
