// Transposer: moves a tune to another key the way a musician rewrites it: a new K: (same mode,
// conventional spelling), every note respelled a fixed number of letter steps so scale degrees
// are kept, explicit accidentals kept and bar-scoped accidentals added only where the new text
// needs them, chord symbols moved too. It edits the tune's source text in place (only K: values,
// note pitches and chord symbols change; titles, lyrics, decorations, spacing and comments stay
// byte for byte), then parses the result and checks it sounds as the original shifted.

/// A transposition as a musician names it: how far in semitones, and how far on the circle of
/// fifths (which decides the spelling: +1 semitone is C→Db as 5 flats' worth, not C→C# as 7 sharps).
public struct TranspositionInterval: Sendable, Hashable {
    /// Semitones, positive up. Sounding pitches move by exactly this.
    public var semitones: Int
    /// Fifths the key signature moves by (sharps added, or flats removed, when positive).
    public var fifths: Int
    /// Letter steps the notes move by (C→D is 1, C→B, below, is -1); signed like `semitones`.
    public var steps: Int

    /// The interval of `fifths` fifths that spans `semitones`; nil when they disagree mod 12.
    public init?(semitones: Int, fifths: Int) {
        guard ((7 * fifths - semitones) % 12 + 12) % 12 == 0 else { return nil }
        self.semitones = semitones
        self.fifths = fifths
        let d = ((4 * fifths) % 7 + 7) % 7
        // The letter steps that sit nearest the semitones (a step is 12/7 semitones on average).
        let k = (Double(semitones) * 7 / 12 - Double(d)) / 7
        self.steps = d + 7 * Int(k.rounded())
    }
}

/// Why a tune cannot be transposed, located like a diagnostic (`file:line:col: error: ...`).
public struct TranspositionError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic
    /// `file:line:col: error: message (hint: ...)`, or `error: message ...` when about no place in a file.
    public var description: String {
        if diagnostic.line > 0 { return diagnostic.description }
        return "error: \(diagnostic.message)" + (diagnostic.hint.map { " (hint: \($0))" } ?? "")
    }

    init(_ fileName: String, line: Int, column: Int, _ message: String, hint: String? = nil) {
        diagnostic = Diagnostic(severity: .error, category: .score, fileName: fileName, line: line, column: column,
                                message: message, hint: hint)
    }
}

/// A transposed tune.
public struct TransposedTune: Sendable {
    /// The tune's new text: the original lines with key, notes and chord symbols rewritten.
    public var text: String
    /// What was applied.
    public var interval: TranspositionInterval
    /// The first `K:` value before and after (nil when the tune has no K:).
    public var originalKey: String?
    public var newKey: String?
}

/// Transposes tunes. Every entry point refuses (throws) rather than write a tune that does not
/// sound as the original moved by the interval.
public enum Transposer {
    /// Semitones above C of each letter C D E F G A B.
    static let naturals = [0, 2, 4, 5, 7, 9, 11]
    /// Letters in circle-of-fifths order, F first: position t on the line of fifths (C = 0) is
    /// `fifthsOrder[(t + 1) mod 7]` with `floor((t + 1) / 7)` sharps.
    static let fifthsOrder: [Character] = ["F", "C", "G", "D", "A", "E", "B"]

    /// The interval for moving a tune whose key has `fifths` sharps (negative: flats) by
    /// `semitones`: the spelling whose new key has at most 6 sharps or flats. At exactly six
    /// (F# or Gb major, D#m or Ebm, ...) a sharp key goes to sharps and a flat key to flats; from
    /// a key with neither, up goes to sharps and down to flats. 0 semitones is always the identity.
    public static func interval(semitones: Int, fromFifths fifths: Int) -> TranspositionInterval {
        if semitones == 0 { return TranspositionInterval(semitones: 0, fifths: 0)! }
        let base = ((7 * semitones) % 12 + 12) % 12 // 0...11
        var best = base
        for candidate in [base - 24, base - 12, base, base + 12] {
            let target = fifths + candidate
            let bestTarget = fifths + best
            if abs(target) < abs(bestTarget) {
                best = candidate
            } else if abs(target) == abs(bestTarget), target != bestTarget {
                let preferSharps = fifths != 0 ? fifths > 0 : semitones > 0
                if (target > 0) == preferSharps { best = candidate }
            }
        }
        return TranspositionInterval(semitones: semitones, fifths: best)!
    }

