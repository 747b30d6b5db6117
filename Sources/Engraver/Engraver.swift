// Engraver: a parsed ABC tune → standalone SVG staff notation. Two stages: LayoutEngine computes
// every position into a ScoreLayout (plain values the tests read), then SVGWriter writes text
// from it. Glyphs are our own paths, so the file needs no font beyond generic text.

import ABCNotation

/// How to engrave.
public struct EngravingOptions: Sendable, Hashable {
    /// Page width in SVG user units (a staff space is 8). Default 820.
    public var pageWidth: Double
    /// Margin on every side. Default 30.
    public var margin: Double
    /// Split a music line that does not fit the width even when squeezed, at a bar line. Default on.
    public var breakLongLines: Bool
    /// Draw title, subtitles, composer, `Z:` and tempo. Default on.
    public var showHeader: Bool

    public init(pageWidth: Double = 820, margin: Double = 30, breakLongLines: Bool = true, showHeader: Bool = true) {
        self.pageWidth = max(200, min(pageWidth, 20_000))
        self.margin = max(0, min(margin, 200))
        self.breakLongLines = breakLongLines
        self.showHeader = showHeader
    }
}

/// An engraved tune: the SVG document, the layout it was drawn from, and what was left out.
public struct EngravedTune: Sendable {
    /// A standalone SVG document (UTF-8 XML).
    public var svg: String
    /// The spacing model the SVG was written from.
    public var layout: ScoreLayout
    /// What could not be engraved, as `file:line:col: what` (the tune's errors first), empty
    /// when everything was drawn.
    public var skipped: [String]
}

public enum Engraver {
    /// Engraves `tune`. Never fails: what cannot be read or drawn is listed in `skipped`.
    /// Cost: linear in the tune's length (about a millisecond for a corpus tune, release build).
    public static func svg(for tune: Tune, options: EngravingOptions = EngravingOptions()) -> EngravedTune {
        let layout = layout(for: tune, options: options)
        let title = tune.title ?? "Untitled"
        return EngravedTune(svg: SVGWriter.write(layout.layout, title: title), layout: layout.layout, skipped: layout.skipped)
    }

    /// The spacing model alone (what `svg(for:options:)` draws).
    public static func layout(for tune: Tune, options: EngravingOptions = EngravingOptions()) -> (layout: ScoreLayout, skipped: [String]) {
        var engine = LayoutEngine(options: options)
        let layout = engine.layout(tune)
        var skipped: [String] = []
        for d in tune.diagnostics where d.severity == .error {
            skipped.append("\(d.fileName):\(d.line):\(d.column): \(d.message) (the unreadable part is not engraved)")
        }
        skipped += engine.skipped
        return (layout, skipped)
    }
}
