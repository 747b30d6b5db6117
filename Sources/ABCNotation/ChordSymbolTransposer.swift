// ChordSymbolTransposer: moves guitar-chord symbols ("G", "Em7", "D/F#", "Bbmaj7", "(A7)") by an
// interval, spelling roots and bass notes by letter steps like the notes. Text that does not read
// as chords ("Coda", "Verse", "Fine") is left alone, so quoted words are never mangled.

enum ChordSymbolTransposer {
    /// Quality words, longest first so "maj" wins over "m".
    static let qualityUnits = ["maj", "min", "dim", "aug", "sus", "add", "m", "M", "+", "-", "o", "°", "ø", "Δ",
                               "#", "b", "♯", "♭", "(", ")", ","]

    /// `text` with every chord moved by `interval`; nil when some space-separated word is not a chord.
    static func transpose(_ text: String, by interval: TranspositionInterval) -> String? {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard words.contains(where: { !$0.isEmpty }) else { return nil }
        var out: [String] = []
        for word in words {
            if word.isEmpty { out.append(""); continue }
            guard let moved = transposeChord(word, by: interval) else { return nil }
            out.append(moved)
        }
        return out.joined(separator: " ")
    }

    /// One chord, optionally in parentheses: root, quality, optional `/bass`.
    static func transposeChord(_ word: Substring, by interval: TranspositionInterval) -> String? {
        var rest = word
        var open = "", close = ""
        if rest.first == "(" && rest.last == ")" && rest.count > 2 {
            open = "("; close = ")"
            rest = rest.dropFirst().dropLast()
        }
        guard let (root, afterRoot) = readNote(rest) else { return nil }
        var quality = afterRoot
        var bassText = ""
        if let slash = afterRoot.firstIndex(of: "/") {
            quality = afterRoot[..<slash]
            guard let (bass, afterBass) = readNote(afterRoot[afterRoot.index(after: slash)...]), afterBass.isEmpty else { return nil }
            bassText = "/" + spell(bass, by: interval)
        }
        guard isQuality(quality) else { return nil }
        return open + spell(root, by: interval) + String(quality) + bassText + close
    }

    struct NoteName {
        var letter: Int
        var alteration: Int
        var unicode: Bool
    }

    /// A letter A-G with at most one accidental (`#`, `b`, `♯`, `♭`).
    static func readNote(_ s: Substring) -> (NoteName, Substring)? {
        guard let first = s.first, let li = KeySignature.letterIndex(first) else { return nil }
        var rest = s.dropFirst()
        var alteration = 0
        var unicode = false
        if let c = rest.first, "#♯b♭".contains(c) {
            alteration = (c == "#" || c == "♯") ? 1 : -1
            unicode = c == "♯" || c == "♭"
            rest = rest.dropFirst()
        }
        return (NoteName(letter: li, alteration: alteration, unicode: unicode), rest)
    }

    static func isQuality(_ s: Substring) -> Bool {
        var rest = s
        while !rest.isEmpty {
            if let d = rest.first, d.isASCII, d.isNumber { rest = rest.dropFirst(); continue }
            guard let unit = qualityUnits.first(where: { rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }

    /// The name moved by the interval's letter steps; a double accidental becomes the simpler
    /// enharmonic name (F## → G).
    static func spell(_ name: NoteName, by interval: TranspositionInterval) -> String {
        let pitchClass = Transposer.naturals[name.letter] + name.alteration + interval.semitones
        func alteration(_ letter: Int) -> Int {
            var a = ((pitchClass - Transposer.naturals[letter]) % 12 + 12) % 12
            if a > 6 { a -= 12 }
            return a
        }
        var letter = ((name.letter + interval.steps) % 7 + 7) % 7
        if abs(alteration(letter)) > 1 {
            letter = [(letter + 1) % 7, (letter + 6) % 7].min { abs(alteration($0)) < abs(alteration($1)) }!
        }
        let a = alteration(letter)
        let sharp = name.unicode ? "♯" : "#", flat = name.unicode ? "♭" : "b"
        return String(KeySignature.letters[letter]) + (a > 0 ? sharp : a < 0 ? flat : "")
    }
}
