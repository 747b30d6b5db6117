// KeySignature: the `K:` field. Tonic and mode give a number of sharps or flats on the
// circle of fifths; explicit accidentals (`K:D ^g`) and bagpipe keys (`K:HP`) adjust single
// letters. `accidental(for:)` is what the score builder asks for every unmarked note.

/// A mode of a key; minor is aeolian.
public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
    case major, minor, ionian, dorian, phrygian, lydian, mixolydian, aeolian, locrian

    /// Fifths to add to the major key of the tonic (D dorian has the signature of C major).
    var fifthsOffset: Int {
        switch self {
        case .major, .ionian: return 0
        case .lydian: return 1
        case .mixolydian: return -1
        case .dorian: return -2
        case .minor, .aeolian: return -3
        case .phrygian: return -4
        case .locrian: return -5
        }
    }

    /// Reads `maj`, `Major`, `m`, `min`, `Dor`, `mixolydian` ... (any case, 3 letters or more
    /// of the full name, or `m` alone). Nil when not a mode.
    static func parse(_ word: Substring) -> Mode? {
        let w = word.lowercased()
        if w.isEmpty { return nil }
        if w == "m" { return .minor }
        guard w.count >= 3 else { return nil }
        let names: [(String, Mode)] = [("major", .major), ("minor", .minor), ("ionian", .ionian), ("dorian", .dorian),
                                       ("phrygian", .phrygian), ("lydian", .lydian), ("mixolydian", .mixolydian),
                                       ("aeolian", .aeolian), ("locrian", .locrian)]
        for (name, mode) in names where name.hasPrefix(w) { return mode }
        return nil
    }
}

/// A key signature from `K:`.
public struct KeySignature: Sendable, Hashable, Codable {
    /// Tonic as written ("D", "F#", "Bb"), nil for `K:none`.
    public var tonic: String?
    /// The mode (major when not written).
    public var mode: Mode
    /// Sharps (positive) or flats (negative) from tonic and mode.
    public var fifths: Int
    /// Alteration in semitones for each letter C D E F G A B (index 0...6), explicit accidentals applied.
    public var alterations: [Int]
    /// `K:HP` / `K:Hp` (Highland pipes).
    public var isHighlandPipes: Bool
    /// `clef=` or a bare clef name, if given.
    public var clef: String?
    /// `transpose=` semitones (applied to sounding pitch).
    public var transpose: Int
    /// `octave=` (applied to sounding pitch, 12 semitones each).
    public var octave: Int

    /// C major, no accidentals: the key when `K:` is missing or `K:none`.
    public static let cMajor = KeySignature(tonic: "C", mode: .major, fifths: 0, alterations: Array(repeating: 0, count: 7),
                                            isHighlandPipes: false, clef: nil, transpose: 0, octave: 0)

    static let letters: [Character] = ["C", "D", "E", "F", "G", "A", "B"]

    /// Index 0...6 of an upper-case letter C...B.
    static func letterIndex(_ letter: Character) -> Int? { letterIndex(code: letter.asciiValue ?? 0) }

    /// Index 0...6 of an ASCII upper-case letter C...B. Bytes, not Characters: this runs for every note.
    static func letterIndex(code: UInt8) -> Int? {
        switch code {
        case 67: return 0
        case 68: return 1
        case 69: return 2
        case 70: return 3
        case 71: return 4
        case 65: return 5
        case 66: return 6
        default: return nil
        }
    }

    /// Alteration in semitones the key gives an unmarked `letter` (upper case).
    public func alteration(for letter: Character) -> Int {
        guard let i = KeySignature.letterIndex(letter) else { return 0 }
        return alterations[i]
    }

    /// Alterations for a number of sharps (positive) or flats (negative); beyond 7 they double.
    static func alterations(fifths: Int) -> [Int] {
        var result = Array(repeating: 0, count: 7)
        let sharpOrder: [Character] = ["F", "C", "G", "D", "A", "E", "B"]
        for n in 0..<abs(fifths) {
            let letter = fifths > 0 ? sharpOrder[n % 7] : sharpOrder[6 - n % 7]
            result[letterIndex(letter)!] += fifths > 0 ? 1 : -1
        }
        return result
    }

    /// Parses a `K:` value. Problems come back as messages; the key is always usable.
    static func parse(_ value: String) -> (key: KeySignature, problems: [String]) {
        var key = KeySignature.cMajor
        var problems: [String] = []
        var words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        guard let first = words.first else { return (key, ["empty K: field"]) }
        readTonic(first, words: &words, into: &key, problems: &problems)
        // Explicit accidentals, clef and other parameters.
        for word in words { readParameter(word, into: &key, problems: &problems) }
        return (key, problems)
    }