    /// Transposes `tune` by `semitones`, spelling the new key conventionally (see
    /// `interval(semitones:fromFifths:)`). O(length of the tune).
    public static func transpose(_ tune: Tune, semitones: Int) throws -> TransposedTune {
        try refuseErrors(tune)
        let head = try headKey(tune)
        let fifths = head?.key.tonic == nil ? 0 : head!.key.fifths
        return try transpose(tune, by: interval(semitones: semitones, fromFifths: fifths))
    }

    /// Transposes `tune` so its first key's tonic becomes `key`'s tonic, spelled as written there
    /// (`Gb` stays Gb). The mode is the tune's; if `key` names a mode it must be the tune's. The
    /// direction is the shorter one (at most 6 semitones); a tritone goes up when the tune's
    /// mean pitch is below middle C's octave's top (C5, MIDI 72) and down otherwise, so the tune
    /// stays near the middle of the fiddle and whistle register.
    public static func transpose(_ tune: Tune, toKey key: String) throws -> TransposedTune {
        try refuseErrors(tune)
        let (target, tonic, modeNamed) = try targetKey(key)
        guard let head = try headKey(tune), head.key.tonic != nil else {
            throw error(tune, line: tune.startLine, column: 1, "tune has no key with a tonic to move to \(key)",
                        hint: "use --semitones instead")
        }
        if modeNamed, !sameMode(target.mode, head.key.mode) {
            throw error(tune, line: head.line, column: 1,
                        "tune is in \(head.key.tonic!) \(head.key.mode.rawValue), and --to \(key) names another mode",
                        hint: "give only the tonic (e.g. --to \(tonic)); the mode is kept")
        }
        // The target tonic spelled as given, with the tune's mode.
        let targetFifths = KeySignature.parse(tonic + " " + head.key.mode.rawValue).key.fifths
        let fifths = targetFifths - head.key.fifths
        let n = ((7 * fifths) % 12 + 12) % 12
        var semitones = n > 6 ? n - 12 : n
        if n == 6 {
            let pitches = tune.score().score.voices.flatMap(\.notes).map(\.pitch)
            let mean = pitches.isEmpty ? 0 : Double(pitches.reduce(0, +)) / Double(pitches.count)
            semitones = mean < 72 ? 6 : -6
        }
        return try transpose(tune, by: TranspositionInterval(semitones: semitones, fifths: fifths)!)
    }

    /// Reads a `--to` key: a tonic A-G with `#` or `b`, optionally a mode. Throws when it is
    /// not one (no file position: the error is about the argument).
    public static func checkTargetKey(_ key: String) throws { _ = try targetKey(key) }

    static func targetKey(_ key: String) throws -> (key: KeySignature, tonic: String, modeNamed: Bool) {
        let (target, problems) = KeySignature.parse(key)
        guard problems.isEmpty, let tonic = target.tonic, !target.isHighlandPipes,
              let letter = tonic.first, KeySignature.letterIndex(letter) != nil,
              !key.contains("="), !key.contains("^"), !key.contains("_") else {
            throw TranspositionError("--to", line: 0, column: 0, "'\(key)' is not a key",
                                     hint: "name a tonic A-G with # or b, and optionally a mode: D, Bb, F#m, Ador")
        }
        let words = key.split(separator: " ")
        let modeNamed = words.count > 1 || (words.first.map { $0.count > tonic.count } ?? false)
        return (target, tonic, modeNamed)
    }

    static func sameMode(_ a: Mode, _ b: Mode) -> Bool { a.fifthsOffset == b.fifthsOffset }

    static func error(_ tune: Tune, line: Int, column: Int, _ message: String, hint: String? = nil) -> TranspositionError {
        TranspositionError(tune.fileName, line: line, column: column, message, hint: hint)
    }

