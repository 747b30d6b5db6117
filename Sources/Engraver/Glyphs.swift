// Glyphs: every music symbol the engraver draws, as SVG path data in staff units (a staff space
// is 8), origin at the glyph's anchor (a head's centre, a clef's line, a stem's end). Drawn by
// us, so no music font is needed. Each glyph is filled parts and stroked parts.

import ABCNotation
import Foundation

struct GlyphPart {
    var d: String
    /// Stroke width; nil for a filled part.
    var stroke: Double?
    var evenOdd = false
}

enum Glyphs {
    /// An ellipse centred on (cx, cy), radii rx, ry, turned by `degrees`, as four cubic curves.
    static func ellipse(cx: Double = 0, cy: Double = 0, rx: Double, ry: Double, degrees: Double) -> String {
        let a = degrees * Double.pi / 180
        let (c, s) = (cos(a), sin(a))
        let k = 0.5523
        func pt(_ x: Double, _ y: Double) -> String {
            SVGNumber.format(cx + x * c - y * s) + "," + SVGNumber.format(cy + x * s + y * c)
        }
        return "M\(pt(rx, 0))C\(pt(rx, k * ry)) \(pt(k * rx, ry)) \(pt(0, ry))C\(pt(-k * rx, ry)) \(pt(-rx, k * ry)) \(pt(-rx, 0))"
            + "C\(pt(-rx, -k * ry)) \(pt(-k * rx, -ry)) \(pt(0, -ry))C\(pt(k * rx, -ry)) \(pt(rx, -k * ry)) \(pt(rx, 0))Z"
    }

    static func circle(_ cx: Double, _ cy: Double, _ r: Double) -> String { ellipse(cx: cx, cy: cy, rx: r, ry: r, degrees: 0) }

    static let filledHead = ellipse(rx: 5.3, ry: 3.7, degrees: -22)
    static let halfHead = ellipse(rx: 5.3, ry: 3.7, degrees: -22) + ellipse(rx: 4.3, ry: 1.7, degrees: -32)
    static let wholeHead = ellipse(rx: 6.6, ry: 4.1, degrees: 0) + ellipse(rx: 3.4, ry: 2.3, degrees: 60)

    static let flat = "M-3.6,-13h1.1v17.6h-1.1zM-2.6,-0.4C0.6,-4.6 5.4,-3.6 3.6,0.1C2.4,2.6 -0.6,3.8 -2.6,4.6L-2.6,3.1C-0.2,2.1 2.3,0.3 1.9,-1.3C1.4,-2.9 -0.6,-2 -2.6,0.6Z"

