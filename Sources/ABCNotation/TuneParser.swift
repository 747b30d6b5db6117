// TuneParser: one tune's lines → header fields and body elements, with locations. The music
// tokenizer is a flat loop over one line's scalars: nothing recurses, brackets and slurs are
// counted rather than nested, and every lookahead is bounded by the line, so hostile input
// (100k `(`, megabyte lines, control bytes) costs linear time and yields diagnostics.

struct TuneParser {
    let source: SourceText
    let lines: Range<Int>
    let fileName: String
    var diagnostics: [Diagnostic] = []
    var header: [Field] = []
    var headerLines: [Int] = []
    var body: [BodyElement] = []
    var locations: [SourceLocation] = []
    var slurDepth = 0
    var suppressed = 0

    /// Diagnostics kept per tune; beyond this they are counted, not stored, so hostile input
    /// cannot make the list explode.
    static let maxDiagnostics = 200

    init(source: SourceText, lines: Range<Int>, fileName: String) {
        self.source = source
        self.lines = lines
        self.fileName = fileName
    }

    mutating func diagnose(_ severity: Severity, _ category: DiagnosticCategory, line: Int, column: Int,
                           _ message: String, hint: String? = nil) {
        if diagnostics.count >= TuneParser.maxDiagnostics {
            suppressed += 1
            return
        }
        diagnostics.append(Diagnostic(severity: severity, category: category, fileName: fileName, line: line,
                                      column: column, message: message, hint: hint))
    }

    /// A field's value: text after `X:`, without a trailing `%` comment, trimmed.
    static func fieldValue(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var end = scalars.endIndex
        var i = scalars.startIndex
        while i < scalars.endIndex {
            if scalars[i] == "%" && (i == scalars.startIndex || scalars[i - 1] != "\\") { end = i; break }
            i += 1
        }
        return String(scalars: scalars[scalars.startIndex..<end]).trimmingSpaces()
    }

    /// Field letters that may start a line in the tune body (others, like `A:`, would be music).
    static let bodyFieldLetters: Set<Unicode.Scalar> = ["K", "L", "M", "P", "Q", "T", "V", "W", "w", "I", "N", "R", "U", "m", "s", "r", "+"]

    mutating func parse(index: Int, fileHeader: [Field]) -> Tune {
        var inHeader = true
        for l in lines {
            let line = source.scalars[source.lines[l]]
            let lineNumber = l + 1
            let s = line.startIndex
            if line.count >= 2 && line[s] == "%" && line[s + 1] == "%" {
                let text = String(scalars: line.dropFirst(2)).trimmingSpaces()
                if inHeader { header.append(Field(letter: "%", value: text)); headerLines.append(lineNumber) } else { append(.directive(text), lineNumber, 1) }
                continue
            }
            if line.first == "%" { continue }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.count >= 2, line[s + 1] == ":", line[s].isASCII,
               inHeader ? (line[s].properties.isAlphabetic || line[s] == "+") : TuneParser.bodyFieldLetters.contains(line[s]) {
                let field = Field(letter: Character(line[s]), value: TuneParser.fieldValue(line.dropFirst(2)))
                if inHeader {
                    if field.letter == "+", let last = header.indices.last {
                        header[last].value += " " + field.value
                    } else {
                        header.append(field)
                        headerLines.append(lineNumber)
                    }
                    if field.letter == "K" { inHeader = false }
                } else {
                    append(.field(field), lineNumber, 1)
                }
                continue
            }
            if inHeader {
                if l == lines.lowerBound {
                    diagnose(.error, .syntax, line: lineNumber, column: 1, "tune does not start with X:")
                } else {
                    diagnose(.warning, .header, line: lineNumber, column: 1, "music before the K: field",
                             hint: "end the header with a K: line, e.g. K:C")
                }
                inHeader = false
            }
            tokenize(Array(line), lineNumber: lineNumber)
        }
        if slurDepth > 0 {
            diagnose(.warning, .syntax, line: lines.upperBound, column: 1, "\(slurDepth) slur(s) opened with '(' and never closed")
        }
        return TuneAnalysis.makeTune(parser: self, index: index, fileHeader: fileHeader)
    }

    mutating func append(_ element: BodyElement, _ line: Int, _ column: Int) {
        body.append(element)
        locations.append(SourceLocation(line: line, column: column))
    }