    static func refuseErrors(_ tune: Tune) throws {
        if let first = tune.diagnostics.first(where: { $0.severity == .error }) {
            let count = tune.diagnostics.filter { $0.severity == .error }.count
            throw TranspositionError(first.fileName, line: first.line, column: first.column,
                                     "tune \(tune.index)\(tune.title.map { " (\($0))" } ?? "") has \(count) error(s), first: \(first.message)",
                                     hint: "fix it first (`tunegen check` lists them); tunes with errors are not transposed")
        }
    }

    /// The header's K: field: its key, file line, and the tune-relative line index.
    static func headKey(_ tune: Tune) throws -> (key: KeySignature, line: Int, value: String)? {
        guard let field = tune.header.first(where: { $0.letter == "K" }) else { return nil }
        let lines = TuneLines(tune.sourceText)
        guard let index = lines.headerKeyLine() else { return nil }
        return (KeySignature.parse(field.value).key, tune.startLine + index, field.value)
    }

    /// Transposes `tune` by `interval`. Throws for K:HP, for a note pushed out of MIDI's 0...127,
    /// for a key that cannot be written, and (never expected) when the result would not sound as
    /// the original moved by `interval.semitones`.
    public static func transpose(_ tune: Tune, by interval: TranspositionInterval) throws -> TransposedTune {
        try refuseErrors(tune)
        var rewriter = TuneRewriter(tune: tune, interval: interval)
        try rewriter.run()
        let text = rewriter.lines.text
        try verify(original: tune, text: text, interval: interval)
        return TransposedTune(text: text, interval: interval, originalKey: rewriter.originalHeadKey, newKey: rewriter.newHeadKey)
    }

    /// Parses `text` and checks it against `original`: no errors, the same validity, and the
    /// same events with every pitch (grace notes too) moved by the interval.
    static func verify(original: Tune, text: String, interval: TranspositionInterval) throws {
        // The file header the tune inherits (M:, L: ...) goes before it, as in the file.
        var fileHeader = ""
        for field in original.fileHeader {
            fileHeader += (field.letter == "%" ? "%%" : "\(field.letter):") + field.value + "\n"
        }
        if !fileHeader.isEmpty { fileHeader += "\n" }
        let parsed = ABCParser.parse(fileHeader + text, fileName: original.fileName)
        guard parsed.tunes.count == 1, let tune = parsed.tunes.first else {
            throw error(original, line: original.startLine, column: 1, "transposed text does not hold exactly one tune")
        }
        let shift = original.startLine - tune.startLine
        if let e = tune.diagnostics.first(where: { $0.severity == .error }) {
            throw error(original, line: e.line + shift, column: e.column, "transposed by \(interval.semitones): \(e.message)",
                        hint: e.hint ?? "transpose by fewer semitones")
        }
        guard tune.validity == original.validity else {
            throw error(original, line: original.startLine, column: 1, "transposition changed the tune's validity tiers")
        }
        let before = original.score().score, after = tune.score().score
        guard before.voices.count == after.voices.count else {
            throw error(original, line: original.startLine, column: 1, "transposition changed the tune's voices")
        }
        for (a, b) in zip(before.voices, after.voices) {
            let moved = a.notes.map { note -> NoteEvent in
                var n = note
                n.pitch += interval.semitones
                n.gracePitches = n.gracePitches.map { $0 + interval.semitones }
                return n
            }
            if moved != b.notes {
                throw error(original, line: original.startLine, column: 1,
                            "transposed tune does not sound as the original moved by \(interval.semitones) semitones",
                            hint: "please report this tune")
            }
        }
    }
}

/// A tune's lines as scalar arrays, with edits applied right to left per line.
struct TuneLines {
    var lines: [[Unicode.Scalar]]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
    }

    var text: String {
        lines.map { String(scalars: $0[...]) }.joined(separator: "\n")
    }

    /// Index of the header's K: line, read as the parser reads a header.
    func headerKeyLine() -> Int? {
        for (i, line) in lines.enumerated() {
            if line.first == "%" { continue }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.count >= 2, line[1] == ":", line[0].isASCII, line[0].properties.isAlphabetic || line[0] == "+" {
                if line[0] == "K" { return i }
                continue
            }
            return nil
        }
        return nil
    }
}

