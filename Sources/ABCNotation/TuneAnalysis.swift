// TuneAnalysis: turns a parsed tune into a judged one. Reads the header (key, meter, unit
// length, tempo), builds the voice timelines, then checks bar lengths (tier 3) and repeats
// and endings (tier 4). Problems of both checks are warnings, so tier 1 only fails on errors.

enum TuneAnalysis {
    static func makeTune(parser: TuneParser, index: Int, fileHeader: [Field]) -> Tune {
        var reader = HeaderReader(parser: parser, fileHeader: fileHeader)
        let head = reader.read()
        var diagnostics = reader.diagnostics
        let fileName = parser.fileName
        let startLine = reader.startLine
        var tune = Tune(index: index, fileName: fileName, referenceNumber: head.referenceNumber, title: head.title, header: parser.header,
                        body: parser.body, bodyLocations: parser.locations, fileHeader: fileHeader, key: head.key, meter: head.meter,
                        unitLength: head.unitLength, tempo: head.tempo, sourceText: parser.source.text(lines: parser.lines), startLine: startLine,
                        diagnostics: [], validity: Validity(noErrors: true, headerComplete: true, barsMatchMeter: true, repeatsBalanced: true),
                        barCount: 0)
        let (voices, timelineDiagnostics) = TimelineBuilder.build(tune)
        diagnostics += timelineDiagnostics
        tune.timelines = voices
        tune.timelineDiagnostics = timelineDiagnostics
        let judged = judge(voices, meter: head.meter, fileName: fileName)
        diagnostics += judged.diagnostics
        var barsOK = judged.barsOK
        if judged.barCount == 0 {
            // Judged under tier 3: a tune with no bars has nothing whose length could agree with the meter.
            diagnostics.append(Diagnostic(severity: .warning, category: .barLength, fileName: fileName,
                                          line: parser.lines.upperBound, column: 1, message: "tune has no music",
                                          hint: "a blank line ends a tune; remove blank lines between the header and the music"))
            barsOK = false
        }
        if parser.suppressed > 0 {
            diagnostics.append(Diagnostic(severity: .error, category: .syntax, fileName: fileName, line: startLine, column: 1,
                                          message: "\(parser.suppressed) more problems in this tune not shown", hint: nil))
        }
        let noErrors = !diagnostics.contains { $0.severity == .error }
        diagnostics.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        tune.diagnostics = diagnostics
        tune.validity = Validity(noErrors: noErrors, headerComplete: head.complete, barsMatchMeter: barsOK,
                                 repeatsBalanced: judged.repeatsOK)
        tune.barCount = judged.barCount
        return tune
    }

    /// Tiers 3 and 4 over every voice; the bar count is the first voice's.
    static func judge(_ voices: [VoiceTimeline], meter: Meter, fileName: String)
        -> (diagnostics: [Diagnostic], barCount: Int, barsOK: Bool, repeatsOK: Bool) {
        var diagnostics: [Diagnostic] = []
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
        return (diagnostics, barCount, barsOK, repeatsOK)
    }

    /// What a tune's header says, with the tune's own fields before the file header's.
    struct Head {
        var referenceNumber: Int?
        var title: String?
        var meter = Meter.free
        var unitLength = Rational.one
        var key = KeySignature.cMajor
        var tempo: Double?
        /// X: is a number; X, T, M, L and K appear at most once; M: and K: are present and readable.
        var complete = false
    }

    /// Reads the header fields in a fixed order, collecting the problems (the parser's first).
    struct HeaderReader {
        let parser: TuneParser
        let fileHeader: [Field]
        let startLine: Int
        var diagnostics: [Diagnostic]

        init(parser: TuneParser, fileHeader: [Field]) {
            self.parser = parser
            self.fileHeader = fileHeader
            startLine = parser.lines.lowerBound + 1
            diagnostics = parser.diagnostics
        }

