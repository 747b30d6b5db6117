// LayoutEngine+Staff: one staff of one system, once the columns have their x: heads, stems,
// beams, flags, dots, ledger lines, accidentals, grace notes, ties, slurs, tuplets, decorations,
// chord symbols, bars, key and meter changes, ending brackets, and the staff's vertical extent.

import ABCNotation

extension LayoutEngine {
    struct Placed {
        var x: Double
        var up: Bool
        var stemX: Double
        var stemEnd: Double
        var heads: [(x: Double, y: Double, step: Int)]
    }

    static func y(_ step: Int) -> Double { 32 - 4 * Double(step) }

    mutating func layoutStaff(_ line: VoiceLine, xs: [Double], stems: Stems, id: String, name: String?,
                              left: Double, right: Double) -> StaffLayout {
        var staff = StaffLayout(voiceID: id, top: 0, left: left, right: right, clef: line.clef)
        let hw = LayoutEngine.headWidth
        // Prefix: clef, key, meter.
        var x = left + 4
        addClef(line.clef, at: x, to: &staff)
        x += 28
        let nKey = addKey(line.key, cancelling: line.cancelledKey, clef: line.clef, at: x + 3, to: &staff)
        if nKey > 0 { x += Double(nKey) * 7 + 4 }
        if line.showMeter { addMeter(line.meter, at: x + 2, to: &staff) }
        if let name { staff.texts.append(TextLayout(text: name, x: left - 4, y: 20, size: 10, anchor: .end, style: .voice)) }

        // Notes: heads, stems, dots, accidentals, ledger lines, graces; beams after.
        var placed: [Int: Placed] = [:]
        for (i, e) in line.events.enumerated() {
            guard case let .notes(spec) = e.kind else { continue }
            let cx = xs[i]
            if spec.isRest {
                if !spec.invisible { addRest(spec, at: cx, to: &staff) }
                placed[i] = Placed(x: cx, up: true, stemX: cx, stemEnd: 16, heads: [])
                continue
            }
            let up = stems.up[i] ?? true
            let offsets = LayoutEngine.headOffsets(spec.heads, up: up)
            let kind: HeadKind = spec.shape.log2 == 0 ? .whole : spec.shape.log2 == 1 ? .half : .filled
            var heads: [(x: Double, y: Double, step: Int)] = []
            for (h, head) in spec.heads.enumerated() {
                let hx = cx + offsets[h]
                let hy = LayoutEngine.y(head.step)
                heads.append((hx, hy, head.step))
                staff.noteheads.append(NoteheadLayout(x: hx, y: hy, step: head.step, kind: kind, isGrace: false, serial: spec.serial))
                for d in 0..<spec.shape.dots {
                    let dotY = head.step % 2 == 0 ? hy - 4 : hy
                    staff.glyphs.append(GlyphLayout(name: "dot", x: cx + hw / 2 + 4 + Double(d) * 5 + max(0, offsets.max() ?? 0), y: dotY, scale: 1))
                }
            }
            addLedgers(heads.map { ($0.x, $0.step) }, width: kind == .whole ? 18 : 16, to: &staff)
            let cols = LayoutEngine.accidentalColumns(spec.heads)
            let leftmost = cx + (offsets.min() ?? 0) - (kind == .whole ? hw * 0.65 : hw / 2)
            for (h, head) in spec.heads.enumerated() {
                guard let acc = head.accidental, cols[h] >= 0 else { continue }
                staff.glyphs.append(GlyphLayout(name: LayoutEngine.accidentalGlyph(acc), x: leftmost - 5 - Double(cols[h]) * 8,
                                                y: LayoutEngine.y(head.step), scale: 1))
            }
            if !spec.graces.isEmpty {
                let accRoom = (cols.max() ?? -1) >= 0 ? Double((cols.max() ?? 0) + 1) * 8 + 1 : 0
                addGraces(spec, rightEdge: leftmost - accRoom - 6, to: &staff)
            }
            // Stem (whole notes have none); beamed stems are fixed once the beam is placed.
            let topY = heads.map(\.y).min() ?? 16
            let bottomY = heads.map(\.y).max() ?? 16
            let stemX = up ? cx + hw / 2 - 0.6 : cx - hw / 2 + 0.6
            let extra = Double(max(0, spec.shape.flags - 2)) * 6
            let end = up ? min(topY - LayoutEngine.stemLength - extra, 16) : max(bottomY + LayoutEngine.stemLength + extra, 16)
            placed[i] = Placed(x: cx, up: up, stemX: stemX, stemEnd: kind == .whole ? (up ? topY : bottomY) : end, heads: heads)
        }
        // Beams and stems.
        for group in stems.groups {
            guard let first = group.first, let p0 = placed[first] else { continue }
            guard case let .notes(spec0) = line.events[first].kind, spec0.shape.log2 > 0 else { continue }
            if group.count == 1 {
                staff.stems.append(StemLayout(x: p0.stemX, y1: p0.up ? p0.heads.map(\.y).max()! : p0.heads.map(\.y).min()!,
                                              y2: p0.stemEnd, up: p0.up, isGrace: false, serial: spec0.serial))
                for f in 0..<spec0.shape.flags {
                    staff.glyphs.append(GlyphLayout(name: p0.up ? "flag.up" : "flag.down", x: p0.stemX,
                                                    y: p0.stemEnd + (p0.up ? 1 : -1) * Double(f) * 6, scale: 1))
                }
                continue
            }
            addBeamGroup(group, line: line, placed: &placed, to: &staff, grace: false)
        }
        // Ties and slurs.
        addCurves(line, placed: placed, right: right, to: &staff)
        // Tuplets and decorations.
        for (i, e) in line.events.enumerated() {
            guard case let .notes(spec) = e.kind, let p = placed[i] else { continue }
            if let tp = spec.tupletP, spec.tupletCount > 0 {
                addTuplet(tp, count: spec.tupletCount, from: i, line: line, placed: placed, groups: stems.groups, to: &staff)
            }
            addDecorations(spec, placed: p, to: &staff)
        }
        // Bars and changes.
        var keyInForce = line.key
        for (i, e) in line.events.enumerated() {
            switch e.kind {
            case let .bar(bar):
                let parts = LayoutEngine.barParts(bar.token)
                staff.bars.append(BarLayout(x: xs[i], token: bar.token, parts: parts, width: LayoutEngine.barWidth(parts)))
            case let .key(key):
                addKey(key, cancelling: keyInForce, clef: line.clef, at: xs[i] + 6, to: &staff)
                keyInForce = key
            case let .meter(m):
                addMeter(m, at: xs[i] + 4, to: &staff)
            case let .clef(c):
                addClef(c, at: xs[i] + 2, to: &staff, scale: 0.8)
            case .notes:
                break
            }
        }
        // Extents so far, then the rows above: chord symbols and annotations, then endings.
        for h in staff.noteheads { staff.minY = min(staff.minY, h.y - 5); staff.maxY = max(staff.maxY, h.y + 5) }
        for s in staff.stems { staff.minY = min(staff.minY, s.y1, s.y2); staff.maxY = max(staff.maxY, s.y1, s.y2) }
        for b in staff.beams { staff.minY = min(staff.minY, b.y1 - 3, b.y2 - 3); staff.maxY = max(staff.maxY, b.y1 + 3, b.y2 + 3) }
        for g in staff.glyphs { staff.minY = min(staff.minY, g.y - 8); staff.maxY = max(staff.maxY, g.y + 8) }
        for t in staff.texts where t.style != .voice { staff.minY = min(staff.minY, t.y - 10); staff.maxY = max(staff.maxY, t.y + 3) }
        for c in staff.curves { staff.minY = min(staff.minY, c.y1 + c.bow, c.y2 + c.bow); staff.maxY = max(staff.maxY, c.y1 + c.bow, c.y2 + c.bow) }
        var row = min(-6, staff.minY - 3)
        var hadRow = false
        for (i, e) in line.events.enumerated() {
            guard case let .notes(spec) = e.kind else { continue }
            var k = 0.0
            for text in spec.chordSymbols.prefix(3) {
                staff.texts.append(TextLayout(text: text, x: xs[i] - 4, y: row - k * 12, size: 12, anchor: .start, style: .chord))
                hadRow = true
                k += 1
            }
            for text in spec.annotations.prefix(3) {
                let below = text.first == "_"
                let body = String(text.dropFirst())
                if below {
                    staff.texts.append(TextLayout(text: body, x: xs[i] - 4, y: staff.maxY + 12, size: 10, anchor: .start, style: .annotation))
                } else {
                    staff.texts.append(TextLayout(text: body, x: xs[i] - 4, y: row - k * 12, size: 10, anchor: .start, style: .annotation))
                    hadRow = true
                    k += 1
                }
            }
        }
        if hadRow { row -= 14 }
        for t in staff.texts where t.style == .annotation { staff.maxY = max(staff.maxY, t.y + 3) }
        staff.minY = min(staff.minY, row + 2)
        addEndings(line, xs: xs, right: right, y: min(-14, staff.minY - 12), to: &staff)
        for e in staff.endings { staff.minY = min(staff.minY, e.y - 13) }
        return staff
    }

