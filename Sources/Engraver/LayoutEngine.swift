// LayoutEngine: reader events → ScoreLayout. Per system: one column per distinct onset (bars and
// key/meter changes are columns too), shared by every voice, so simultaneous notes line up;
// each column needs room left (accidentals, grace notes) and right (head, dots); the gap to the
// next column grows with the time between them; one stretch factor justifies the system to the
// page width (a line too long even when squeezed is split at a bar line). Then per staff:
// heads, stems, beams, flags, dots, ledger lines, accidentals, ties, slurs, tuplets,
// decorations, chord symbols, bars, endings; then systems are stacked by their extents.

import ABCNotation

struct LayoutEngine {
    let options: EngravingOptions
    var skipped: [String] = []

    static let headWidth = 10.0
    static let stemLength = 28.0

    // MARK: - Whole tune

    mutating func layout(_ tune: Tune) -> ScoreLayout {
        let (voices, readerSkipped) = NotationReader.read(tune)
        skipped += readerSkipped
        let width = options.pageWidth
        var texts: [TextLayout] = []
        var glyphs: [GlyphLayout] = []
        var y = options.margin
        if options.showHeader {
            let titles = tune.header.filter { $0.letter == "T" }.map(\.value)
            if let first = titles.first ?? tune.title {
                y += 20
                texts.append(TextLayout(text: first, x: width / 2, y: y, size: 20, anchor: .middle, style: .title))
                y += 6
            }
            for sub in titles.dropFirst().prefix(3) {
                y += 15
                texts.append(TextLayout(text: sub, x: width / 2, y: y, size: 14, anchor: .middle, style: .subtitle))
            }
            var right: [(String, TextLayout.Style)] = []
            for f in tune.header where f.letter == "C" && !f.value.isEmpty { right.append((f.value, .composer)) }
            for f in tune.header where f.letter == "Z" && !f.value.isEmpty { right.append((f.value, .subtitle)) }
            for (text, style) in right.prefix(3) {
                y += 13
                texts.append(TextLayout(text: text, x: width - options.margin, y: y, size: style == .composer ? 12 : 10, anchor: .end,
                                        style: style == .composer ? .composer : .voice))
            }
            if let q = tune.header.first(where: { $0.letter == "Q" })?.value {
                y += 16
                let (glyph, text) = LayoutEngine.tempoMark(q)
                var x = options.margin
                if let glyph {
                    glyphs.append(GlyphLayout(name: glyph, x: x + 4, y: y - 3, scale: 1))
                    x += glyph.contains("dotted") ? 16 : 12
                }
                texts.append(TextLayout(text: text, x: x, y: y, size: 12, anchor: .start, style: .tempo))
            }
            y += 8
        }
        var systems: [SystemLayout] = []
        let lineCount = voices.map(\.lines.count).max() ?? 0
        var meterShown = Set<Int>()
        for k in 0..<lineCount {
            var parts: [(voice: Int, line: VoiceLine)] = []
            for (v, voice) in voices.enumerated() where k < voice.lines.count {
                var line = voice.lines[k]
                if !meterShown.contains(v) { line.showMeter = true; meterShown.insert(v) }
                parts.append((v, line))
            }
            systems += layoutSystem(parts, voices: voices, isLast: k == lineCount - 1)
        }
        // Stack the systems.
        var maxRight = width - options.margin
        for s in systems.indices {
            y += 10
            for t in systems[s].staves.indices {
                let staff = systems[s].staves[t]
                let top = y - staff.minY
                systems[s].staves[t].top = top
                y = top + staff.maxY + 8
                maxRight = max(maxRight, staff.right)
            }
        }
        var counts: [String: Int] = [:]
        for v in voices { counts[v.id, default: 0] += v.noteCount }
        return ScoreLayout(width: max(width, maxRight + options.margin), height: y + options.margin, texts: texts, glyphs: glyphs,
                           systems: systems, writtenNoteCounts: counts)
    }

    /// `Q:1/4=120` → a quarter-note glyph and "= 120"; other forms as text.
    static func tempoMark(_ value: String) -> (glyph: String?, text: String) {
        let sides = value.split(separator: "=", maxSplits: 1)
        let quoted = value.split(separator: "\"", omittingEmptySubsequences: false)
        let words = quoted.count >= 3 ? String(quoted[1]) + " " : ""
        guard sides.count == 2 else { return (nil, value) }
        let beat = sides[0].filter { $0 != " " && $0 != "\"" }
        let bpm = sides[1].trimmingCharacters(in: " \"")
        let names = ["1/4": "tempo.quarter", "3/8": "tempo.dottedquarter", "1/2": "tempo.half", "1/8": "tempo.eighth",
                     "3/4": "tempo.dottedhalf"]
        if let g = names[String(beat)] { return (g, "\(words)= \(bpm)") }
        return (nil, value)
    }

