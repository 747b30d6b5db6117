// ABCFormatter: a tune back to canonical ABC text. Header fields one per line, body elements
// in order, decorations always as `!name!`, lengths in lowest terms (`A/` for a half, `A3/2`).
// Parsing the output gives the same TuneStructure (tested over the whole corpus).

/// Writes tunes as ABC text.
public enum ABCFormatter {
    /// The tune as canonical ABC, ending with a newline. O(elements).
    public static func format(_ tune: Tune) -> String {
        var out = ""
        for field in tune.header {
            if field.letter == "%" { out += "%%" + field.value } else { out += "\(field.letter):\(field.value)" }
            out += "\n"
        }
        for element in tune.body {
            switch element {
            case .field, .directive:
                if !out.hasSuffix("\n") { out += "\n" }
            default:
                break
            }
            write(element, to: &out)
        }
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    /// Several tunes separated by blank lines.
    public static func format(_ tunes: [Tune]) -> String {
        tunes.map(format).joined(separator: "\n")
    }

    /// A length multiplier: "" for 1, "2", "/" for 1/2, "/4", "3/2".
    public static func length(_ r: Rational) -> String {
        if r == .one { return "" }
        if r.denominator == 1 { return "\(r.numerator)" }
        let num = r.numerator == 1 ? "" : "\(r.numerator)"
        if r.denominator == 2 { return num + "/" }
        return num + "/\(r.denominator)"
    }

    /// A note as ABC: accidental, letter in the right case, octave marks, length, tie.
    public static func note(_ n: Note) -> String {
        var s = n.accidental?.abc ?? ""
        if n.octave >= 1 {
            s.unicodeScalars.append(Unicode.Scalar(n.letterCode + 32))
            for _ in 1..<n.octave { s += "'" }
        } else {
            s.unicodeScalars.append(Unicode.Scalar(n.letterCode))
            for _ in 0 ..< -n.octave { s += "," }
        }
        s += length(n.length)
        if n.tied { s += "-" }
        return s
    }

    static func write(_ element: BodyElement, to out: inout String) {
        switch element {
        case let .note(n):
            out += note(n)
        case let .rest(l, invisible):
            out += (invisible ? "x" : "z") + length(l)
        case let .multiBarRest(bars, invisible):
            out += (invisible ? "X" : "Z") + (bars == 1 ? "" : "\(bars)")
        case let .chord(c):
            out += "["
            for d in c.decorations { out += "!\(d)!" }
            for n in c.notes { out += note(n) }
            out += "]" + length(c.length) + (c.tied ? "-" : "")
        case let .graceNotes(notes, acciaccatura):
            out += "{" + (acciaccatura ? "/" : "") + notes.map(note).joined() + "}"
        case let .decoration(name):
            out += "!\(name)!"
        case let .chordSymbol(text), let .annotation(text):
            out += "\"\(text)\""
        case let .brokenRhythm(count):
            out += String(repeating: count > 0 ? ">" : "<", count: abs(count))
        case let .tuplet(t):
            out += "(\(t.p)"
            if t.q != nil || t.r != nil { out += ":" + (t.q.map(String.init) ?? "") }
            if let r = t.r { out += ":\(r)" }
        case .slurStart:
            out += "("
        case .slurEnd:
            out += ")"
        case let .bar(bar):
            out += bar.token + (bar.ending ?? "")
        case let .ending(text):
            out += "[" + text
        case let .inlineField(f):
            out += "[\(f.letter):\(f.value)]"
        case let .field(f):
            out += "\(f.letter):\(f.value)\n"
        case let .directive(text):
            out += "%%\(text)\n"
        case .space:
            out += " "
        case .lineBreak:
            out += "\n"
        case .continuation:
            out += "\\"
        case .bangLineBreak:
            out += "!"
        case .spacer:
            out += "y"
        case .overlay:
            out += "&"
        }
    }
}