    /// The first word: a tonic (with mode glued on: "Ador", "Em", "F#m") or a special key. It
    /// (and a separate mode word) is taken off `words`; a first word that is a parameter stays.
    private static func readTonic(_ first: Substring, words: inout ArraySlice<Substring>, into key: inout KeySignature,
                                  problems: inout [String]) {
        if first.lowercased() == "none" {
            key.tonic = nil
            words = words.dropFirst()
        } else if first == "HP" || first == "Hp" {
            key.tonic = first == "HP" ? "HP" : "Hp"
            key.isHighlandPipes = true
            key.mode = .mixolydian
            // HP writes no signature (players read F and C sharp); Hp shows F# C# and g natural.
            key.alterations = [1, 0, 0, 1, 0, 0, 0]
            key.fifths = 2
            words = words.dropFirst()
        } else if let l = first.first, KeySignature.letterIndex(l) != nil {
            words = words.dropFirst()
            readLetterTonic(l, rest: first.dropFirst(), words: &words, into: &key, problems: &problems)
        } else if !first.contains("=") && !KeySignature.isClef(first) && !"^_=".contains(first.first!) {
            problems.append("unknown key '\(first)' in K:")
            words = words.dropFirst()
        }
    }

    /// A tonic letter `l` followed by `rest` of its word (an accidental, a mode), or by a mode word.
    private static func readLetterTonic(_ l: Character, rest: Substring, words: inout ArraySlice<Substring>,
                                        into key: inout KeySignature, problems: inout [String]) {
        var rest = rest
        var tonic = String(l)
        var accidental = 0
        if let a = rest.first, a == "#" || a == "b" {
            tonic.append(a)
            accidental = a == "#" ? 1 : -1
            rest = rest.dropFirst()
        }
        key.tonic = tonic
        var mode = Mode.major
        if !rest.isEmpty {
            if let m = Mode.parse(rest) { mode = m } else { problems.append("unknown mode '\(rest)' in K:") }
        } else if let next = words.first, let m = Mode.parse(next), !next.contains("=") {
            mode = m
            words = words.dropFirst()
        }
        key.mode = mode
        let base = [0, 2, 4, -1, 1, 3, 5][KeySignature.letterIndex(l)!]
        key.fifths = base + 7 * accidental + mode.fifthsOffset
        key.alterations = KeySignature.alterations(fifths: key.fifths)
    }

    /// A word after the tonic: `exp`, an explicit accidental (`^f`), `name=value`, or a clef.
    private static func readParameter(_ word: Substring, into key: inout KeySignature, problems: inout [String]) {
        if word.lowercased() == "exp" {
            // Only the explicit accidentals that follow make the signature.
            key.alterations = Array(repeating: 0, count: 7)
        } else if let c = word.first, "^_=".contains(c) {
            if let a = explicitAccidental(word) { key.alterations[a.index] = a.alteration } else {
                problems.append("bad explicit accidental '\(word)' in K:")
            }
        } else if let eq = word.firstIndex(of: "=") {
            let name = word[..<eq].lowercased(), v = word[word.index(after: eq)...]
            switch name {
            case "clef": key.clef = String(v)
            case "transpose":
                if let t = Int(v), abs(t) <= 48 { key.transpose = t } else { problems.append("bad transpose '\(v)' in K:") }
            case "octave":
                if let t = Int(v), abs(t) <= 4 { key.octave = t } else { problems.append("bad octave '\(v)' in K:") }
            default: break // middle=, stafflines=, t=, ... affect notation only
            }
        } else if KeySignature.isClef(word) {
            key.clef = String(word)
        } else {
            problems.append("unexpected '\(word)' in K:")
        }
    }

    /// `^f`, `__b`, `=c`: the letter's index and its alteration; nil if the word is not one.
    private static func explicitAccidental(_ word: Substring) -> (index: Int, alteration: Int)? {
        var chars = word[...]
        var alt = 0
        while let c = chars.first, "^_=".contains(c) {
            alt += c == "^" ? 1 : c == "_" ? -1 : 0
            chars = chars.dropFirst()
        }
        guard let letter = chars.first, chars.count == 1, let i = KeySignature.letterIndex(Character(letter.uppercased())) else { return nil }
        return (i, alt)
    }

    static func isClef(_ word: Substring) -> Bool {
        let clefs = ["treble", "bass", "alto", "tenor", "perc", "none", "bass3", "alto1", "alto2", "tenor", "baritone", "mezzo", "soprano"]
        let w = word.lowercased()
        return clefs.contains(w) || clefs.contains(where: { w.hasPrefix($0) && w.dropFirst($0.count).allSatisfy { "+-0123456789".contains($0) } })
    }
}