    static func isNoteLetter(_ c: Unicode.Scalar) -> Bool {
        ("A"..."G").contains(c) || ("a"..."g").contains(c)
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    static let shorthandDecorations: [Unicode.Scalar: String] = [
        "~": "roll", ".": "staccato", "H": "fermata", "L": "accent", "M": "lowermordent", "O": "coda",
        "P": "uppermordent", "S": "segno", "T": "trill", "u": "upbow", "v": "downbow",
    ]

    /// Reads digits at `i`; values above `cap` are reported through `overflow` (digits still consumed).
    static func readNumber(_ s: [Unicode.Scalar], _ i: inout Int, cap: Int, overflow: inout Bool) -> Int {
        var n = 0
        while i < s.count, isDigit(s[i]) {
            if n <= cap { n = n * 10 + Int(s[i].value - 48) }
            i += 1
        }
        if n > cap { overflow = true; n = cap }
        return n
    }

    /// A length after a note, rest or chord: `2`, `/2`, `/`, `//`, `3/2`, `3/`. Default 1.
    mutating func parseLength(_ s: [Unicode.Scalar], _ i: inout Int, line: Int) -> Rational {
        let start = i
        var overflow = false
        var num = 1, den = 1
        if i < s.count, TuneParser.isDigit(s[i]) { num = TuneParser.readNumber(s, &i, cap: 10_000, overflow: &overflow) }
        if i < s.count, s[i] == "/" {
            i += 1
            if i < s.count, TuneParser.isDigit(s[i]) {
                den = TuneParser.readNumber(s, &i, cap: 10_000, overflow: &overflow)
            } else {
                den = 2
                while i < s.count, s[i] == "/" {
                    i += 1
                    if den >= 1 << 12 { overflow = true } else { den *= 2 }
                }
            }
        }
        if overflow {
            diagnose(.error, .syntax, line: line, column: start + 1, "note length too large",
                     hint: "lengths are multiples of L:, e.g. A2 or A/2")
            return .one
        }
        if num == 0 || den == 0 {
            diagnose(.error, .syntax, line: line, column: start + 1, "note length of zero")
            return .one
        }
        return Rational(num, den) ?? .one
    }

    /// A note at `i` (accidental, letter, octave marks, length); nil with a diagnostic if malformed.
    mutating func parseNote(_ s: [Unicode.Scalar], _ i: inout Int, line: Int) -> Note? {
        let start = i
        var accidental: Accidental?
        if s[i] == "^" {
            if i + 1 < s.count, s[i + 1] == "^" { accidental = .doubleSharp; i += 2 } else { accidental = .sharp; i += 1 }
        } else if s[i] == "_" {
            if i + 1 < s.count, s[i + 1] == "_" { accidental = .doubleFlat; i += 2 } else { accidental = .flat; i += 1 }
        } else if s[i] == "=" {
            accidental = .natural
            i += 1
        }
        guard i < s.count, TuneParser.isNoteLetter(s[i]) else {
            diagnose(.error, .syntax, line: line, column: start + 1, "accidental without a note")
            return nil
        }
        let lower = s[i].value >= 97
        let letter = Character(Unicode.Scalar(UInt8(lower ? s[i].value - 32 : s[i].value)))
        var octave = lower ? 1 : 0
        i += 1
        while i < s.count, s[i] == "'" || s[i] == "," {
            octave += s[i] == "'" ? 1 : -1
            i += 1
        }
        if abs(octave) > 8 {
            diagnose(.error, .syntax, line: line, column: start + 1, "too many octave marks")
            octave = octave > 0 ? 8 : -8
        }
        let length = parseLength(s, &i, line: line)
        return Note(letter: letter, octave: octave, accidental: accidental, length: length)
    }

    /// Ending list `1`, `1,3`, `1-3`; nil if malformed.
    static func readEnding(_ s: [Unicode.Scalar], _ i: inout Int) -> String {
        var text = ""
        while i < s.count, isDigit(s[i]) || ((s[i] == "," || s[i] == "-") && i + 1 < s.count && isDigit(s[i + 1])) {
            text.unicodeScalars.append(s[i])
            i += 1
        }
        return text
    }

    /// Numbers of an ending list, or nil when malformed or out of 1...99.
    static func endingNumbers(_ text: String) -> [Int]? {
        var result: [Int] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-")
            guard (1...2).contains(ends.count), let a = Int(ends[0]), let b = Int(ends.last!),
                  (1...99).contains(a), (a...99).contains(b) else { return nil }
            result += Array(a...b)
        }
        return result.isEmpty ? nil : result
    }