/// Walks a tune's body once, in written order, keeping for each voice the key and bar
/// accidentals of the original text and of the new text (the same rules as VoiceTimeline), and
/// records the edits.
struct TuneRewriter {
    let tune: Tune
    let interval: TranspositionInterval
    var lines: TuneLines
    var originalHeadKey: String?
    var newHeadKey: String?
    /// Edits per tune line: scalar range and replacement.
    var edits: [Int: [(Range<Int>, [Unicode.Scalar])]] = [:]

    struct Voice {
        var old: PitchState
        var new: PitchState
    }
    var voices: [Voice] = []
    var voiceIndex: [String: Int] = [:]
    var current = 0
    var headOld = KeySignature.cMajor
    var headNew = KeySignature.cMajor

    init(tune: Tune, interval: TranspositionInterval) {
        self.tune = tune
        self.interval = interval
        self.lines = TuneLines(tune.sourceText)
    }

    func fail(_ line: Int, _ column: Int, _ message: String, hint: String? = nil) -> TranspositionError {
        TranspositionError(tune.fileName, line: line, column: column, message, hint: hint)
    }

    mutating func run() throws {
        // The header key.
        headOld = tune.key
        headNew = tune.key
        if let k = lines.headerKeyLine() {
            let (old, new) = try rewriteKeyField(line: k, from: 2, to: fieldEnd(lines.lines[k], from: 2))
            headOld = old
            headNew = new
            originalHeadKey = tune.header.first { $0.letter == "K" }?.value
        }
        for field in tune.header where field.letter == "V" {
            _ = voice(TimelineBuilder.voiceIdentity(field.value).id)
        }
        if voices.isEmpty { _ = voice("1") }
        current = 0
        for (k, element) in tune.body.enumerated() {
            try read(element, at: tune.bodyLocations[k])
        }
        for (l, list) in edits {
            for (range, replacement) in list.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
                lines.lines[l].replaceSubrange(range, with: replacement)
            }
        }
        if let k = lines.headerKeyLine() {
            newHeadKey = TuneParser.fieldValue(lines.lines[k].dropFirst(2))
        }
    }

    mutating func voice(_ id: String) -> Int {
        if let v = voiceIndex[id] { return v }
        voiceIndex[id] = voices.count
        voices.append(Voice(old: PitchState(key: headOld), new: PitchState(key: headNew)))
        return voices.count - 1
    }

    mutating func edit(line: Int, _ range: Range<Int>, _ text: String) {
        let replacement = Array(text.unicodeScalars)
        if Array(lines.lines[line][range]) == replacement { return }
        edits[line, default: []].append((range, replacement))
    }

    /// End of a field's value on its own line: before an unescaped `%`.
    func fieldEnd(_ line: [Unicode.Scalar], from: Int) -> Int {
        var i = from
        while i < line.count {
            if line[i] == "%" && (i == from || line[i - 1] != "\\") { return i }
            i += 1
        }
        return line.count
    }

    /// Rewrites the K: value in `lines[line][from..<to]`: the tonic moves by the interval (mode
    /// as written), explicit accidentals move with their letters, other words stay. Returns the
    /// old and new keys.
    mutating func rewriteKeyField(line: Int, from: Int, to: Int) throws -> (KeySignature, KeySignature) {
        let scalars = Array(lines.lines[line][from..<to])
        let value = String(scalars: scalars[...])
        let fileLine = tune.startLine + line
        let (old, _) = KeySignature.parse(value.trimmingSpaces())
        if old.isHighlandPipes {
            throw fail(fileLine, from + 1, "K:\(old.tonic ?? "HP") (Highland bagpipe) cannot be transposed: the pipes have one fixed scale",
                       hint: "leave bagpipe tunes out, or rewrite the key as K:A mixolydian first")
        }
        guard old.tonic != nil, let firstWord = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              KeySignature.letterIndex(Character(scalars[firstWord])) != nil else {
            // K:none, a K: with only a clef, or no tonic: kept as written; the notes carry accidentals.
            return (old, old)
        }
        // The tonic on the line of fifths (C = 0), moved.
        let newFifths = old.fifths + interval.fifths
        let t = newFifths - old.mode.fifthsOffset
        let sharps = Int((Double(t + 1) / 7).rounded(.down))
        guard abs(sharps) <= 1 else {
            throw fail(fileLine, from + firstWord + 1, "key \(value.trimmingSpaces()) moved by \(interval.semitones) semitones has no spelling in K:",
                       hint: "transpose by another number of semitones")
        }
        let letter = Transposer.fifthsOrder[((t + 1) % 7 + 7) % 7]
        let tonic = String(letter) + (sharps == 1 ? "#" : sharps == -1 ? "b" : "")
        var tonicEnd = firstWord + 1
        if tonicEnd < scalars.count, scalars[tonicEnd] == "#" || scalars[tonicEnd] == "b" { tonicEnd += 1 }
        edit(line: line, (from + firstWord)..<(from + tonicEnd), tonic)
        // Explicit accidentals: each moves with its letter, its alteration by the signatures' difference.
        let oldStandard = KeySignature.alterations(fifths: old.fifths)
        let newStandard = KeySignature.alterations(fifths: newFifths)
        var i = tonicEnd
        while i < scalars.count {
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 }
            let start = i
            while i < scalars.count, scalars[i] != " " && scalars[i] != "\t" { i += 1 }
            let word = scalars[start..<i]
            guard let first = word.first, "^_=".unicodeScalars.contains(first) else { continue }
            var alteration = 0
            var k = word.startIndex
            while k < word.endIndex, "^_=".unicodeScalars.contains(word[k]) {
                alteration += word[k] == "^" ? 1 : word[k] == "_" ? -1 : 0
                k += 1
            }
            guard k == word.endIndex - 1, let li = KeySignature.letterIndex(Character(String(word[k]).uppercased())) else { continue }
            let lower = word[k].value >= 97
            let moved = ((li + interval.steps) % 7 + 7) % 7
            let newAlteration = alteration + newStandard[moved] - oldStandard[li]
            guard abs(newAlteration) <= 2 else {
                throw fail(fileLine, from + start + 1, "explicit accidental \(String(scalars: word)) moved by \(interval.semitones) semitones needs a triple accidental")
            }
            var letterText = String(KeySignature.letters[moved])
            if lower { letterText = letterText.lowercased() }
            let accidental = newAlteration == 0 ? "=" : (Accidental(rawValue: newAlteration)?.abc ?? "")
            edit(line: line, (from + start)..<(from + i), accidental + letterText)
        }
        // The new key as the parser will read it.
        var newScalars = scalars
        for (range, replacement) in (edits[line] ?? []).sorted(by: { $0.0.lowerBound > $1.0.lowerBound })
        where range.lowerBound >= from && range.upperBound <= to {
            newScalars.replaceSubrange((range.lowerBound - from)..<(range.upperBound - from), with: replacement)
        }
        let (new, problems) = KeySignature.parse(String(scalars: newScalars[...]).trimmingSpaces())
        guard problems.isEmpty else {
            throw fail(fileLine, from + 1, "moved key '\(String(scalars: newScalars[...]))' does not read: \(problems[0])")
        }
        return (old, new)
    }

    // MARK: The body

    mutating func read(_ element: BodyElement, at: SourceLocation) throws {
        let line = at.line - tune.startLine
        let column = at.column - 1
        guard lines.lines.indices.contains(line) else { return }
        switch element {
        case let .note(note):
            var i = column
            try respell(note, line: line, at: &i, location: at, kind: .single)
        case let .chord(chord):
            let s = lines.lines[line]
            var i = column + 1
            var k = 0
            while i < s.count, s[i] != "]", k < chord.notes.count {
                let c = s[i]
                if TuneParser.isNoteLetter(c) || c == "^" || c == "_" || c == "=" {
                    try respell(chord.notes[k], line: line, at: &i, location: at, kind: .inChord)
                    k += 1
                    skipLength(line, &i)
                } else if c == "!" {
                    i += 1
                    while i < s.count, s[i] != "!", s[i] != "]" { i += 1 }
                    if i < s.count, s[i] == "!" { i += 1 }
                } else {
                    i += 1
                }
            }
            guard k == chord.notes.count else {
                throw fail(at.line, at.column, "could not find the chord's notes in the text")
            }
            voices[current].old.afterChord()
            voices[current].new.afterChord()
        case let .graceNotes(notes, _):
            let s = lines.lines[line]
            var i = column + 1
            var k = 0
            while i < s.count, s[i] != "}", k < notes.count {
                if TuneParser.isNoteLetter(s[i]) || "^_=".unicodeScalars.contains(s[i]) {
                    try respell(notes[k], line: line, at: &i, location: at, kind: .grace)
                    k += 1
                    skipLength(line, &i)
                } else {
                    i += 1
                }
            }
            guard k == notes.count else { throw fail(at.line, at.column, "could not find the grace notes in the text") }
        case let .chordSymbol(text):
            if let moved = ChordSymbolTransposer.transpose(text, by: interval), moved != text {
                let start = column + 1
                edit(line: line, start..<(start + text.unicodeScalars.count), moved)
            }
        case .bar:
            voices[current].old.barAccidentals.removeAll(keepingCapacity: true)
            voices[current].new.barAccidentals.removeAll(keepingCapacity: true)
        case let .inlineField(field), let .field(field):
            switch field.letter {
            case "K":
                let s = lines.lines[line]
                let from: Int, to: Int
                if case .inlineField = element {
                    from = column + 3
                    var j = from
                    while j < s.count, s[j] != "]" { j += 1 }
                    to = j
                } else {
                    from = 2
                    to = fieldEnd(s, from: 2)
                }
                let (old, new) = try rewriteKeyField(line: line, from: from, to: min(to, s.count))
                voices[current].old.key = old
                voices[current].new.key = new
            case "V":
                current = voice(TimelineBuilder.voiceIdentity(field.value).id)
            default:
                break
            }
        default:
            break
        }
    }

    /// Skips a length (`2`, `/2`, `3/`, `//`) and a tie after a note inside a chord or grace group.
    func skipLength(_ line: Int, _ i: inout Int) {
        let s = lines.lines[line]
        while i < s.count, TuneParser.isDigit(s[i]) || s[i] == "/" { i += 1 }
        if i < s.count, s[i] == "-" { i += 1 }
    }

    /// Reads the note's pitch text at `i` (accidental, letter, octave marks), writes its new
    /// spelling, and moves both voice states past it. `i` ends after the pitch text.
    enum NoteKind { case single, inChord, grace }

    mutating func respell(_ note: Note, line: Int, at i: inout Int, location: SourceLocation, kind: NoteKind) throws {
        let s = lines.lines[line]
        let remember = kind != .grace
        let start = i
        while i < s.count, s[i] == "^" || s[i] == "_" || s[i] == "=" { i += 1 }
        guard i < s.count, TuneParser.isNoteLetter(s[i]) else {
            throw fail(location.line, start + 1, "could not find the note in the text")
        }
        i += 1
        while i < s.count, s[i] == "'" || s[i] == "," { i += 1 }
        guard let li = KeySignature.letterIndex(code: note.letterCode) else { return }
        let oldPitch = voices[current].old.pitch(letter: li, octave: note.octave, accidental: note.accidental?.rawValue, remember: remember)
        let target = oldPitch + interval.semitones
        guard (0...127).contains(target) else {
            throw fail(location.line, start + 1,
                       "moved by \(interval.semitones) semitones this note would be MIDI pitch \(target), outside 0...127",
                       hint: interval.semitones > 0 ? "transpose down, or by fewer semitones" : "transpose up, or by fewer semitones")
        }
                // Same degree: the letter moves by the interval's steps.
        var newLetter = ((li + interval.steps) % 7 + 7) % 7
        var newOctave = note.octave + Int((Double(li + interval.steps) / 7).rounded(.down))
        var alteration = target - voices[current].new.natural(letter: newLetter, octave: newOctave)
        if abs(alteration) > 2 {
            // A triple accidental: the nearest letter spelling instead (written with its accidental).
            var best = (newLetter, newOctave, Int.max)
            for step in [1, -1] {
                var l = newLetter + step, o = newOctave
                if l > 6 { l -= 7; o += 1 }
                if l < 0 { l += 7; o -= 1 }
                let a = abs(target - voices[current].new.natural(letter: l, octave: o))
                if a < best.2 { best = (l, o, a) }
            }
            newLetter = best.0
            newOctave = best.1
            alteration = target - voices[current].new.natural(letter: newLetter, octave: newOctave)
        }
        guard abs(alteration) <= 2 else {
            throw fail(location.line, start + 1, "moved by \(interval.semitones) semitones this note would need a triple accidental",
                       hint: "transpose by another number of semitones")
        }
        let implied = voices[current].new.implied(letter: newLetter, octave: newOctave)
        let written: Int? = (note.accidental != nil || implied != alteration) ? alteration : nil
        let check = voices[current].new.pitch(letter: newLetter, octave: newOctave, accidental: written, remember: remember)
        precondition(check == target, "respelling gave the wrong pitch")
        if kind == .single {
            voices[current].new.afterNoteTie(letter: newLetter, octave: newOctave, pitch: target, tied: note.tied)
            voices[current].old.afterNoteTie(letter: li, octave: note.octave, pitch: oldPitch, tied: note.tied)
        }
        guard abs(newOctave) <= 8 else {
            throw fail(location.line, start + 1, "moved by \(interval.semitones) semitones this note needs more than 8 octave marks")
        }
        var text = written.flatMap { Accidental(rawValue: $0)?.abc } ?? ""
        let name = KeySignature.letters[newLetter]
        if newOctave >= 1 {
            text += name.lowercased() + String(repeating: "'", count: newOctave - 1)
        } else {
            text += String(name) + String(repeating: ",", count: -newOctave)
        }
        edit(line: line, start..<i, text)
    }
}