    static let table: [String: [GlyphPart]] = [
        "head.filled": [GlyphPart(d: filledHead)],
        "head.half": [GlyphPart(d: halfHead, evenOdd: true)],
        "head.whole": [GlyphPart(d: wholeHead, evenOdd: true)],
        "dot": [GlyphPart(d: circle(0, 0, 1.6))],
        "acc.sharp": [GlyphPart(d: "M-2.4,-9.8h1v19h-1zM1.4,-10.8h1v19h-1zM-4.3,-1.4L4.3,-4.4V-2L-4.3,1zM-4.3,5.2L4.3,2.2V4.6L-4.3,7.6z")],
        "acc.flat": [GlyphPart(d: flat)],
        "acc.natural": [GlyphPart(d: "M-3.2,-10.5h1v15h-1zM2.2,-4.5h1v15h-1zM-3.2,-2.2L3.2,-4.2V-1.8L-3.2,0.2zM-3.2,3.8L3.2,1.8V4.2L-3.2,6.2z")],
        "acc.doublesharp": [GlyphPart(d: "M-3.5,-3.5L3.5,3.5M-3.5,3.5L3.5,-3.5", stroke: 1.7)],
        "acc.doubleflat": [GlyphPart(d: flat.replacingOccurrences(of: "M-3.6", with: "M-7.6").replacingOccurrences(of: "M-2.6", with: "M-6.6")
                                        .replacingOccurrences(of: "L-2.6", with: "L-6.6")),
                           GlyphPart(d: flat)],
        "flag.up": [GlyphPart(d: "M0,0C0.6,5 8.4,8 7.2,16.5C6.9,18.4 6.3,19.6 5.4,20.6C6.6,16 4.8,11.4 0,9.4Z")],
        "flag.down": [GlyphPart(d: "M0,0C0.6,-5 8.4,-8 7.2,-16.5C6.9,-18.4 6.3,-19.6 5.4,-20.6C6.6,-16 4.8,-11.4 0,-9.4Z")],
        "rest.0": [GlyphPart(d: "M-5.5,0h11v4.2h-11z")],
        "rest.1": [GlyphPart(d: "M-5.5,-4.2h11v4.2h-11z")],
        "rest.2": [GlyphPart(d: "M-1.6,-11.5L3.2,-5.6C1,-3.4 0.4,-1.6 3,1.6L2.4,2.2C-0.8,0.8 -2.4,3.4 1.2,8.4C-3.8,5.2 -3.4,0 0.4,1.4L-3.4,-3.6C-1.2,-5.6 -0.6,-7.6 -1.9,-11.1Z")],
        "rest.3": [GlyphPart(d: circle(-2.2, -4, 2.1)), GlyphPart(d: "M-2.4,-2.5C0,-1.8 2.2,-2.6 3.6,-5L-0.4,8", stroke: 1.3)],
        "rest.4": [GlyphPart(d: circle(-1.6, -4, 2.1) + circle(-3.6, 3, 2.1)),
                   GlyphPart(d: "M-1.8,-2.5C0.6,-1.8 2.8,-2.6 4.2,-5L-1.2,12M-3.8,4.5C-1.4,5.2 0.6,4.4 1.9,2", stroke: 1.3)],
        "rest.5": [GlyphPart(d: circle(-1.6, -4, 2.1) + circle(-3.6, 3, 2.1) + circle(-5.6, 10, 2.1)),
                   GlyphPart(d: "M-1.8,-2.5C0.6,-1.8 2.8,-2.6 4.2,-5L-2.2,19M-3.8,4.5C-1.4,5.2 0.6,4.4 1.9,2M-5.8,11.5C-3.4,12.2 -1.4,11.4 -0.1,9", stroke: 1.3)],
        "rest.multi": [GlyphPart(d: "M0,-3.2h40v6.4h-40zM-0.6,-8h1.2v16h-1.2zM39.4,-8h1.2v16h-1.2z")],
        "clef.treble": [
            GlyphPart(d: "M2.2,4.2C-1.4,4.6 -3.6,1.2 -1.4,-2C0.8,-4.8 6.8,-4 7,0.6C7.2,5.6 1.6,7.8 -2.4,6.6C-7.6,5 -8.6,-3 -3.4,-8.2"
                        + "C0.8,-12.4 5.6,-16.6 5.8,-24.6C6,-31.4 3.8,-36 2,-36C-0.6,-36 -2.2,-30.4 -1.6,-24.6L3.4,14.4"
                        + "C3.9,19 1.2,21.4 -2,20.2", stroke: 1.6),
            GlyphPart(d: circle(-2.4, 17.4, 2.6)),
        ],
        "clef.bass": [
            GlyphPart(d: "M-4.6,0C-4.4,-6.2 5,-8.4 8.6,-3.2C12,2.6 5.6,12.4 -5.4,17.2", stroke: 2.2),
            GlyphPart(d: circle(-3.4, 0.4, 3.0) + circle(13.2, -4, 1.5) + circle(13.2, 4, 1.5)),
        ],
        "clef.c": [
            GlyphPart(d: "M-6,-16h3.6v32h-3.6zM-1.2,-16h1.2v32h-1.2z"),
            GlyphPart(d: "M0,0L3,-3.4C5,-5 6.8,-1 10.4,-6.6C13.6,-11.6 10.6,-16.6 6.6,-15.6C4.2,-15 3.6,-13.2 4.6,-12"
                        + "M0,0L3,3.4C5,5 6.8,1 10.4,6.6C13.6,11.6 10.6,16.6 6.6,15.6C4.2,15 3.6,13.2 4.6,12", stroke: 2.2),
        ],
        "meter.common": [GlyphPart(d: "M5.6,-4.4C4.2,-8.6 -6.4,-9.6 -6.4,0C-6.4,9.6 4.2,8.6 5.6,4.4", stroke: 2.6)],
        "meter.cut": [GlyphPart(d: "M5.6,-4.4C4.2,-8.6 -6.4,-9.6 -6.4,0C-6.4,9.6 4.2,8.6 5.6,4.4", stroke: 2.6),
                      GlyphPart(d: "M-0.7,-13h1.4v26h-1.4z")],
        "deco.roll": [GlyphPart(d: "M-6,2C-4,-4.4 4,-4.4 6,2C3.6,-1.8 -3.6,-1.8 -6,2Z")],
        "deco.fermata": [GlyphPart(d: "M-8,3C-6,-8 6,-8 8,3C5.6,-4.6 -5.6,-4.6 -8,3Z" + circle(0, 1.2, 1.5))],
        "deco.accent": [GlyphPart(d: "M-5,-3.2L5,0L-5,3.2", stroke: 1.3)],
        "deco.tenuto": [GlyphPart(d: "M-5,0H5", stroke: 1.4)],
        "deco.upbow": [GlyphPart(d: "M-3.6,-4L0,4L3.6,-4", stroke: 1.1)],
        "deco.downbow": [GlyphPart(d: "M-4,4V-3H4V4", stroke: 1.1), GlyphPart(d: "M-4,-4h8v2.4h-8z")],
        "deco.mordent": [GlyphPart(d: "M-7,2L-3.5,-2L0,2L3.5,-2L7,2M0,-4.5V4.5", stroke: 1.3)],
        "deco.prall": [GlyphPart(d: "M-7,2L-3.5,-2L0,2L3.5,-2L7,2", stroke: 1.3)],
        "deco.turn": [GlyphPart(d: "M-7,1C-7,-4 -2,-4 0,0C2,4 7,4 7,-1", stroke: 1.5)],
        "deco.coda": [GlyphPart(d: circle(0, 0, 4.4) + "M-7,0H7M0,-7V7", stroke: 1.2)],
        "deco.segno": [GlyphPart(d: "M3.6,-4.4C1.6,-7.2 -4,-5.6 -2.4,-2C-0.8,1 3.8,0 2.6,4C1.6,6.8 -3,6 -3.6,3.6M-5,6L5,-6", stroke: 1.3),
                       GlyphPart(d: circle(-4.6, -1.2, 1.1) + circle(4.6, 1.2, 1.1))],
        "deco.snap": [GlyphPart(d: circle(0, 0, 3.6) + "M0,-3.6V-8", stroke: 1.2)],
        "tempo.quarter": [GlyphPart(d: ellipse(rx: 4.2, ry: 3, degrees: -22) + "M3.2,-0.6h1v-16h-1z")],
        "tempo.dottedquarter": [GlyphPart(d: ellipse(rx: 4.2, ry: 3, degrees: -22) + "M3.2,-0.6h1v-16h-1z" + circle(7.4, 0, 1.3))],
        "tempo.half": [GlyphPart(d: ellipse(rx: 4.2, ry: 3, degrees: -22) + ellipse(rx: 3.3, ry: 1.3, degrees: -32) + "M3.2,-0.6h1v-16h-1z", evenOdd: true)],
        "tempo.dottedhalf": [GlyphPart(d: ellipse(rx: 4.2, ry: 3, degrees: -22) + ellipse(rx: 3.3, ry: 1.3, degrees: -32) + "M3.2,-0.6h1v-16h-1z"
                                         + circle(7.4, 0, 1.3), evenOdd: true)],
        "tempo.eighth": [GlyphPart(d: ellipse(rx: 4.2, ry: 3, degrees: -22) + "M3.2,-0.6h1v-16h-1z"
                                     + "M4.2,-16.6C4.6,-13 9.6,-11.4 8.8,-5.8C10.4,-9.6 7.6,-11.6 4.2,-13Z")],
    ]
}

/// Numbers for SVG text: one decimal, no trailing zero, no "-0".
enum SVGNumber {
    static func format(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e12 else { return "0" }
        let tenths = Int((v * 10).rounded())
        if tenths == 0 { return "0" }
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
    }
}
