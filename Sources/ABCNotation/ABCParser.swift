// ABCParser: the entry point. Splits a file into an optional file header and tunes (a tune
// starts at `X:` and ends at a blank line or the end of the file), then parses each tune
// (TuneParser) and judges it (TuneAnalysis). Never traps; problems become diagnostics.

/// A file of ABC tunes, parsed.
public struct ABCFile: Sendable {
    /// The name diagnostics use for this file.
    public var fileName: String
    /// Fields before the first `X:` (the file header); they apply to every tune.
    public var headerFields: [Field]
    /// Tunes in file order (`Tune.index` is 1-based position).
    public var tunes: [Tune]
    /// Problems outside any tune (for example invalid UTF-8 in free text).
    public var diagnostics: [Diagnostic]
}

/// One tune's text as found in a file.
public struct TuneText: Sendable, Hashable {
    /// The tune's lines, from `X:` to the line before the blank line, joined with "\n".
    public var text: String
    /// 1-based file line of the `X:` line.
    public var startLine: Int
}

/// Reads ABC 2.1 text.
public enum ABCParser {
    /// Parses every tune in `text`. O(length of text).
    public static func parse(_ text: String, fileName: String = "<input>") -> ABCFile {
        parse(bytes: Array(text.utf8), fileName: fileName)
    }

    /// Parses raw bytes, decoding UTF-8 leniently (invalid bytes are diagnostics).
    public static func parse(bytes: [UInt8], fileName: String = "<input>") -> ABCFile {
        var tunes: [Tune] = []
        var file = parseEach(bytes: bytes, fileName: fileName) { tunes.append($0) }
        file.tunes = tunes
        return file
    }

    /// Parses raw bytes like `parse(bytes:)`, handing each tune to `body` in file order instead of
    /// keeping it, so memory holds one parsed tune at a time (for checking large files). Returns
    /// the file with its header and file-level diagnostics and no tunes.
    public static func parseEach(bytes: [UInt8], fileName: String = "<input>", _ body: (Tune) -> Void) -> ABCFile {
        let source = SourceText(bytes: bytes)
        let blocks = split(source)
        var fileDiagnostics: [Diagnostic] = []
        // Invalid UTF-8 goes to the tune holding the line, or to the file.
        var invalidByTune: [Int: [Diagnostic]] = [:]
        var tuneOfLine: [Int: Int] = [:]
        if !source.invalidUTF8.isEmpty {
            for (t, range) in blocks.tunes.enumerated() { for l in range { tuneOfLine[l] = t } }
        }
        for bad in source.invalidUTF8 {
            let d = Diagnostic(severity: .error, category: .syntax, fileName: fileName, line: bad.line + 1,
                               column: bad.column + 1, message: "invalid UTF-8 byte sequence",
                               hint: "save the file as UTF-8")
            if let t = tuneOfLine[bad.line] { invalidByTune[t, default: []].append(d) } else { fileDiagnostics.append(d) }
        }
        var headerFields: [Field] = []
        if let header = blocks.header {
            for l in header {
                let line = source.scalars[source.lines[l]]
                if line.count >= 2, line[line.startIndex + 1] == ":", let f = line.first, f.properties.isAlphabetic, f.isASCII {
                    headerFields.append(Field(letter: Character(f), value: TuneParser.fieldValue(line.dropFirst(2))))
                }
            }
        }
        for line in blocks.strayMusic {
            fileDiagnostics.append(Diagnostic(severity: .warning, category: .syntax, fileName: fileName, line: line + 1, column: 1,
                                              message: "music outside any tune is ignored",
                                              hint: "a blank line ends a tune; remove it, or start a new tune with X:"))
        }
        for (t, range) in blocks.tunes.enumerated() {
            var parser = TuneParser(source: source, lines: range, fileName: fileName)
            if let extra = invalidByTune[t] { parser.diagnostics += extra }
            if blocks.unseparated.contains(range.lowerBound) {
                parser.diagnose(.warning, .syntax, line: range.lowerBound + 1, column: 1,
                                "tune starts without a blank line before X:", hint: "separate tunes with a blank line")
            }
            body(parser.parse(index: t + 1, fileHeader: headerFields))
        }
        return ABCFile(fileName: fileName, headerFields: headerFields, tunes: [], diagnostics: fileDiagnostics)
    }

    /// Each tune's text and first line, without parsing it (for training data). O(length).
    public static func splitTunes(_ text: String) -> [TuneText] {
        let source = SourceText(bytes: Array(text.utf8))
        return split(source).tunes.map { TuneText(text: source.text(lines: $0), startLine: $0.lowerBound + 1) }
    }

    /// Parses the first tune of `text`; nil when there is none. Handy in tests and for samplers.
    public static func parseTune(_ text: String, fileName: String = "<input>") -> Tune? {
        parse(text, fileName: fileName).tunes.first
    }

    struct Blocks {
        var header: Range<Int>?
        var tunes: [Range<Int>] = []
        /// First lines of tunes that followed another tune with no blank line.
        var unseparated: Set<Int> = []
        /// First lines of blocks outside tunes (not the file header) that hold bar lines: probably
        /// music cut off from its tune by a blank line.
        var strayMusic: [Int] = []
    }

    /// File header (first block, if it holds no X:), and tune line ranges.
    static func split(_ source: SourceText) -> Blocks {
        var blocks = Blocks()
        let count = source.lines.count
        var l = 0
        // The first block is the file header unless it contains a tune.
        var firstBlockEnd = 0
        while firstBlockEnd < count, !source.isBlank(firstBlockEnd) { firstBlockEnd += 1 }
        if !(0..<firstBlockEnd).contains(where: { source.startsWithX($0) }) && firstBlockEnd > 0 {
            blocks.header = 0..<firstBlockEnd
            l = firstBlockEnd
        }
        var start: Int?
        while l < count {
            if let s = start {
                if source.isBlank(l) {
                    blocks.tunes.append(s..<l)
                    start = nil
                } else if source.startsWithX(l) {
                    blocks.tunes.append(s..<l)
                    blocks.unseparated.insert(l)
                    start = l
                }
            } else if source.startsWithX(l) {
                start = l
            } else if !source.isBlank(l), l == 0 || source.isBlank(l - 1) || blocks.tunes.last?.upperBound == l {
                // First line of a free-text block: warn if the block looks like music.
                var k = l
                while k < count, !source.isBlank(k), !source.startsWithX(k) {
                    let line = source.scalars[source.lines[k]]
                    if line.first != "%", line.contains("|") { blocks.strayMusic.append(k); break }
                    k += 1
                }
            }
            l += 1
        }
        if let s = start { blocks.tunes.append(s..<count) }
        return blocks
    }
}