/// One voice's pitch context, with the same rules as VoiceTimeline.pitch(of:): an accidental
/// holds for the same letter and octave to the end of the bar (ABC 2.1, 4.2), a tie carries it
/// into the next bar, grace notes read accidentals but set none.
struct PitchState {
    var key: KeySignature
    var barAccidentals: [Int: Int] = [:]
    var tieCarry: [Int: Int] = [:]

    init(key: KeySignature) { self.key = key }

    static func slot(_ letter: Int, _ octave: Int) -> Int { letter * 100 + octave + 50 }

    func natural(letter: Int, octave: Int) -> Int {
        60 + 12 * octave + Transposer.naturals[letter] + key.transpose + 12 * key.octave
    }

    /// The alteration an unmarked note of this letter and octave gets here.
    func implied(letter: Int, octave: Int) -> Int {
        let slot = PitchState.slot(letter, octave)
        return barAccidentals[slot] ?? tieCarry[slot] ?? key.alterations[letter]
    }

    mutating func pitch(letter: Int, octave: Int, accidental: Int?, remember: Bool) -> Int {
        let alteration: Int
        if let accidental {
            alteration = accidental
            if remember { barAccidentals[PitchState.slot(letter, octave)] = accidental }
        } else {
            alteration = implied(letter: letter, octave: octave)
        }
        return natural(letter: letter, octave: octave) + alteration
    }

    /// After a single note: earlier tie carries end; a tied note carries its alteration on.
    mutating func afterNoteTie(letter: Int, octave: Int, pitch: Int, tied: Bool) {
        if !tieCarry.isEmpty { tieCarry = [:] }
        if tied { tieCarry[PitchState.slot(letter, octave)] = pitch - natural(letter: letter, octave: octave) }
    }

    /// After a chord: tie carries end (a tied chord carries nothing).
    mutating func afterChord() {
        if !tieCarry.isEmpty { tieCarry = [:] }
    }
}