    static func accidentalGlyph(_ a: Accidental) -> String {
        switch a {
        case .doubleFlat: return "acc.doubleflat"
        case .flat: return "acc.flat"
        case .natural: return "acc.natural"
        case .sharp: return "acc.sharp"
        case .doubleSharp: return "acc.doublesharp"
        }
    }

    /// Naturals cancelling what `old` had and `key` drops, then `key`'s signature, from x.
    /// Returns the number of signs drawn.
    @discardableResult
    func addKey(_ key: KeySignature, cancelling old: KeySignature?, clef: Clef, at x: Double, to staff: inout StaffLayout) -> Int {
        var n = 0
        for step in LayoutEngine.naturals(from: old, to: key, clef: clef) {
            staff.glyphs.append(GlyphLayout(name: "acc.natural", x: x + Double(n) * 7, y: LayoutEngine.y(step), scale: 1))
            n += 1
        }
        for (step, acc) in LayoutEngine.keyAccidentals(key, clef: clef) {
            staff.glyphs.append(GlyphLayout(name: LayoutEngine.accidentalGlyph(acc), x: x + Double(n) * 7, y: LayoutEngine.y(step), scale: 1))
            n += 1
        }
        return n
    }

    func addClef(_ clef: Clef, at x: Double, to staff: inout StaffLayout, scale: Double = 1) {
        switch clef {
        case .treble: staff.glyphs.append(GlyphLayout(name: "clef.treble", x: x + 10, y: 24, scale: scale))
        case .bass: staff.glyphs.append(GlyphLayout(name: "clef.bass", x: x + 8, y: 8, scale: scale))
        case .alto: staff.glyphs.append(GlyphLayout(name: "clef.c", x: x + 4, y: 16, scale: scale))
        case .tenor: staff.glyphs.append(GlyphLayout(name: "clef.c", x: x + 4, y: 8, scale: scale))
        }
    }