    // MARK: - Columns and spacing

    struct ColumnKey: Hashable, Comparable {
        var time: Rational
        var order: Int
        var seq: Int
        static func < (a: ColumnKey, b: ColumnKey) -> Bool {
            if a.time != b.time { return a.time < b.time }
            if a.order != b.order { return a.order < b.order }
            return a.seq < b.seq
        }
    }

    struct Column {
        var key: ColumnKey
        var entries: [(part: Int, event: Int)] = []
        var lead = 0.0
        var trail = 0.0
        var ideal = 0.0
        var isBar = false
        /// Half the widest bar line's width (a system's last bar ends flush with the staff).
        var barHalf = 0.0
        var x = 0.0
    }

    /// Per part: stem direction (true = up) of each note event, and beam groups.
    struct Stems {
        var up: [Int: Bool] = [:]
        var groups: [[Int]] = []
    }

    static func stems(of line: VoiceLine) -> Stems {
        var result = Stems()
        var group: [Int] = []
        func flush() {
            guard !group.isEmpty else { return }
            var hi = Int.min, lo = Int.max
            for i in group {
                if case let .notes(spec) = line.events[i].kind {
                    for h in spec.heads { hi = max(hi, h.step); lo = min(lo, h.step) }
                }
            }
            let up = hi + lo < 8
            for i in group { result.up[i] = up }
            result.groups.append(group)
            group = []
        }
        for (i, e) in line.events.enumerated() {
            guard case let .notes(spec) = e.kind, !spec.isRest, spec.multiBars == 0 else { flush(); continue }
            if !spec.shape.beamable {
                flush()
                group = [i]
                flush()
                continue
            }
            if spec.beamBreakBefore || group.last.map({ $0 != i - 1 }) ?? false { flush() }
            group.append(i)
        }
        flush()
        return result
    }

    static func barParts(_ token: String) -> [BarLayout.Part] {
        switch token {
        case "|": return [.thin]
        case "||": return [.thin, .thin]
        case "|]": return [.thin, .thick]
        case "[|": return [.thick, .thin]
        case "|:", "[|:": return [.thick, .thin, .dots]
        case ":|", ":|]": return [.dots, .thin, .thick]
        case "::", ":|:", ":||:", ":|][|:": return [.dots, .thin, .thick, .thin, .dots]
        case ".|": return [.dotted]
        case "[|]", "[]": return []
        default:
            var parts: [BarLayout.Part] = []
            for c in token.prefix(8) {
                switch c {
                case "|": parts.append(.thin)
                case "[", "]": parts.append(.thick)
                case ":": if parts.last != .dots { parts.append(.dots) }
                default: break
                }
            }
            return parts.isEmpty ? [.thin] : parts
        }
    }

    static func barWidth(_ parts: [BarLayout.Part]) -> Double {
        var w = 0.0
        for (i, p) in parts.enumerated() {
            if i > 0 { w += 2.5 }
            switch p {
            case .thin, .dotted: w += 1.2
            case .thick: w += 4
            case .dots: w += 3.6
            }
        }
        return w
    }

    /// Ideal room after a note lasting `d` whole notes.
    static func ideal(_ d: Double) -> Double {
        6 + 20 * (8 * max(d, 1.0 / 64)).squareRoot()
    }

    static func keyAccidentals(_ key: KeySignature, clef: Clef) -> [(step: Int, acc: Accidental)] {
        if key.isHighlandPipes && key.tonic == "HP" { return [] }
        let sharps = [8, 5, 9, 6, 3, 7, 4]
        let flats = [4, 7, 3, 6, 2, 5, 1]
        // Letter index (C=0 ... B=6) of each position in the orders above.
        let sharpLetters = [3, 0, 4, 1, 5, 2, 6]
        let flatLetters = [6, 2, 5, 1, 4, 0, 3]
        var result: [(Int, Accidental)] = []
        for (n, li) in sharpLetters.enumerated() where key.alterations[li] > 0 {
            result.append((sharps[n] + clef.keyOffset, key.alterations[li] > 1 ? .doubleSharp : .sharp))
        }
        for (n, li) in flatLetters.enumerated() where key.alterations[li] < 0 {
            result.append((flats[n] + clef.keyOffset, key.alterations[li] < -1 ? .doubleFlat : .flat))
        }
        return result
    }

