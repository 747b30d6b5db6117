// ChordName: guitar-chord symbols as written in ABC ("G", "Am", "D7", "Em/B", "F#m", "Bb") parsed
// into pitches for the optional accompaniment pad. Names it cannot read are skipped by the caller.

/// A parsed chord symbol: root pitch class, the intervals above the root, and an optional bass.
public struct ChordName: Sendable, Equatable {
    /// Pitch class of the root, 0 = C ... 11 = B.
    public var root: Int
    /// Semitones above the root, root (0) included, ascending.
    public var intervals: [Int]
    /// Pitch class of the bass note after `/`, if written.
    public var bass: Int?

    public init(root: Int, intervals: [Int], bass: Int? = nil) {
        self.root = root
        self.intervals = intervals
        self.bass = bass
    }

    /// Parses `name`; nil when it is not a chord this reader understands.
    /// Accepts root A–G (either case for the letter), `#`/`b` accidentals, and the qualities
    /// m, min, -, maj, M, dim, °, aug, +, sus2, sus4, sus, 5, 6, m6, 7, maj7, M7, m7, dim7, 9, m9,
    /// followed by an optional `/bass`.
    public init?(_ name: String) {
        var s = Substring(name.trimmingCharacters())
        // Slash bass first.
        var bass: Int?
        if let slash = s.firstIndex(of: "/") {
            let b = s[s.index(after: slash)...]
            guard let (pc, rest) = ChordName.pitchClass(b), rest.isEmpty else { return nil }
            bass = pc
            s = s[..<slash]
        }
        guard let (root, quality) = ChordName.pitchClass(s) else { return nil }
        let table: [String: [Int]] = [
            "": [0, 4, 7], "M": [0, 4, 7], "maj": [0, 4, 7],
            "m": [0, 3, 7], "min": [0, 3, 7], "-": [0, 3, 7],
            "dim": [0, 3, 6], "°": [0, 3, 6], "o": [0, 3, 6],
            "aug": [0, 4, 8], "+": [0, 4, 8],
            "sus": [0, 5, 7], "sus4": [0, 5, 7], "sus2": [0, 2, 7], "5": [0, 7],
            "6": [0, 4, 7, 9], "m6": [0, 3, 7, 9],
            "7": [0, 4, 7, 10], "maj7": [0, 4, 7, 11], "M7": [0, 4, 7, 11],
            "m7": [0, 3, 7, 10], "min7": [0, 3, 7, 10], "dim7": [0, 3, 6, 9], "m7b5": [0, 3, 6, 10],
            "9": [0, 4, 7, 10, 14], "m9": [0, 3, 7, 10, 14], "7sus4": [0, 5, 7, 10],
        ]
        guard let intervals = table[String(quality)] else { return nil }
        self.root = root
        self.intervals = intervals
        self.bass = bass
    }

    /// Reads a root letter and accidentals; returns the pitch class and what follows.
    private static func pitchClass(_ s: Substring) -> (Int, Substring)? {
        guard let first = s.first else { return nil }
        let letters: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]
        guard let base = letters[Character(first.uppercased())] else { return nil }
        var pc = base
        var rest = s.dropFirst()
        while let c = rest.first, c == "#" || c == "b" || c == "♯" || c == "♭" {
            pc += (c == "#" || c == "♯") ? 1 : -1
            rest = rest.dropFirst()
        }
        return (((pc % 12) + 12) % 12, rest)
    }

    /// Pad voicing as MIDI pitches: bass in octave 2 (36...47) and the chord tones from the root
    /// in octave 3 (48...59) upward.
    public var padPitches: [Int] {
        let bassPitch = 36 + (bass ?? root)
        return [bassPitch] + intervals.map { 48 + root + $0 }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace || c == "\"" { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace || c == "\"" { s = s.dropLast() }
        return String(s)
    }
}