    /// Tokenizes one music line.
    mutating func tokenize(_ s: [Unicode.Scalar], lineNumber line: Int) {
        let n = s.count
        let lineStartCount = body.count
        // Next `!` and `+` after each position, so deciding `!deco!` vs `!` line break is O(1).
        var nextBang: [Int] = []
        var nextPlus: [Int] = []
        if s.contains("!") || s.contains("+") {
            nextBang = Array(repeating: -1, count: n + 1)
            nextPlus = Array(repeating: -1, count: n + 1)
            var b = -1, p = -1
            for k in stride(from: n - 1, through: 0, by: -1) {
                nextBang[k] = b
                nextPlus[k] = p
                if s[k] == "!" { b = k }
                if s[k] == "+" { p = k }
            }
        }
        func decorationName(_ from: Int, _ to: Int) -> String? {
            guard to > from + 1, to - from <= 41 else { return nil }
            let content = s[(from + 1)..<to]
            if content.contains(where: { $0 == " " || $0 == "\t" || $0 == "|" || $0 == "\"" }) { return nil }
            return String(scalars: content)
        }
        var i = 0
        while i < n {
            let c = s[i]
            let col = i + 1
            switch c {
            case " ", "\t":
                while i < n, s[i] == " " || s[i] == "\t" { i += 1 }
                if body.count > lineStartCount, body.last != .space { append(.space, line, col) }
            case "%":
                i = n
            case "\\":
                i += 1
                let rest = s[i...]
                if rest.allSatisfy({ $0 == " " || $0 == "\t" }) || rest.first(where: { $0 != " " && $0 != "\t" }) == "%" {
                    append(.continuation, line, col)
                    i = n
                } else {
                    diagnose(.error, .syntax, line: line, column: col, "'\\' is only allowed at the end of a line")
                }
            case "\"":
                var j = i + 1
                while j < n, s[j] != "\"" { j += 1 }
                let text = String(scalars: s[(i + 1)..<j])
                if j >= n {
                    diagnose(.error, .syntax, line: line, column: col, "unterminated quoted text", hint: "close it with \"")
                }
                if let first = text.first, "^_<>@".contains(first) { append(.annotation(text), line, col) } else { append(.chordSymbol(text), line, col) }
                i = j + 1
            case "!":
                let j = nextBang.isEmpty ? -1 : nextBang[i]
                if j > i, let name = decorationName(i, j) {
                    append(.decoration(name), line, col)
                    i = j + 1
                } else {
                    append(.bangLineBreak, line, col)
                    i += 1
                }
            case "+":
                let j = nextPlus.isEmpty ? -1 : nextPlus[i]
                if j > i, let name = decorationName(i, j) {
                    append(.decoration(name), line, col)
                    i = j + 1
                } else {
                    diagnose(.error, .syntax, line: line, column: col, "'+' without a closing '+'", hint: "write decorations as !name! or +name+")
                    i += 1
                }
            case "{":
                i += 1
                var notes: [Note] = []
                var acciaccatura = false
                if i < n, s[i] == "/" { acciaccatura = true; i += 1 }
                while i < n, s[i] != "}" {
                    if TuneParser.isNoteLetter(s[i]) || "^_=".unicodeScalars.contains(s[i]) {
                        if let note = parseNote(s, &i, line: line) { notes.append(note) }
                    } else if s[i] == " " {
                        i += 1
                    } else {
                        diagnose(.error, .syntax, line: line, column: i + 1, "unexpected \(TuneParser.describe(s[i])) in grace notes")
                        i += 1
                    }
                }
                if i >= n {
                    diagnose(.error, .syntax, line: line, column: col, "grace notes not closed with '}'")
                } else {
                    i += 1
                }
                if notes.isEmpty {
                    diagnose(.warning, .syntax, line: line, column: col, "empty grace notes {}")
                } else {
                    append(.graceNotes(notes, acciaccatura: acciaccatura), line, col)
                }
            case "[":
                if i + 1 < n, s[i + 1] == "|" {
                    parseBar(s, &i, line: line)
                } else if i + 1 < n, TuneParser.isDigit(s[i + 1]) {
                    i += 1
                    let text = TuneParser.readEnding(s, &i)
                    if TuneParser.endingNumbers(text) == nil {
                        diagnose(.error, .syntax, line: line, column: col, "bad ending number '\(text)'")
                    }
                    append(.ending(text), line, col)
                } else if i + 2 < n, s[i + 1].isASCII, s[i + 1].properties.isAlphabetic, s[i + 2] == ":" {
                    var j = i + 3
                    while j < n, s[j] != "]" { j += 1 }
                    if j >= n {
                        diagnose(.error, .syntax, line: line, column: col, "inline field not closed with ']'")
                    }
                    let value = String(scalars: s[(i + 3)..<min(j, n)]).trimmingSpaces()
                    append(.inlineField(Field(letter: Character(s[i + 1]), value: value)), line, col)
                    i = j + 1
                } else {
                    parseChord(s, &i, line: line)
                }
            case "|":
                parseBar(s, &i, line: line)
            case ":":
                if i + 1 < n, s[i + 1] == "|" || s[i + 1] == ":" {
                    parseBar(s, &i, line: line)
                } else {
                    diagnose(.error, .syntax, line: line, column: col, "stray ':'", hint: "repeats are written |: and :|")
                    i += 1
                }
            case "(":
                if i + 1 < n, TuneParser.isDigit(s[i + 1]) {
                    i += 1
                    var overflow = false
                    let p = TuneParser.readNumber(s, &i, cap: 1000, overflow: &overflow)
                    var q: Int?, r: Int?
                    if i < n, s[i] == ":" {
                        i += 1
                        if i < n, TuneParser.isDigit(s[i]) { q = TuneParser.readNumber(s, &i, cap: 1000, overflow: &overflow) }
                        if i < n, s[i] == ":" {
                            i += 1
                            if i < n, TuneParser.isDigit(s[i]) { r = TuneParser.readNumber(s, &i, cap: 1000, overflow: &overflow) }
                        }
                    }
                    if overflow || !(2...64).contains(p) || !(1...64).contains(q ?? 1) || !(1...64).contains(r ?? 1) {
                        diagnose(.error, .syntax, line: line, column: col, "tuplet out of range",
                                 hint: "tuplets are (p:q:r with p from 2 to 64")
                    } else {
                        append(.tuplet(Tuplet(p: p, q: q, r: r)), line, col)
                    }
                } else {
                    slurDepth += 1
                    append(.slurStart, line, col)
                    i += 1
                }
            case ")":
                if slurDepth == 0 {
                    diagnose(.warning, .syntax, line: line, column: col, "')' without an opening '('")
                } else {
                    slurDepth -= 1
                }
                append(.slurEnd, line, col)
                i += 1
            case "-":
                i += 1
                switch body.last {
                case var .note(note)?:
                    note.tied = true
                    body[body.count - 1] = .note(note)
                case var .chord(chord)?:
                    chord.tied = true
                    body[body.count - 1] = .chord(chord)
                default:
                    diagnose(.warning, .syntax, line: line, column: col, "tie '-' not after a note")
                }
            case ">", "<":
                var count = 0
                while i < n, s[i] == c { count += 1; i += 1 }
                if count > 3 {
                    diagnose(.error, .syntax, line: line, column: col, "broken rhythm longer than \(String(repeating: String(c), count: 3))")
                    count = 3
                }
                append(.brokenRhythm(c == ">" ? count : -count), line, col)
            case "^", "_", "=", "A"..."G", "a"..."g":
                if let note = parseNote(s, &i, line: line) { append(.note(note), line, col) }
            case "z", "x":
                i += 1
                append(.rest(length: parseLength(s, &i, line: line), invisible: c == "x"), line, col)
            case "Z", "X":
                i += 1
                var overflow = false
                var bars = 1
                if i < n, TuneParser.isDigit(s[i]) { bars = TuneParser.readNumber(s, &i, cap: 10_000, overflow: &overflow) }
                if overflow || bars == 0 {
                    diagnose(.error, .syntax, line: line, column: col, "multi-bar rest count out of range (1...10000)")
                    bars = 1
                }
                append(.multiBarRest(bars: bars, invisible: c == "X"), line, col)
            case "y":
                i += 1
                while i < n, TuneParser.isDigit(s[i]) || s[i] == "." { i += 1 }
                append(.spacer, line, col)
            case "&":
                diagnose(.warning, .syntax, line: line, column: col, "voice overlay '&' is not supported; overlaid notes are ignored for timing",
                         hint: "write the second voice with V:")
                append(.overlay, line, col)
                i += 1
            case "`", "$", "*":
                i += 1 // beaming, score line break and the like: layout only
            default:
                if let name = TuneParser.shorthandDecorations[c] {
                    append(.decoration(name), line, col)
                } else if c != "\u{FFFD}" { // invalid UTF-8 is already reported
                    diagnose(.error, .syntax, line: line, column: col, "unexpected \(TuneParser.describe(c))")
                }
                i += 1
            }
        }
        if body.count > lineStartCount, body.last == .space {
            body.removeLast()
            locations.removeLast()
        }
        if body.count > lineStartCount { append(.lineBreak, line, n + 1) }
    }