    func addMeter(_ meter: Meter, at x: Double, to staff: inout StaffLayout) {
        switch meter {
        case .free: break
        case .common: staff.glyphs.append(GlyphLayout(name: "meter.common", x: x + 7, y: 16, scale: 1))
        case .cut: staff.glyphs.append(GlyphLayout(name: "meter.cut", x: x + 7, y: 16, scale: 1))
        case let .fraction(n, d):
            let top = n.map(String.init).joined(separator: "+")
            let w = LayoutEngine.meterWidth(meter) - 6
            staff.texts.append(TextLayout(text: top, x: x + w / 2, y: 15, size: 19, anchor: .middle, style: .meter))
            staff.texts.append(TextLayout(text: String(d), x: x + w / 2, y: 31, size: 19, anchor: .middle, style: .meter))
        }
    }

    func addRest(_ spec: NoteSpec, at x: Double, to staff: inout StaffLayout) {
        if spec.multiBars > 0 {
            staff.glyphs.append(GlyphLayout(name: "rest.multi", x: x + 4, y: 16, scale: 1))
            staff.texts.append(TextLayout(text: String(spec.multiBars), x: x + 24, y: -5, size: 14, anchor: .middle, style: .multirest))
            return
        }
        let k = min(spec.shape.log2, 6)
        let y: Double = k == 0 ? 8 : 16
        staff.glyphs.append(GlyphLayout(name: "rest.\(k)", x: x, y: y, scale: 1))
        for d in 0..<spec.shape.dots {
            staff.glyphs.append(GlyphLayout(name: "dot", x: x + 9 + Double(d) * 5, y: 12, scale: 1))
        }
    }