    /// The key in force just before event `i` of a line.
    static func key(before i: Int, in line: VoiceLine) -> KeySignature {
        var key = line.key
        for e in line.events[..<i] { if case let .key(k) = e.kind { key = k } }
        return key
    }

    /// Staff steps of the naturals that cancel `old`'s sharps or flats which `new` drops.
    static func naturals(from old: KeySignature?, to new: KeySignature, clef: Clef) -> [Int] {
        guard let old else { return [] }
        let sharps = [8, 5, 9, 6, 3, 7, 4], sharpLetters = [3, 0, 4, 1, 5, 2, 6]
        let flats = [4, 7, 3, 6, 2, 5, 1], flatLetters = [6, 2, 5, 1, 4, 0, 3]
        var steps: [Int] = []
        for (n, li) in sharpLetters.enumerated() where old.alterations[li] > 0 && new.alterations[li] <= 0 {
            steps.append(sharps[n] + clef.keyOffset)
        }
        for (n, li) in flatLetters.enumerated() where old.alterations[li] < 0 && new.alterations[li] >= 0 {
            steps.append(flats[n] + clef.keyOffset)
        }
        return steps
    }

    static func meterWidth(_ meter: Meter) -> Double {
        switch meter {
        case .free: return 0
        case .common, .cut: return 16
        case let .fraction(n, d):
            let top = n.map(String.init).joined(separator: "+")
            return Double(max(top.count, String(d).count)) * 10 + 6
        }
    }

    /// Horizontal offsets of a chord's heads (seconds go beside the stem) and whether any moved.
    static func headOffsets(_ heads: [HeadSpec], up: Bool) -> [Double] {
        var offsets = Array(repeating: 0.0, count: heads.count)
        if up {
            for i in heads.indices.dropFirst() where heads[i].step - heads[i - 1].step == 1 && offsets[i - 1] == 0 {
                offsets[i] = headWidth
            }
        } else {
            for i in heads.indices.reversed().dropFirst() where heads[i + 1].step - heads[i].step == 1 && offsets[i + 1] == 0 {
                offsets[i] = -headWidth
            }
        }
        return offsets
    }

    /// Accidental columns for a chord's heads, top down (0 nearest the heads).
    static func accidentalColumns(_ heads: [HeadSpec]) -> [Int] {
        var cols = Array(repeating: -1, count: heads.count)
        var placed: [(step: Int, col: Int)] = []
        for i in heads.indices.reversed() where heads[i].accidental != nil {
            var c = 0
            while placed.contains(where: { $0.col == c && abs($0.step - heads[i].step) < 6 }) { c += 1 }
            cols[i] = c
            placed.append((heads[i].step, c))
        }
        return cols
    }

    func prefixWidth(_ line: VoiceLine) -> Double {
        var w = 36.0
        let n = LayoutEngine.keyAccidentals(line.key, clef: line.clef).count
            + LayoutEngine.naturals(from: line.cancelledKey, to: line.key, clef: line.clef).count
        if n > 0 { w += Double(n) * 7 + 4 }
        if line.showMeter { w += LayoutEngine.meterWidth(line.meter) + 4 }
        return w
    }