    /// `'x'` for printable characters, `U+0000` style otherwise.
    static func describe(_ c: Unicode.Scalar) -> String {
        if c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value) {
            let hex = String(c.value, radix: 16, uppercase: true)
            return "control character U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return "character '\(Character(c))'"
    }

    /// A bar line token at `i` (`|`, `||`, `[|`, `|]`, `|:`, `:|`, `::`, `:|:` ...) and an ending right after.
    mutating func parseBar(_ s: [Unicode.Scalar], _ i: inout Int, line: Int) {
        let col = i + 1
        var token = ""
        if s[i] == "[" { token = "["; i += 1 }
        while i < s.count {
            let c = s[i]
            if c == "|" || c == ":" || (c == "]" && token.last == "|") {
                token.unicodeScalars.append(c)
                i += 1
            } else {
                break
            }
        }
        var ending: String?
        if i < s.count, TuneParser.isDigit(s[i]) {
            let text = TuneParser.readEnding(s, &i)
            if TuneParser.endingNumbers(text) == nil {
                diagnose(.error, .syntax, line: line, column: col, "bad ending number '\(text)'")
            }
            ending = text
        }
        append(.bar(BarLine(token: token, ending: ending)), line, col)
    }

    /// A chord `[CEG]2` at `i`; inner `[` is an error (chords do not nest).
    mutating func parseChord(_ s: [Unicode.Scalar], _ i: inout Int, line: Int) {
        let col = i + 1
        let n = s.count
        i += 1
        var notes: [Note] = []
        var decorations: [String] = []
        while i < n, s[i] != "]" {
            let c = s[i]
            if TuneParser.isNoteLetter(c) || c == "^" || c == "_" || c == "=" {
                if var note = parseNote(s, &i, line: line) {
                    if i < n, s[i] == "-" { note.tied = true; i += 1 }
                    notes.append(note)
                }
            } else if c == "!" {
                var j = i + 1
                while j < n, s[j] != "!", s[j] != "]" { j += 1 }
                if j < n, s[j] == "!", j > i + 1 {
                    decorations.append(String(scalars: s[(i + 1)..<j]))
                    i = j + 1
                } else {
                    diagnose(.error, .syntax, line: line, column: i + 1, "unterminated !decoration! in chord")
                    i += 1
                }
            } else if let name = TuneParser.shorthandDecorations[c] {
                decorations.append(name)
                i += 1
            } else if c == " " || c == "\t" {
                i += 1
            } else {
                diagnose(.error, .syntax, line: line, column: i + 1,
                         c == "[" ? "'[' inside a chord (chords do not nest)" : "unexpected \(TuneParser.describe(c)) in chord")
                i += 1
            }
        }
        if i >= n {
            diagnose(.error, .syntax, line: line, column: col, "chord not closed with ']'")
        } else {
            i += 1
        }
        let length = parseLength(s, &i, line: line)
        var tied = false
        if i < n, s[i] == "-" { tied = true; i += 1 }
        if notes.isEmpty {
            diagnose(.warning, .syntax, line: line, column: col, "empty chord []")
            return
        }
        append(.chord(Chord(notes: notes, length: length, tied: tied, decorations: decorations)), line, col)
    }
}