    func addLedgers(_ heads: [(x: Double, step: Int)], width: Double, to staff: inout StaffLayout) {
        guard let lo = heads.map(\.step).min(), let hi = heads.map(\.step).max() else { return }
        let x1 = (heads.map(\.x).min() ?? 0) - width / 2, x2 = (heads.map(\.x).max() ?? 0) + width / 2
        if lo <= -2 {
            var s = -2
            while s >= max(lo, -40) {
                staff.lines.append(LineLayout(x1: x1, y1: LayoutEngine.y(s), x2: x2, y2: LayoutEngine.y(s), width: 1.2))
                s -= 2
            }
        }
        if hi >= 10 {
            var s = 10
            while s <= min(hi, 48) {
                staff.lines.append(LineLayout(x1: x1, y1: LayoutEngine.y(s), x2: x2, y2: LayoutEngine.y(s), width: 1.2))
                s += 2
            }
        }
    }

    /// Room for grace notes: 7 a head, 5 more for each small accidental.
    static func graceWidth(_ graces: [HeadSpec]) -> Double {
        graces.reduce(0.0) { $0 + 7 + ($1.accidental == nil ? 0 : 5) }
    }

    func addGraces(_ spec: NoteSpec, rightEdge: Double, to staff: inout StaffLayout) {
        let n = spec.graces.count
        let scale = 0.6
        var xs: [Double] = []
        var x = rightEdge - LayoutEngine.graceWidth(spec.graces)
        for head in spec.graces {
            if let acc = head.accidental {
                staff.glyphs.append(GlyphLayout(name: LayoutEngine.accidentalGlyph(acc), x: x + 2, y: LayoutEngine.y(head.step), scale: 0.6))
                x += 5
            }
            let gx = x + 3.5
            x += 7
            xs.append(gx)
            staff.noteheads.append(NoteheadLayout(x: gx, y: LayoutEngine.y(head.step), step: head.step, kind: .filled, isGrace: true, serial: spec.serial))
            addLedgers([(gx, head.step)], width: 9, to: &staff)
        }
        let ys = spec.graces.map { LayoutEngine.y($0.step) }
        let stemXs = xs.map { $0 + LayoutEngine.headWidth * scale / 2 - 0.4 }
        if n == 1 {
            let end = min(ys[0] - 18, 20)
            staff.stems.append(StemLayout(x: stemXs[0], y1: ys[0], y2: end, up: true, isGrace: true, serial: spec.serial))
            staff.glyphs.append(GlyphLayout(name: "flag.up", x: stemXs[0], y: end, scale: scale))
            if spec.acciaccatura {
                staff.lines.append(LineLayout(x1: stemXs[0] - 4, y1: end + 10, x2: stemXs[0] + 5, y2: end + 3, width: 0.9))
            }
            return
        }
        // One beam over the grace notes, at least 15 units above each head.
        let slope = max(-0.3, min(0.3, (ys[n - 1] - ys[0]) / max(1, stemXs[n - 1] - stemXs[0]) * 0.5))
        var b = Double.infinity
        for k in 0..<n { b = min(b, ys[k] - 15 - slope * (stemXs[k] - stemXs[0])) }
        b = min(b, 20)
        for k in 0..<n {
            staff.stems.append(StemLayout(x: stemXs[k], y1: ys[k], y2: b + slope * (stemXs[k] - stemXs[0]), up: true, isGrace: true, serial: spec.serial))
        }
        staff.beams.append(BeamLayout(x1: stemXs[0], y1: b + 1.2, x2: stemXs[n - 1], y2: b + 1.2 + slope * (stemXs[n - 1] - stemXs[0]),
                                      level: 1, serials: [spec.serial], groupDuration: 0, isGrace: true))
        if spec.acciaccatura {
            staff.lines.append(LineLayout(x1: stemXs[0] - 4, y1: b + 12, x2: stemXs[0] + 5, y2: b + 4, width: 0.9))
        }
    }