    mutating func layoutSystem(_ parts: [(voice: Int, line: VoiceLine)], voices: [VoiceMusic], isLast: Bool,
                               allowSplit: Bool = true) -> [SystemLayout] {
        // Voice names (several voices) go left of the staves.
        let names = parts.count > 1 ? parts.compactMap { voices[$0.voice].name } : []
        let indent = names.isEmpty ? 0 : min(90, Double(names.map(\.count).max() ?? 0) * 5.5 + 6)
        let left = options.margin + indent
        let available = options.pageWidth - 2 * options.margin - indent
        let stems = parts.map { LayoutEngine.stems(of: $0.line) }
        // Columns.
        var index: [ColumnKey: Int] = [:]
        var columns: [Column] = []
        for (p, part) in parts.enumerated() {
            var seen: [ColumnKey: Int] = [:]
            for (i, e) in part.line.events.enumerated() {
                let order: Int
                switch e.kind {
                case .bar: order = 0
                case .key, .meter, .clef: order = 1
                case .notes: order = 2
                }
                var key = ColumnKey(time: e.time, order: order, seq: 0)
                key.seq = seen[key, default: 0]
                seen[ColumnKey(time: e.time, order: order, seq: 0)] = key.seq + 1
                if let c = index[key] {
                    columns[c].entries.append((p, i))
                } else {
                    index[key] = columns.count
                    var col = Column(key: key)
                    col.entries.append((p, i))
                    columns.append(col)
                }
            }
        }
        columns.sort { $0.key < $1.key }
        for c in columns.indices {
            var nextTime: Rational?
            for d in (c + 1)..<max(c + 1, columns.count) where columns[d].key.time > columns[c].key.time {
                nextTime = columns[d].key.time
                break
            }
            for (p, i) in columns[c].entries {
                let e = parts[p].line.events[i]
                switch e.kind {
                case let .notes(spec):
                    let (lead, trail) = needs(spec, up: stems[p].up[i] ?? true)
                    columns[c].lead = max(columns[c].lead, lead)
                    columns[c].trail = max(columns[c].trail, trail)
                    var dt = spec.duration.doubleValue
                    if let n = nextTime, let gap = n.subtracting(e.time) { dt = min(dt, gap.doubleValue) }
                    let ideal = spec.multiBars > 0 ? 60 : LayoutEngine.ideal(dt)
                    columns[c].ideal = max(columns[c].ideal, ideal)
                case let .bar(bar):
                    let w = LayoutEngine.barWidth(LayoutEngine.barParts(bar.token))
                    columns[c].lead = max(columns[c].lead, w / 2 + 5)
                    columns[c].trail = max(columns[c].trail, w / 2 + 9)
                    columns[c].isBar = true
                    columns[c].barHalf = max(columns[c].barHalf, w / 2)
                case let .key(key):
                    let n = max(1, LayoutEngine.keyAccidentals(key, clef: parts[p].line.clef).count
                        + LayoutEngine.naturals(from: LayoutEngine.key(before: i, in: parts[p].line), to: key, clef: parts[p].line.clef).count)
                    columns[c].lead = max(columns[c].lead, 4)
                    columns[c].trail = max(columns[c].trail, Double(n) * 7 + 6)
                case let .meter(m):
                    columns[c].lead = max(columns[c].lead, 4)
                    columns[c].trail = max(columns[c].trail, LayoutEngine.meterWidth(m) + 4)
                case .clef:
                    columns[c].lead = max(columns[c].lead, 4)
                    columns[c].trail = max(columns[c].trail, 24)
                }
            }
        }
        let prefix = parts.map { prefixWidth($0.line) }.max() ?? 30
        func total(_ s: Double) -> Double {
            guard let first = columns.first else { return prefix }
            var w = prefix + first.lead
            for c in columns.indices.dropLast() {
                w += max(columns[c].trail + columns[c + 1].lead, s * columns[c].ideal)
            }
            let last = columns[columns.count - 1]
            w += last.isBar ? last.barHalf : max(last.trail, s * last.ideal)
            return w
        }
        // A line too long even squeezed is split at bar lines, greedily, in one pass; the pieces
        // are laid out without further splitting (so a hostile line stays linear).
        if allowSplit, options.breakLongLines, total(0.55) > available {
            let cuts = splitColumns(columns, prefix: prefix, available: available)
            if !cuts.isEmpty {
                var segmentOf: [[Int]] = parts.map { Array(repeating: 0, count: $0.line.events.count) }
                var segment = 0
                for (c, col) in columns.enumerated() {
                    for (p, i) in col.entries { segmentOf[p][i] = segment }
                    if segment < cuts.count, c == cuts[segment] { segment += 1 }
                }
                var pieces: [[(voice: Int, line: VoiceLine)]] = Array(repeating: [], count: cuts.count + 1)
                for (p, part) in parts.enumerated() {
                    var line = part.line
                    line.events = []
                    var lines = Array(repeating: line, count: cuts.count + 1)
                    for (i, e) in part.line.events.enumerated() {
                        let k = segmentOf[p][i]
                        lines[k].events.append(e)
                        // Later pieces start with the clef, key and meter in force.
                        for later in (k + 1)..<lines.count {
                            switch e.kind {
                            case let .key(key): lines[later].key = key
                            case let .meter(m): lines[later].meter = m
                            case let .clef(c): lines[later].clef = c
                            default: break
                            }
                            if case .notes = e.kind { break }
                            if case .bar = e.kind { break }
                        }
                    }
                    for k in lines.indices where lines[k].hasMusic {
                        if k > 0 { lines[k].showMeter = false; lines[k].cancelledKey = nil }
                        pieces[k].append((part.voice, lines[k]))
                    }
                }
                var result: [SystemLayout] = []
                for (k, piece) in pieces.enumerated() where !piece.isEmpty {
                    result += layoutSystem(piece, voices: voices, isLast: isLast && k == pieces.count - 1, allowSplit: false)
                }
                return result
            }
        }
        // Justify: find the stretch that fills the width.
        var s = 1.0
        let natural = total(1)
        if natural > available {
            var lo = 0.0, hi = 1.0
            for _ in 0..<30 {
                let mid = (lo + hi) / 2
                if total(mid) > available { hi = mid } else { lo = mid }
            }
            s = lo
        } else if !isLast || natural > 0.7 * available {
            var lo = 1.0, hi = 8.0
            if total(hi) <= available {
                s = hi
            } else {
                for _ in 0..<30 {
                    let mid = (lo + hi) / 2
                    if total(mid) > available { hi = mid } else { lo = mid }
                }
                s = lo
            }
        }
        var x = left + prefix
        for c in columns.indices {
            if c == 0 {
                x += columns[c].lead
            } else {
                x += max(columns[c - 1].trail + columns[c].lead, s * columns[c - 1].ideal)
            }
            columns[c].x = x
        }
        let right = left + total(s)
        // Staves.
        var columnOf: [String: Double] = [:]
        for col in columns { for (p, i) in col.entries { columnOf["\(p):\(i)"] = col.x } }
        var staves: [StaffLayout] = []
        for (p, part) in parts.enumerated() {
            let xs = part.line.events.indices.map { columnOf["\(p):\($0)"] ?? left }
            staves.append(layoutStaff(part.line, xs: xs, stems: stems[p], id: voices[part.voice].id,
                                      name: parts.count > 1 ? voices[part.voice].name : nil, left: left, right: right))
        }
        return [SystemLayout(staves: staves)]
    }

