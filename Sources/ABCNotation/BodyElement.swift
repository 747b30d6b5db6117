// BodyElement: the music of a tune as written, one element per token (notes, chords, bar
// lines, decorations, fields ...). Positions are kept apart (Tune.bodyLocations) so two parses
// of the same music compare equal whatever their layout; the formatter writes these back.

/// An accidental written before a note (or in `K:` as an explicit accidental).
public enum Accidental: Int, Sendable, Hashable, Codable {
    case doubleFlat = -2, flat = -1, natural = 0, sharp = 1, doubleSharp = 2

    /// The ABC spelling: `__ _ = ^ ^^`.
    public var abc: String {
        switch self {
        case .doubleFlat: return "__"
        case .flat: return "_"
        case .natural: return "="
        case .sharp: return "^"
        case .doubleSharp: return "^^"
        }
    }
}

/// A written note: letter, octave, accidental and length as a multiple of the unit length.
public struct Note: Sendable, Hashable {
    /// Upper-case letter A...G.
    public var letter: Character {
        get { Character(Unicode.Scalar(letterCode)) }
        set { letterCode = newValue.asciiValue ?? UInt8(ascii: "C") }
    }
    // Stored as an ASCII byte so a Note is plain data: copying one retains nothing, and
    // notes are copied a great deal.
    var letterCode: UInt8
    /// 0 for `C...B` (middle C octave), 1 for `c...b`, +1 per `'`, -1 per `,`.
    public var octave: Int
    /// Written accidental, nil when none (the key and the bar decide).
    public var accidental: Accidental?
    /// Length in unit lengths (`A2` is 2, `A/` is 1/2).
    public var length: Rational
    /// A `-` follows the note: tied to the next note of the same pitch.
    public var tied: Bool

    public init(letter: Character, octave: Int, accidental: Accidental? = nil, length: Rational = .one, tied: Bool = false) {
        self.letterCode = letter.asciiValue ?? UInt8(ascii: "C")
        self.octave = octave
        self.accidental = accidental
        self.length = length
        self.tied = tied
    }
}

/// Notes sounding together: `[CEG]2`. The chord lasts its first note's length times `length`.
public struct Chord: Sendable, Hashable {
    /// The notes, as written (each with its own inner length and tie).
    public var notes: [Note]
    /// Outer length multiplier written after `]`.
    public var length: Rational
    /// A `-` follows the chord: every note is tied.
    public var tied: Bool
    /// Decorations written inside the brackets.
    public var decorations: [String]

    public init(notes: [Note], length: Rational = .one, tied: Bool = false, decorations: [String] = []) {
        self.notes = notes
        self.length = length
        self.tied = tied
        self.decorations = decorations
    }
}

/// A bar line as written (`|`, `||`, `|]`, `[|`, `|:`, `:|`, `::`, `:|:`, `[|]`, ...), with an
/// ending attached directly (`|1`, `:|2`).
public struct BarLine: Sendable, Hashable {
    /// The bar symbols as written, without the ending (`:|`, `[|]`).
    public var token: String
    /// Ending list written right after the bar (`1`, `1,3`, `1-3`), if any.
    public var ending: String?

    public init(token: String, ending: String? = nil) {
        self.token = token
        self.ending = ending
    }

    // These are asked for every bar by the checks and the score: they look at UTF-8 bytes
    // directly, as String.contains(String) is slow.

    /// Starts with `:` (repeat end).
    public var isRepeatEnd: Bool { token.utf8.first == UInt8(ascii: ":") }
    /// Ends with `:` (repeat start).
    public var isRepeatStart: Bool { token.utf8.last == UInt8(ascii: ":") }
    /// A thick or double bar that ends a section (`||`, `|]`, `[|`).
    public var isSectionEnd: Bool {
        if isRepeatEnd || isRepeatStart { return false }
        var bars = 0
        for b in token.utf8 {
            if b == UInt8(ascii: "[") || b == UInt8(ascii: "]") { return true }
            if b == UInt8(ascii: "|") { bars += 1 }
        }
        return bars >= 2
    }
}

/// A tuplet `(p:q:r`: the next r notes take the time of q. Missing q and r are nil (defaults
/// depend on the meter; see `ABCParser.tupletDefaults`).
public struct Tuplet: Sendable, Hashable {
    /// p notes ...
    public var p: Int
    /// ... in the time of q (nil: the standard's default for p and the meter) ...
    public var q: Int?
    /// ... for the next r notes (nil: p).
    public var r: Int?
}

/// An information field: `K:D`, or inline `[K:D]`.
public struct Field: Sendable, Hashable {
    /// The field letter (`K`, `M`, `w` ...), or `%` for a `%%directive` kept in a header.
    public var letter: Character
    /// The text after the colon, trimmed, without a trailing `%` comment.
    public var value: String

    public init(letter: Character, value: String) {
        self.letter = letter
        self.value = value
    }
}

/// One token of tune body.
public enum BodyElement: Sendable, Hashable {
    case note(Note)
    /// `z` (or invisible `x`) with a length in unit lengths.
    case rest(length: Rational, invisible: Bool)
    /// `Z4` / `X4`: whole bars of rest.
    case multiBarRest(bars: Int, invisible: Bool)
    case chord(Chord)
    /// `{gab}`; `{/g}` is an acciaccatura.
    case graceNotes([Note], acciaccatura: Bool)
    /// `!trill!`, `+trill+`, or a shorthand (`~` is "roll", `.` "staccato", `T` "trill", ...).
    case decoration(String)
    /// `"Am"`.
    case chordSymbol(String)
    /// `"^text"`: the placement character is kept as the first character.
    case annotation(String)
    /// `>` (positive count) or `<` (negative count): `A>B`, `A>>B`, `A<B`.
    case brokenRhythm(Int)
    case tuplet(Tuplet)
    case slurStart
    case slurEnd
    case bar(BarLine)
    /// `[1`, `[2`, `[1,3`: an ending not attached to a bar line.
    case ending(String)
    /// `[K:G]` inside a music line.
    case inlineField(Field)
    /// A field on a line of its own in the body (`K:`, `M:`, `w:`, `V:` ...).
    case field(Field)
    /// `%%directive` in the body.
    case directive(String)
    /// Whitespace between notes (beam break).
    case space
    /// End of a music line.
    case lineBreak
    /// `\` at the end of a music line: the line continues.
    case continuation
    /// A `!` line break (older ABC, used by irish.abc), not a `!decoration!`.
    case bangLineBreak
    /// `y` spacer.
    case spacer
    /// `&` voice overlay.
    case overlay
}

/// Where an element starts in the file (1-based line and column in Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Codable {
    /// 1-based line.
    public var line: Int
    /// 1-based column in Unicode scalars.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