    mutating func addBeamGroup(_ group: [Int], line: VoiceLine, placed: inout [Int: Placed], to staff: inout StaffLayout, grace: Bool) {
        var specs: [NoteSpec] = []
        for i in group { if case let .notes(s) = line.events[i].kind { specs.append(s) } }
        guard specs.count == group.count, let p0 = placed[group[0]], let pn = placed[group[group.count - 1]] else { return }
        let up = p0.up
        let maxLevel = specs.map(\.shape.flags).max() ?? 1
        let minStem = LayoutEngine.stemLength - 2 + Double(max(0, maxLevel - 2)) * 6
        let x0 = p0.stemX
        let dx = max(1, pn.stemX - x0)
        // Slope follows the outer notes, gently.
        let firstY = up ? p0.heads.map(\.y).min()! : p0.heads.map(\.y).max()!
        let lastY = up ? pn.heads.map(\.y).min()! : pn.heads.map(\.y).max()!
        let slope = max(-0.18, min(0.18, (lastY - firstY) / dx * 0.4))
        var b = up ? Double.infinity : -Double.infinity
        for i in group {
            guard let p = placed[i] else { continue }
            let near = up ? p.heads.map(\.y).min()! : p.heads.map(\.y).max()!
            let need = up ? near - minStem : near + minStem
            let at = need - slope * (p.stemX - x0)
            b = up ? min(b, at) : max(b, at)
        }
        // Beams of notes far off the staff reach the middle line.
        let ends = [b, b + slope * dx]
        if up, let m = ends.max(), m > 16 { b -= m - 16 }
        if !up, let m = ends.min(), m < 16 { b += 16 - m }
        func beamY(_ x: Double) -> Double { b + slope * (x - x0) }
        let inward = up ? 1.0 : -1.0
        for (k, i) in group.enumerated() {
            guard let p = placed[i] else { continue }
            let far = up ? p.heads.map(\.y).max()! : p.heads.map(\.y).min()!
            staff.stems.append(StemLayout(x: p.stemX, y1: far, y2: beamY(p.stemX), up: up, isGrace: grace, serial: specs[k].serial))
            placed[i]?.stemEnd = beamY(p.stemX)
        }
        let total = specs.reduce(0.0) { $0 + $1.duration.doubleValue }
        let centre = 2.0 * inward
        staff.beams.append(BeamLayout(x1: x0, y1: beamY(x0) + centre, x2: pn.stemX, y2: beamY(pn.stemX) + centre, level: 1,
                                      serials: specs.map(\.serial), groupDuration: total, isGrace: grace))
        if maxLevel < 2 { return }
        for level in 2...maxLevel {
            let off = centre + inward * Double(level - 1) * 6
            var k = 0
            while k < group.count {
                guard specs[k].shape.flags >= level else { k += 1; continue }
                var j = k
                while j + 1 < group.count, specs[j + 1].shape.flags >= level { j += 1 }
                guard let pk = placed[group[k]], let pj = placed[group[j]] else { k = j + 1; continue }
                var xa = pk.stemX, xb = pj.stemX
                if j == k {
                    // A lone short note gets a stub toward its neighbour.
                    let towardLeft = k == group.count - 1 || (k > 0 && specs[k - 1].shape.dots > 0)
                    if towardLeft { xa = xb - 7 } else { xb = xa + 7 }
                }
                staff.beams.append(BeamLayout(x1: xa, y1: beamY(xa) + off, x2: xb, y2: beamY(xb) + off, level: level,
                                              serials: specs[k...j].map(\.serial), groupDuration: 0, isGrace: grace))
                k = j + 1
            }
        }
    }

