// SVGWriter: ScoreLayout → standalone SVG text. It makes no decisions about placement: every
// position comes from the layout. Glyphs are defined once in <defs> and placed with <use>.

import ABCNotation

enum SVGWriter {
    static func write(_ layout: ScoreLayout, title: String) -> String {
        var out = ""
        out.reserveCapacity(64 * 1024)
        let w = SVGNumber.format(layout.width), h = SVGNumber.format(layout.height)
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" "
        out += "width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\">\n"
        out += "<title>\(escape(title))</title>\n"
        // Only the glyphs used go into <defs>.
        var used = Set<String>()
        for g in layout.glyphs { used.insert(g.name) }
        for system in layout.systems {
            for staff in system.staves {
                for g in staff.glyphs { used.insert(g.name) }
                for n in staff.noteheads { used.insert("head.\(n.kind.rawValue)") }
            }
        }
        out += "<defs>\n"
        for name in used.sorted() {
            guard let parts = Glyphs.table[name] else { continue }
            out += "<g id=\"\(name)\">"
            for part in parts {
                if let s = part.stroke {
                    out += "<path d=\"\(part.d)\" fill=\"none\" stroke=\"#000\" stroke-width=\"\(SVGNumber.format(s))\" stroke-linecap=\"round\"/>"
                } else {
                    out += "<path d=\"\(part.d)\"\(part.evenOdd ? " fill-rule=\"evenodd\"" : "")/>"
                }
            }
            out += "</g>\n"
        }
        out += "</defs>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#fff\"/>\n"
        out += "<g fill=\"#000\" font-family=\"Georgia, 'Times New Roman', serif\">\n"
        for t in layout.texts { text(t, &out) }
        for g in layout.glyphs { use(g, &out) }
        for system in layout.systems {
            for staff in system.staves { write(staff, &out) }
        }
        out += "</g>\n</svg>\n"
        return out
    }

    static func f(_ v: Double) -> String { SVGNumber.format(v) }

    static func escape(_ s: String) -> String {
        var r = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            case "'": r += "&apos;"
            default:
                // XML 1.0 forbids most control characters, even escaped.
                if c.value < 0x20 && c != "\t" { r += " " } else if (0xFFFE...0xFFFF).contains(c.value) || (0xD800...0xDFFF).contains(c.value) { r += " " } else { r.unicodeScalars.append(c) }
            }
        }
        return r
    }

    static func text(_ t: TextLayout, _ out: inout String) {
        var attrs = "x=\"\(f(t.x))\" y=\"\(f(t.y))\" font-size=\"\(f(t.size))\""
        if t.anchor != .start { attrs += " text-anchor=\"\(t.anchor.rawValue)\"" }
        switch t.style {
        case .title: attrs += " font-weight=\"bold\""
        case .meter, .multirest: attrs += " font-weight=\"bold\" font-family=\"'Times New Roman', serif\""
        case .tuplet, .annotation, .voice, .subtitle: attrs += " font-style=\"italic\""
        case .chord: attrs += " font-family=\"Helvetica, Arial, sans-serif\""
        case .ending, .composer, .tempo: break
        }
        out += "<text \(attrs)>\(escape(t.text))</text>\n"
    }

    static func use(_ g: GlyphLayout, _ out: inout String) {
        if g.scale == 1 {
            out += "<use xlink:href=\"#\(g.name)\" x=\"\(f(g.x))\" y=\"\(f(g.y))\"/>\n"
        } else {
            out += "<use xlink:href=\"#\(g.name)\" transform=\"translate(\(f(g.x)),\(f(g.y))) scale(\(f(g.scale)))\"/>\n"
        }
    }

    static func write(_ staff: StaffLayout, _ out: inout String) {
        out += "<g class=\"staff\" data-voice=\"\(escape(staff.voiceID))\" transform=\"translate(0,\(f(staff.top)))\">\n"
        var lines = ""
        for k in 0..<5 {
            let y = f(Double(k) * ScoreLayout.staffSpace)
            lines += "M\(f(staff.left)),\(y)H\(f(staff.right))"
        }
        out += "<path d=\"\(lines)\" stroke=\"#000\" stroke-width=\"0.8\" fill=\"none\"/>\n"
        if !staff.lines.isEmpty {
            for l in staff.lines {
                out += "<path d=\"M\(f(l.x1)),\(f(l.y1))L\(f(l.x2)),\(f(l.y2))\" stroke=\"#000\" stroke-width=\"\(f(l.width))\"/>\n"
            }
        }
        for b in staff.bars { bar(b, &out) }
        for n in staff.noteheads {
            let g = GlyphLayout(name: "head.\(n.kind.rawValue)", x: n.x, y: n.y, scale: n.isGrace ? 0.6 : 1)
            use(g, &out)
        }
        for s in staff.stems {
            out += "<path class=\"stem\" d=\"M\(f(s.x)),\(f(s.y1))V\(f(s.y2))\" stroke=\"#000\" stroke-width=\"\(s.isGrace ? "0.8" : "1.1")\"/>\n"
        }
        for b in staff.beams {
            let t = b.isGrace ? 1.2 : 2.0
            out += "<path class=\"beam\" d=\"M\(f(b.x1)),\(f(b.y1 - t))L\(f(b.x2)),\(f(b.y2 - t))L\(f(b.x2)),\(f(b.y2 + t))L\(f(b.x1)),\(f(b.y1 + t))Z\"/>\n"
        }
        for g in staff.glyphs { use(g, &out) }
        for c in staff.curves { curve(c, &out) }
        for t in staff.texts { text(t, &out) }
        for e in staff.endings {
            var d = "M\(f(e.x1)),\(f(e.y + 10))V\(f(e.y))H\(f(e.x2))"
            if e.closed { d += "V\(f(e.y + 10))" }
            out += "<path d=\"\(d)\" stroke=\"#000\" stroke-width=\"1\" fill=\"none\"/>\n"
            text(TextLayout(text: e.label + ".", x: e.x1 + 3, y: e.y + 10, size: 11, anchor: .start, style: .ending), &out)
        }
        out += "</g>\n"
    }

    static func bar(_ b: BarLayout, _ out: inout String) {
        var x = b.x - b.width / 2
        var d = ""
        for (i, part) in b.parts.enumerated() {
            if i > 0 { x += 2.5 }
            switch part {
            case .thin:
                d += "M\(f(x)),0h1.2v32h-1.2z"
                x += 1.2
            case .dotted:
                for k in 0..<8 { d += "M\(f(x)),\(f(Double(k) * 4 + 0.5))h1.2v2h-1.2z" }
                x += 1.2
            case .thick:
                d += "M\(f(x)),0h4v32h-4z"
                x += 4
            case .dots:
                d += Glyphs.circle(x + 1.8, 12, 1.8) + Glyphs.circle(x + 1.8, 20, 1.8)
                x += 3.6
            }
        }
        if !d.isEmpty { out += "<path class=\"bar\" d=\"\(d)\"/>\n" }
    }

    static func curve(_ c: CurveLayout, _ out: inout String) {
        let dx = c.x2 - c.x1
        let thick = (c.bow < 0 ? 1.0 : -1.0) * (c.isTie ? 1.4 : 1.8)
        let (ax, bx) = (c.x1 + dx / 4, c.x2 - dx / 4)
        let ay = c.y1 + (c.y2 - c.y1) / 4, by = c.y2 - (c.y2 - c.y1) / 4
        out += "<path class=\"\(c.isTie ? "tie" : "slur")\" d=\"M\(f(c.x1)),\(f(c.y1))C\(f(ax)),\(f(ay + c.bow)) \(f(bx)),\(f(by + c.bow)) \(f(c.x2)),\(f(c.y2))"
        out += "C\(f(bx)),\(f(by + c.bow + thick)) \(f(ax)),\(f(ay + c.bow + thick)) \(f(c.x1)),\(f(c.y1))Z\"/>\n"
    }
}