        mutating func read() -> Head {
            var head = Head()
            head.referenceNumber = referenceNumber()
            head.title = parser.header.first { $0.letter == "T" }?.value
            let once = eachFieldOnce()
            let (meter, hasMeter) = readMeter()
            head.meter = meter
            head.unitLength = readUnitLength(meter: meter)
            let (key, hasKey) = readKey()
            head.key = key
            head.tempo = readTempo(unitLength: head.unitLength)
            head.complete = head.referenceNumber != nil && once && hasMeter && hasKey
            return head
        }

        mutating func diag(_ severity: Severity, _ category: DiagnosticCategory, _ line: Int, _ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(severity: severity, category: category, fileName: parser.fileName, line: line, column: 1,
                                          message: message, hint: hint))
        }

        /// The tune's field `letter`, else the file header's, with its line.
        func field(_ letter: Character) -> (value: String, line: Int)? {
            let header = parser.header
            if let k = header.firstIndex(where: { $0.letter == letter }) { return (header[k].value, parser.headerLines[k]) }
            if let f = fileHeader.first(where: { $0.letter == letter }) { return (f.value, startLine) }
            return nil
        }

        mutating func referenceNumber() -> Int? {
            guard let x = parser.header.first, x.letter == "X" else { return nil }
            let number = Int(x.value)
            if number == nil {
                diag(.warning, .header, startLine, "X: should be a number, not '\(x.value)'")
            }
            return number
        }

        /// Exactly one tune: X, T, M, L and K at most once each, X, M and K present (a missing T:
        /// stays allowed: older collections and our own fixtures leave it out; generate writes one).
        mutating func eachFieldOnce() -> Bool {
            let header = parser.header
            var once = true
            for letter in ["X", "T", "M", "L", "K"] as [Character] {
                let lines = header.indices.filter { header[$0].letter == letter }.map { parser.headerLines[$0] }
                if lines.count > 1 {
                    once = false
                    diag(.warning, .header, lines[1], "\(letter): appears \(lines.count) times in the header",
                         hint: "a tune has one \(letter): field; a second X: starts a new tune after a blank line")
                }
            }
            return once
        }

        mutating func readMeter() -> (Meter, present: Bool) {
            guard let m = field("M") else {
                diag(.warning, .header, startLine, "tune has no M: field", hint: "add M:4/4 (or M:none for free meter)")
                return (.free, false)
            }
            let (parsed, problem) = Meter.parse(m.value)
            if let parsed { return (parsed, true) }
            if let problem {
                diag(.error, .header, m.line, problem, hint: "e.g. M:6/8, M:C, M:C|, M:none")
            }
            return (.free, false)
        }

        mutating func readUnitLength(meter: Meter) -> Rational {
            guard let l = field("L") else { return meter.defaultUnitLength }
            if let parsed = Meter.parseUnitLength(l.value) { return parsed }
            diag(.error, .header, l.line, "bad unit length '\(l.value)'", hint: "e.g. L:1/8")
            return meter.defaultUnitLength
        }

        /// The tune's own K: (a file header has no key); readable means no problems.
        mutating func readKey() -> (KeySignature, readable: Bool) {
            let header = parser.header
            guard let k = header.firstIndex(where: { $0.letter == "K" }) else {
                diag(.warning, .header, startLine, "tune has no K: field", hint: "end the header with a K: line, e.g. K:C")
                return (.cMajor, false)
            }
            let (parsed, problems) = KeySignature.parse(header[k].value)
            for p in problems { diag(.error, .header, parser.headerLines[k], p, hint: "e.g. K:D, K:Ador, K:Em, K:D ^g") }
            return (parsed, problems.isEmpty)
        }

        mutating func readTempo(unitLength: Rational) -> Double? {
            guard let q = field("Q") else { return nil }
            let tempo = Meter.parseTempo(q.value, unitLength: unitLength)
            if tempo == nil { diag(.warning, .header, q.line, "unreadable tempo '\(q.value)'", hint: "e.g. Q:1/4=120") }
            return tempo
        }
    }
}
