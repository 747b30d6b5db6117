// ScoreLayout: the spacing model, plain values only. The layout engine fills it; the SVG writer
// draws it; the tests read it. Units are SVG user units: a staff space (line to line) is 8.
// Within a staff, y is local: the top staff line is y = 0, the bottom line y = 32, and a staff
// step (line to space) is 4; `StaffLayout.top` places the staff on the page.

/// A notehead's kind.
public enum HeadKind: String, Sendable, Hashable {
    case whole, half, filled
}

/// A placed notehead.
public struct NoteheadLayout: Sendable, Hashable {
    /// Centre of the head.
    public var x: Double
    public var y: Double
    /// Staff step: 0 bottom line, 4 middle line, 8 top line.
    public var step: Int
    public var kind: HeadKind
    /// A grace note (drawn small).
    public var isGrace: Bool
    /// The note or chord this head belongs to (running number within its voice; grace heads
    /// carry the number of the note they ornament).
    public var serial: Int
}

/// A stem from (x, y1) to (x, y2); `up` when it rises from the head.
public struct StemLayout: Sendable, Hashable {
    public var x: Double
    public var y1: Double
    public var y2: Double
    public var up: Bool
    public var isGrace: Bool
    public var serial: Int
}

/// One beam line. Level 1 joins the whole group; level 2 (sixteenths) and deeper join parts of it.
public struct BeamLayout: Sendable, Hashable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double
    public var level: Int
    /// Notes under the beam, by serial (for level 1: the beam group).
    public var serials: [Int]
    /// Sounding length of the group in whole notes (level 1 only; 0 otherwise).
    public var groupDuration: Double
    public var isGrace: Bool
}

/// A glyph drawn from the glyph table (clefs, accidentals, rests, flags, dots, decorations).
public struct GlyphLayout: Sendable, Hashable {
    public var name: String
    public var x: Double
    public var y: Double
    /// 1 normal, smaller for grace notes.
    public var scale: Double
}

/// A bar line: its token as written and the parts drawn, left to right.
public struct BarLayout: Sendable, Hashable {
    public enum Part: String, Sendable, Hashable { case thin, thick, dots, dotted }
    public var x: Double
    public var token: String
    public var parts: [Part]
    /// Width of the drawn parts.
    public var width: Double
}

/// A straight line (ledger lines, brackets).
public struct LineLayout: Sendable, Hashable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double
    public var width: Double
}

/// A tie or slur: a filled crescent from (x1, y1) to (x2, y2) bowing by `bow` (negative: up).
public struct CurveLayout: Sendable, Hashable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double
    public var bow: Double
    public var isTie: Bool
}

/// A piece of text.
public struct TextLayout: Sendable, Hashable {
    public enum Anchor: String, Sendable, Hashable { case start, middle, end }
    public enum Style: String, Sendable, Hashable { case title, subtitle, composer, tempo, chord, annotation, tuplet, ending, meter, voice, multirest }
    public var text: String
    public var x: Double
    public var y: Double
    public var size: Double
    public var anchor: Anchor
    public var style: Style
}

/// A first/second ending bracket.
public struct EndingLayout: Sendable, Hashable {
    public var label: String
    public var x1: Double
    public var x2: Double
    public var y: Double
    /// The bracket closes with a hook at x2 (it ends at a repeat).
    public var closed: Bool
}

/// One staff of one system (one voice's line).
public struct StaffLayout: Sendable {
    public var voiceID: String
    /// Page y of the top staff line.
    public var top: Double
    public var left: Double
    public var right: Double
    public var clef: Clef
    public var noteheads: [NoteheadLayout] = []
    public var stems: [StemLayout] = []
    public var beams: [BeamLayout] = []
    public var glyphs: [GlyphLayout] = []
    public var bars: [BarLayout] = []
    public var lines: [LineLayout] = []
    public var curves: [CurveLayout] = []
    public var texts: [TextLayout] = []
    public var endings: [EndingLayout] = []
    /// Vertical extent of what is drawn, local y (top line 0, bottom line 32).
    public var minY = 0.0
    public var maxY = 32.0
}

/// A system: one staff per voice that has music on this line.
public struct SystemLayout: Sendable {
    public var staves: [StaffLayout]
}

/// A whole engraved tune.
public struct ScoreLayout: Sendable {
    /// A staff space (line to line) in SVG user units.
    public static let staffSpace = 8.0
    public var width: Double
    public var height: Double
    /// Title, composer, tempo (page coordinates).
    public var texts: [TextLayout]
    /// Small tempo note glyph beside the tempo text, if any.
    public var glyphs: [GlyphLayout]
    public var systems: [SystemLayout]
    /// Noteheads written in the ABC, per voice id (chord notes each count; grace notes apart).
    public var writtenNoteCounts: [String: Int]
}