    func addCurves(_ line: VoiceLine, placed: [Int: Placed], right: Double, to staff: inout StaffLayout) {
        var slurStack: [(x: Double, y: Double, above: Bool, index: Int)] = []
        let noteIndices = line.events.indices.filter { if case let .notes(s) = line.events[$0].kind { return !s.isRest }; return false }
        for (n, i) in noteIndices.enumerated() {
            guard case let .notes(spec) = line.events[i].kind, let p = placed[i] else { continue }
            // Ties to the next note's head on the same step (or to the end of the line).
            let next = n + 1 < noteIndices.count ? noteIndices[n + 1] : nil
            for (h, head) in spec.heads.enumerated() where head.tied {
                // A chord's upper half ties above, its lower half below; a single note away from its stem.
                let above = spec.heads.count > 1 ? h >= spec.heads.count / 2 : !p.up
                let hy = p.heads[h].y
                let sy = hy + (above ? -5 : 5)
                var x2 = right - 3
                if let next, case let .notes(ns) = line.events[next].kind, let pn = placed[next],
                   let m = ns.heads.firstIndex(where: { $0.step == head.step }) {
                    x2 = pn.heads[m].x - 6
                }
                let x1 = p.heads[h].x + 6
                if x2 > x1 { staff.curves.append(CurveLayout(x1: x1, y1: sy, x2: x2, y2: sy, bow: above ? -5 : 5, isTie: true)) }
            }
            for _ in 0..<min(spec.slurStarts, 4) {
                let above = !p.up
                let y = above ? (p.heads.map(\.y).min() ?? 16) - 6 : (p.heads.map(\.y).max() ?? 16) + 6
                slurStack.append((p.x, y, above, n))
            }
            for _ in 0..<spec.slurEnds {
                guard let start = slurStack.popLast() else { break }
                let ey = start.above ? (p.heads.map(\.y).min() ?? 16) - 6 : (p.heads.map(\.y).max() ?? 16) + 6
                staff.curves.append(slur(from: start, toX: p.x, toY: ey, through: noteIndices[start.index...n].compactMap { placed[$0] }))
            }
        }
        for start in slurStack {
            staff.curves.append(slur(from: start, toX: right - 3, toY: start.y,
                                     through: noteIndices[start.index...].compactMap { placed[$0] }))
        }
    }

    func slur(from start: (x: Double, y: Double, above: Bool, index: Int), toX: Double, toY: Double, through: [Placed]) -> CurveLayout {
        let dx = max(1, toX - start.x)
        var bow = (start.above ? -1.0 : 1.0) * min(14, 5 + dx * 0.05)
        // Clear the heads in between: the curve's middle is 3/4 of the bow beyond the chord line.
        for p in through {
            let t = (p.x - start.x) / dx
            guard t > 0.1 && t < 0.9 else { continue }
            let lineY = start.y + (toY - start.y) * t
            if start.above, let top = p.heads.map(\.y).min() { bow = min(bow, (top - 6 - lineY) / 0.75) }
            if !start.above, let bottom = p.heads.map(\.y).max() { bow = max(bow, (bottom + 6 - lineY) / 0.75) }
        }
        bow = max(-40, min(40, bow))
        return CurveLayout(x1: start.x + 2, y1: start.y, x2: toX - 2, y2: toY, bow: bow, isTie: false)
    }

    /// The tuplet's number over (or under) its notes; a bracket too unless one beam joins them all.
    func addTuplet(_ p: Int, count: Int, from i: Int, line: VoiceLine, placed: [Int: Placed], groups: [[Int]],
                   to staff: inout StaffLayout) {
        var members: [Placed] = []
        var indices: [Int] = []
        var k = i
        while k < line.events.count, members.count < count {
            if case .notes = line.events[k].kind, let pl = placed[k] { members.append(pl); indices.append(k) }
            k += 1
        }
        guard let first = members.first, let last = members.last else { return }
        let notes = members.filter { !$0.heads.isEmpty }
        let up = notes.first?.up ?? true
        let x = (first.x + last.x) / 2
        let y: Double
        if up {
            let top = notes.map { min($0.stemEnd, $0.heads.map(\.y).min() ?? 16) }.min() ?? 0
            y = min(top, 0) - 4
        } else {
            let bottom = notes.map { max($0.stemEnd, $0.heads.map(\.y).max() ?? 16) }.max() ?? 32
            y = max(bottom, 32) + 12
        }
        staff.texts.append(TextLayout(text: String(p), x: x, y: y, size: 11, anchor: .middle, style: .tuplet))
        let beamed = groups.contains { g in g.count > 1 && indices.allSatisfy { g.contains($0) } }
        if !beamed && members.count > 1 {
            let by = up ? y - 4 : y - 4
            let hook = up ? 4.0 : -4.0
            let (x1, x2) = (first.x - 6, last.x + 6)
            staff.lines.append(LineLayout(x1: x1, y1: by + hook, x2: x1, y2: by, width: 0.9))
            staff.lines.append(LineLayout(x1: x1, y1: by, x2: x - 6, y2: by, width: 0.9))
            staff.lines.append(LineLayout(x1: x + 6, y1: by, x2: x2, y2: by, width: 0.9))
            staff.lines.append(LineLayout(x1: x2, y1: by, x2: x2, y2: by + hook, width: 0.9))
        }
    }