    /// Bar columns to end systems at, so each piece fits at a gentle squeeze (a piece with no bar
    /// that fits keeps its first bar and is squeezed harder).
    func splitColumns(_ columns: [Column], prefix: Double, available: Double) -> [Int] {
        var cuts: [Int] = []
        var w = prefix + (columns.first?.lead ?? 0)
        var best: Int?
        var c = 1
        while c < columns.count {
            w += max(columns[c - 1].trail + columns[c].lead, 0.8 * columns[c - 1].ideal)
            if columns[c].isBar, c < columns.count - 1 {
                if w + columns[c].trail <= available || best == nil {
                    best = c
                } else if let b = best {
                    // Cut at the last bar that fitted; the next piece starts after it.
                    cuts.append(b)
                    best = nil
                    w = prefix + columns[b + 1].lead
                    c = b + 2
                    continue
                }
            }
            c += 1
        }
        // The tail after the last cut may still be too long: cut it at its last fitting bar.
        if let b = best, w > available, cuts.last != b { cuts.append(b) }
        return cuts
    }

    /// Room a note, chord or rest needs left and right of its column.
    func needs(_ spec: NoteSpec, up: Bool) -> (lead: Double, trail: Double) {
        let hw = LayoutEngine.headWidth
        if spec.multiBars > 0 { return (6, 56) }
        var lead = spec.shape.log2 == 0 ? hw * 0.65 : hw / 2
        var trail = lead + 2
        if spec.isRest { return (7, 8 + Double(spec.shape.dots) * 5) }
        let offsets = LayoutEngine.headOffsets(spec.heads, up: up)
        if offsets.contains(where: { $0 < 0 }) { lead += hw }
        if offsets.contains(where: { $0 > 0 }) { trail += hw }
        let cols = LayoutEngine.accidentalColumns(spec.heads)
        if let m = cols.max(), m >= 0 { lead += Double(m + 1) * 8 + 1 }
        if !spec.graces.isEmpty { lead += LayoutEngine.graceWidth(spec.graces) + 8 }
        trail += Double(spec.shape.dots) * 5
        if up && spec.shape.flags > 0 { trail += 5 }
        return (lead, trail)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