    mutating func addDecorations(_ spec: NoteSpec, placed p: Placed, to staff: inout StaffLayout) {
        guard !spec.decorations.isEmpty else { return }
        let top = min(p.heads.map(\.y).min() ?? 16, p.up && !p.heads.isEmpty ? p.stemEnd : 100)
        var above = min(-4, top - 7)
        let bottomHead = p.heads.map(\.y).max() ?? 16
        let topHead = p.heads.map(\.y).min() ?? 16
        for name in spec.decorations.prefix(4) {
            switch name {
            case "staccato", ".":
                var y = p.up ? bottomHead + 8 : topHead - 8
                if y >= 0 && y <= 32 && Int(y) % 8 == 0 { y += p.up ? 4 : -4 }
                staff.glyphs.append(GlyphLayout(name: "dot", x: p.x, y: y, scale: 1))
            case "roll", "fermata", "accent", ">", "emphasis", "upbow", "downbow", "lowermordent", "uppermordent", "mordent",
                 "pralltriller", "tenuto", "segno", "coda", "turn", "snap":
                let glyph: String
                switch name {
                case "accent", ">", "emphasis": glyph = "deco.accent"
                case "lowermordent", "mordent": glyph = "deco.mordent"
                case "uppermordent", "pralltriller": glyph = "deco.prall"
                default: glyph = "deco.\(name)"
                }
                staff.glyphs.append(GlyphLayout(name: glyph, x: p.x, y: above - 2, scale: 1))
                above -= 10
            case "trill", "T":
                staff.texts.append(TextLayout(text: "tr", x: p.x, y: above + 1, size: 12, anchor: .middle, style: .annotation))
                above -= 12
            default:
                if !(name.allSatisfy(\.isNumber)) {
                    skip("decoration \(name)", "decoration !\(name)! is not drawn")
                }
            }
        }
    }

    mutating func skip(_ kind: String, _ message: String) {
        if !skipped.contains(message), skipped.count < 50 { skipped.append(message) }
    }

    func addEndings(_ line: VoiceLine, xs: [Double], right: Double, y: Double, to staff: inout StaffLayout) {
        var open: (label: String, x: Double)?
        for (i, e) in line.events.enumerated() {
            var closesHere = false
            var closed = false
            if case let .bar(bar) = e.kind, open != nil {
                if bar.isRepeatEnd || bar.isSectionEnd || bar.isRepeatStart || e.ending != nil {
                    closesHere = true
                    closed = bar.isRepeatEnd
                }
            }
            if closesHere, let o = open {
                staff.endings.append(EndingLayout(label: o.label, x1: o.x, x2: xs[i] - 2, y: y, closed: closed))
                open = nil
            }
            if let label = e.ending {
                if let o = open { staff.endings.append(EndingLayout(label: o.label, x1: o.x, x2: xs[i] - 2, y: y, closed: false)) }
                var startX = xs[i]
                if case let .bar(bar) = e.kind {
                    startX += LayoutEngine.barWidth(LayoutEngine.barParts(bar.token)) / 2 + 1
                } else {
                    startX -= 8
                }
                open = (label, startX)
            }
        }
        if let o = open { staff.endings.append(EndingLayout(label: o.label, x1: o.x, x2: right - 2, y: y, closed: false)) }
    }
}
