// NotationReader: a tune's body read once, in written order, into what the page shows: per
// voice, lines of events (notes, chords, rests, bars, key/meter/clef changes) with their onset
// in whole notes from the line's start, staff steps, the accidentals to print (only where key
// and bar do not imply them), note shapes (written length, broken rhythm applied, tuplets not),
// beam breaks (ABC spacing and the meter's beats) and what is attached to each note.

import ABCNotation

/// A staff clef. `bottomLine` is the diatonic number (7 × (octave + 4) + letter, C = 0) of the
/// pitch on the bottom staff line.
public enum Clef: String, Sendable, Hashable {
    case treble, bass, alto, tenor

    var bottomLine: Int {
        switch self {
        case .treble: return 30 // E4
        case .bass: return 18 // G2
        case .alto: return 24 // F3
        case .tenor: return 22 // D3
        }
    }

    /// Steps to add to a treble key-signature position for this clef.
    var keyOffset: Int {
        switch self {
        case .treble: return 0
        case .bass: return -2
        case .alto: return -1
        case .tenor: return 1
        }
    }

    /// Reads `clef=bass`, `bass`, `alto1`, `treble-8` ...; nil when the word is not a clef.
    static func parse(_ word: Substring) -> Clef? {
        var w = word.lowercased()
        if w.hasPrefix("clef=") { w = String(w.dropFirst(5)) }
        if w.hasPrefix("bass") || w.hasPrefix("baritone") { return .bass }
        if w.hasPrefix("alto") || w.hasPrefix("mezzo") || w.hasPrefix("soprano") { return .alto }
        if w.hasPrefix("tenor") { return .tenor }
        if w.hasPrefix("treble") || w.hasPrefix("perc") || w == "none" { return .treble }
        return nil
    }

    /// The clef named in a `K:` or `V:` value, if any.
    static func find(in value: String) -> Clef? {
        for word in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let lower = word.lowercased()
            if lower.hasPrefix("clef=") { return parse(word) }
            if ["bass", "alto", "tenor", "treble", "bass3", "alto1", "alto2", "baritone"].contains(lower) { return parse(word) }
        }
        return nil
    }
}

/// A written note value: 0 whole, 1 half, 2 quarter, 3 eighth ... 7 (256th), with dots.
struct NoteShape: Hashable {
    var log2: Int
    var dots: Int
    var beamable: Bool { log2 >= 3 }
    var flags: Int { max(0, log2 - 2) }

    /// The shape of `written` whole notes, and whether it is exact (`A5` with L:1/8 is not).
    static func of(_ written: Rational) -> (shape: NoteShape, exact: Bool) {
        let w = written.doubleValue
        guard w > 0, w.isFinite else { return (NoteShape(log2: 2, dots: 0), false) }
        if w >= 1 {
            let exact = w == 1 || w == 1.5 || w == 1.75
            return (NoteShape(log2: 0, dots: w == 1.5 ? 1 : w == 1.75 ? 2 : 0), exact)
        }
        var k = 0
        while Double(1 << k) * w < 1, k < 7 { k += 1 }
        let base = 1.0 / Double(1 << k)
        let rest = w - base
        if rest == 0 { return (NoteShape(log2: k, dots: 0), true) }
        if rest == base / 2 { return (NoteShape(log2: k, dots: 1), true) }
        if rest == base * 3 / 4 { return (NoteShape(log2: k, dots: 2), true) }
        return (NoteShape(log2: k, dots: 0), false)
    }
}

/// One notehead of a note or chord, on staff steps (0 = bottom line, 8 = top line).
struct HeadSpec: Hashable {
    var step: Int
    /// The accidental to print (nil when key and bar imply the pitch).
    var accidental: Accidental?
    var tied: Bool
}

/// A note, chord or rest (no heads) and what is attached to it.
struct NoteSpec {
    var heads: [HeadSpec]
    var invisible = false
    var multiBars = 0
    var shape: NoteShape
    /// Length as written in whole notes (broken rhythm applied, tuplet not).
    var written: Rational
    /// Sounding length in whole notes (tuplet applied).
    var duration: Rational
    /// A space, a bar, the start of a beat group or another event breaks the beam before this note.
    var beamBreakBefore = true
    var decorations: [String] = []
    var graces: [HeadSpec] = []
    var acciaccatura = false
    var chordSymbols: [String] = []
    /// `^text` above, `_text` below ...: the placement character first.
    var annotations: [String] = []
    var slurStarts = 0
    var slurEnds = 0
    /// Set on the first note of a tuplet: `(3` → p 3 over `count` notes.
    var tupletP: Int?
    var tupletCount = 0
    /// Running number of the event among this voice's notes and rests (tests use it).
    var serial: Int
    var isRest: Bool { heads.isEmpty }
}

enum EventKind {
    case notes(NoteSpec)
    case bar(BarLine)
    case key(KeySignature)
    case meter(Meter)
    case clef(Clef)
}

struct Event {
    /// Onset in whole notes from the start of the line.
    var time: Rational
    var kind: EventKind
    /// An ending bracket (`1`, `2`, `1,3`) starts here.
    var ending: String?
}

/// One voice's music line: a staff of one system.
struct VoiceLine {
    var events: [Event] = []
    var clef: Clef
    var key: KeySignature
    var meter: Meter
    /// The first line of a voice shows the time signature.
    var showMeter: Bool
    /// The key before a key change at the very start of this line (its accidentals are cancelled).
    var cancelledKey: KeySignature?
    var hasMusic: Bool { events.contains { if case .key = $0.kind { return false }; if case .meter = $0.kind { return false }; if case .clef = $0.kind { return false }; return true } }
}

struct VoiceMusic {
    var id: String
    var name: String?
    var lines: [VoiceLine]
    /// Number of noteheads written (grace notes apart), for the tests' counts.
    var noteCount: Int
}

/// Reads `K:`, `M:` and `L:` values through the public parser (their parsers are internal to
/// ABCNotation): a one-field tune is cheap, and body fields are rare.
enum FieldValues {
    static func key(_ value: String) -> KeySignature? {
        ABCParser.parseTune("X:1\nK:\(oneLine(value))\n")?.key
    }
    static func meter(_ value: String) -> Meter? {
        guard let t = ABCParser.parseTune("X:1\nM:\(oneLine(value))\nK:C\n"), !t.hasErrors else { return nil }
        return t.meter
    }
    static func unitLength(_ value: String) -> Rational? {
        guard let t = ABCParser.parseTune("X:1\nL:\(oneLine(value))\nK:C\n"), !t.hasErrors else { return nil }
        return t.unitLength
    }
    private static func oneLine(_ s: String) -> String { String(s.filter { $0 != "\n" && $0 != "\r" }) }
}

struct NotationReader {
    struct VoiceState {
        var id: String
        var name: String?
        var clef: Clef
        var key: KeySignature
        var meter: Meter
        var unitLength: Rational
        var lines: [VoiceLine] = []
        var line: VoiceLine
        var time = Rational.zero
        var barTime = Rational.zero
        var barAccidentals: [Int: Int] = [:]
        var barsSeen = 0
        /// The current bar's notes: the line (an index into `lines`, `lines.count` for the current
        /// one: a bar may run on across a line break) and the event.
        var notesInBar: [(line: Int, event: Int)] = []
        var lastBarToken: String?
        var tupletLeft = 0
        var tupletFactor = Rational.one
        var pendingBroken: Rational?
        var lastNote: Int?
        var pending = NoteSpec(heads: [], shape: NoteShape(log2: 2, dots: 0), written: .zero, duration: .zero, serial: 0)
        var pendingEnding: String?
        var spaceBefore = true
        var serial = 0
        var noteCount = 0
        var continued = false
    }

    let tune: Tune
    var voices: [VoiceState] = []
    var voiceIndex: [String: Int] = [:]
    var current = 0
    var skipped: [String] = []
    var skippedKinds: Set<String> = []

    init(tune: Tune) {
        self.tune = tune
    }

    static func read(_ tune: Tune) -> (voices: [VoiceMusic], skipped: [String]) {
        var r = NotationReader(tune: tune)
        for field in tune.header where field.letter == "V" {
            r.current = r.voice(for: field.value)
        }
        if r.voices.isEmpty { r.current = r.voice(for: "1") }
        r.current = 0
        for (k, element) in tune.body.enumerated() {
            let at = k < tune.bodyLocations.count ? tune.bodyLocations[k] : SourceLocation(line: tune.startLine, column: 1)
            r.read(element, at: at)
        }
        for v in r.voices.indices {
            r.current = v
            r.closeBar(nil)
            r.finishLine()
        }
        let music = r.voices.map { VoiceMusic(id: $0.id, name: $0.name, lines: $0.lines, noteCount: $0.noteCount) }
        return (music, r.skipped)
    }

    /// Notes a thing left out, once per kind (with the first place it happened).
    mutating func skip(_ kind: String, _ at: SourceLocation, _ message: String) {
        guard !skippedKinds.contains(kind), skipped.count < 50 else { return }
        skippedKinds.insert(kind)
        skipped.append("\(tune.fileName):\(at.line):\(at.column): \(message)")
    }

    mutating func voice(for value: String) -> Int {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let id = words.first.map(String.init) ?? "1"
        var name: String?
        for prefix in ["name=", "nm="] where name == nil {
            if let w = words.first(where: { $0.hasPrefix(prefix) }) {
                name = String(w.dropFirst(prefix.count)).filter { $0 != "\"" }
            }
        }
        let clef = Clef.find(in: String(value.dropFirst(id.count)))
        if let v = voiceIndex[id] {
            if let name { voices[v].name = name }
            if let clef, clef != voices[v].clef {
                voices[v].clef = clef
                append(.clef(clef), to: v)
            }
            return v
        }
        let c = clef ?? tune.key.clef.flatMap { Clef.parse(Substring($0)) } ?? .treble
        voiceIndex[id] = voices.count
        voices.append(VoiceState(id: id, name: name, clef: c, key: tune.key, meter: tune.meter, unitLength: tune.unitLength,
                                 line: VoiceLine(clef: c, key: tune.key, meter: tune.meter, showMeter: true)))
        return voices.count - 1
    }

    mutating func append(_ kind: EventKind, to v: Int) {
        // A change before any music of the line belongs to the line's prefix (clef, key, meter).
        if !voices[v].line.events.contains(where: { if case .notes = $0.kind { return true }; return false }) {
            switch kind {
            case let .key(k):
                if voices[v].line.cancelledKey == nil && k.alterations != voices[v].line.key.alterations {
                    voices[v].line.cancelledKey = voices[v].line.key
                }
                voices[v].line.key = k
                return
            case let .meter(m): voices[v].line.meter = m; voices[v].line.showMeter = true; return
            case let .clef(c): voices[v].line.clef = c; return
            default: break
            }
        }
        var e = Event(time: voices[v].time, kind: kind)
        if let label = voices[v].pendingEnding, case .bar = kind {
            e.ending = label
            voices[v].pendingEnding = nil
        }
        voices[v].line.events.append(e)
    }

    /// Ends the current voice's line (when it holds music) and starts the next with its state.
    mutating func finishLine() {
        let v = current
        guard voices[v].line.hasMusic else { return }
        voices[v].lines.append(voices[v].line)
        voices[v].line = VoiceLine(clef: voices[v].clef, key: voices[v].key, meter: voices[v].meter, showMeter: false)
        voices[v].time = .zero
        voices[v].lastNote = nil
    }

    /// Staff step of a letter/octave under the voice's clef.
    func step(letterIndex li: Int, octave: Int) -> Int {
        7 * (octave + 4) + li - voices[current].clef.bottomLine
    }

    static func letterIndex(_ c: Character) -> Int? {
        switch c {
        case "C": return 0
        case "D": return 1
        case "E": return 2
        case "F": return 3
        case "G": return 4
        case "A": return 5
        case "B": return 6
        default: return nil
        }
    }

    /// The head of a note: its step and the accidental to print. Updates the bar's accidentals.
    mutating func head(_ note: Note, remember: Bool) -> HeadSpec? {
        guard let li = NotationReader.letterIndex(note.letter) else { return nil }
        let octave = max(-6, min(6, note.octave)) // hostile octaves stay drawable
        let slot = li * 100 + octave + 50
        let implied = voices[current].barAccidentals[slot] ?? voices[current].key.alterations[li]
        var shown: Accidental?
        if let a = note.accidental {
            if a.rawValue != implied { shown = a }
            if remember { voices[current].barAccidentals[slot] = a.rawValue }
        }
        return HeadSpec(step: step(letterIndex: li, octave: octave), accidental: shown, tied: note.tied)
    }

    /// Appends a note, chord or rest of `length` unit lengths with the attachments gathered so far.
    mutating func addNote(heads: [HeadSpec], length: Rational, at: SourceLocation, invisible: Bool = false, multiBars: Int = 0) {
        let v = current
        var written = length.multiplied(by: voices[v].unitLength) ?? Rational(1, 4)!
        var duration = written
        if multiBars > 0 {
            written = .one
            duration = (voices[v].meter.barLength ?? .one).multiplied(by: Rational(multiBars)) ?? .one
        } else {
            if let broken = voices[v].pendingBroken {
                written = written.multiplied(by: broken) ?? written
                duration = written
                voices[v].pendingBroken = nil
            }
            if voices[v].tupletLeft > 0 {
                duration = duration.multiplied(by: voices[v].tupletFactor) ?? duration
                voices[v].tupletLeft -= 1
            }
        }
        var spec = voices[v].pending
        voices[v].pending = NoteSpec(heads: [], shape: NoteShape(log2: 2, dots: 0), written: .zero, duration: .zero, serial: 0)
        let (shape, exact) = NoteShape.of(written)
        if !exact && multiBars == 0 {
            skip("length", at, "a length of \(written) of a whole note has no single note shape; drawn as the nearest shorter one")
        }
        spec.heads = heads.sorted { $0.step < $1.step }
        spec.invisible = invisible
        spec.multiBars = multiBars
        spec.shape = shape
        spec.written = written
        spec.duration = duration
        spec.serial = voices[v].serial
        voices[v].serial += 1
        voices[v].noteCount += heads.count
        spec.beamBreakBefore = voices[v].spaceBefore || beatStarts(at: voices[v].barTime, meter: voices[v].meter)
        voices[v].spaceBefore = false
        voices[v].lastNote = voices[v].line.events.count
        voices[v].notesInBar.append((voices[v].lines.count, voices[v].line.events.count))
        var e = Event(time: voices[v].time, kind: .notes(spec))
        e.ending = voices[v].pendingEnding
        voices[v].pendingEnding = nil
        voices[v].line.events.append(e)
        voices[v].time = voices[v].time.adding(duration) ?? voices[v].time
        voices[v].barTime = voices[v].barTime.adding(duration) ?? voices[v].barTime
    }

    /// The length of a beam group: a beat of the meter (3/8 in compound time, half a bar in
    /// 4/4 and 2/2 as reels are written, a quarter in 2/4 and 3/4); nil: ABC spacing alone.
    static func beamGroup(_ meter: Meter) -> Rational? {
        switch meter {
        case .free: return nil
        case .common, .cut: return Rational(1, 2)
        case let .fraction(numerators, denominator):
            let n = numerators.reduce(0, +)
            if meter.isCompound || (n == 3 && denominator == 8) { return Rational(3, 8) }
            if denominator == 8 { return nil }
            if (n == 4 && denominator == 4) || (n == 2 && denominator == 2) || (n == 3 && denominator == 2) { return Rational(1, 2) }
            return Rational(1, denominator)
        }
    }

    func beatStarts(at barTime: Rational, meter: Meter) -> Bool {
        guard barTime > .zero, let group = NotationReader.beamGroup(meter) else { return barTime == .zero }
        guard let q = barTime.multiplied(by: Rational(group.denominator, group.numerator) ?? .one) else { return false }
        return q.denominator == 1
    }

    /// A bar line closes the bar: a short first bar (a pickup) is counted from its end, so its
    /// notes beam by the beats they fall on.
    mutating func closeBar(_ bar: BarLine?) {
        let v = current
        defer {
            voices[v].barAccidentals = [:]
            voices[v].barTime = .zero
            voices[v].notesInBar = []
            voices[v].spaceBefore = true
        }
        guard let barLength = voices[v].meter.barLength, voices[v].barTime < barLength, voices[v].barTime > .zero else { return }
        let isPickup = voices[v].barsSeen == 0 || (voices[v].lastBarToken.map { $0.hasPrefix(":") || $0 == "||" } ?? false)
        guard isPickup, bar != nil, let offset = barLength.subtracting(voices[v].barTime) else { return }
        var t = offset
        for (n, at) in voices[v].notesInBar.enumerated() {
            let onThisLine = at.line == voices[v].lines.count
            let kind = onThisLine ? voices[v].line.events[at.event].kind : voices[v].lines[at.line].events[at.event].kind
            guard case var .notes(spec) = kind else { continue }
            if n > 0 && !spec.beamBreakBefore { spec.beamBreakBefore = beatStarts(at: t, meter: voices[v].meter) }
            t = t.adding(spec.duration) ?? t
            if onThisLine { voices[v].line.events[at.event].kind = .notes(spec) } else { voices[v].lines[at.line].events[at.event].kind = .notes(spec) }
        }
    }

    mutating func read(_ element: BodyElement, at: SourceLocation) {
        let v = current
        switch element {
        case let .note(note):
            let h = head(note, remember: true)
            addNote(heads: h.map { [$0] } ?? [], length: note.length, at: at)
        case let .chord(chord):
            readChord(chord, at: at)
        case let .rest(length, invisible):
            addNote(heads: [], length: length, at: at, invisible: invisible)
        case let .multiBarRest(bars, invisible):
            addNote(heads: [], length: .one, at: at, invisible: invisible, multiBars: max(1, bars))
        case let .graceNotes(notes, acciaccatura):
            for note in notes.prefix(16) {
                if let h = head(note, remember: false) { voices[v].pending.graces.append(h) }
            }
            voices[v].pending.acciaccatura = acciaccatura
        case let .decoration(name):
            voices[v].pending.decorations.append(name)
        case let .chordSymbol(text):
            voices[v].pending.chordSymbols.append(text)
        case let .annotation(text):
            voices[v].pending.annotations.append(text)
        case let .brokenRhythm(count):
            readBrokenRhythm(count, at: at)
        case let .tuplet(t):
            readTuplet(t)
        case .slurStart:
            voices[v].pending.slurStarts += 1
        case .slurEnd:
            if let last = voices[v].lastNote, case var .notes(spec) = voices[v].line.events[last].kind {
                spec.slurEnds += 1
                voices[v].line.events[last].kind = .notes(spec)
            }
        case let .bar(bar):
            closeBar(bar)
            voices[v].barsSeen += 1
            voices[v].lastBarToken = bar.token
            append(.bar(bar), to: v)
            if let ending = bar.ending { voices[v].line.events[voices[v].line.events.count - 1].ending = ending }
        case let .ending(text):
            readEnding(text)
        case let .inlineField(field), let .field(field):
            readField(field, at: at)
        case .space:
            voices[v].spaceBefore = true
        case .lineBreak, .bangLineBreak:
            voices[v].spaceBefore = true
            if voices[v].continued {
                voices[v].continued = false
            } else {
                finishLine()
            }
        case .continuation:
            voices[v].continued = true
        case .overlay:
            skip("overlay", at, "voice overlay '&' is not engraved (its notes are drawn in the main voice)")
        case .directive, .spacer:
            break
        }
    }

    /// A chord: one head per staff step (unisons share one), its decorations on the stem.
    mutating func readChord(_ chord: Chord, at: SourceLocation) {
        let v = current
        guard !chord.notes.isEmpty else { return }
        var heads: [HeadSpec] = []
        var seen = Set<Int>()
        for note in chord.notes {
            guard var h = head(note, remember: true) else { continue }
            if chord.tied { h.tied = true }
            if seen.insert(h.step).inserted { heads.append(h) } else { skip("unison", at, "a chord's unison notes share one notehead") }
        }
        voices[v].pending.decorations += chord.decorations
        let length = chord.notes[0].length.multiplied(by: chord.length) ?? .one
        addNote(heads: heads, length: length, at: at)
        if heads.count < chord.notes.count { voices[v].noteCount += chord.notes.count - heads.count }
    }

    /// `>` or `<`: the note before is redrawn longer or shorter (dotted), the next one when it comes.
    mutating func readBrokenRhythm(_ count: Int, at: SourceLocation) {
        let v = current
        let n = min(abs(count), 3)
        let half = Rational(1, 1 << n)!
        let long = Rational((1 << (n + 1)) - 1, 1 << n)!
        guard let last = voices[v].lastNote, case var .notes(spec) = voices[v].line.events[last].kind, spec.multiBars == 0 else {
            skip("broken", at, "broken rhythm without a note before it is ignored")
            return
        }
        let factor = count > 0 ? long : half
        let old = spec.duration
        spec.written = spec.written.multiplied(by: factor) ?? spec.written
        spec.duration = spec.duration.multiplied(by: factor) ?? spec.duration
        spec.shape = NoteShape.of(spec.written).shape
        voices[v].line.events[last].kind = .notes(spec)
        if let delta = spec.duration.subtracting(old) {
            voices[v].time = voices[v].time.adding(delta) ?? voices[v].time
            voices[v].barTime = voices[v].barTime.adding(delta) ?? voices[v].barTime
        }
        voices[v].pendingBroken = count > 0 ? half : long
    }

    /// `(p:q:r`: the next r notes take q's time of p (bounded, so hostile numbers stay drawable).
    mutating func readTuplet(_ t: Tuplet) {
        let v = current
        let p = max(1, min(t.p, 64))
        let q = t.q ?? (([2, 4, 8].contains(p)) ? 3 : ([3, 6].contains(p) ? 2 : (voices[v].meter.isCompound ? 3 : 2)))
        voices[v].tupletLeft = max(0, min(t.r ?? p, 64))
        voices[v].tupletFactor = Rational(q, p) ?? .one
        voices[v].pending.tupletP = p
        voices[v].pending.tupletCount = voices[v].tupletLeft
    }

    /// An ending's number goes on the bar line just written, or on the next event if there is none.
    mutating func readEnding(_ text: String) {
        let v = current
        if let lastIndex = voices[v].line.events.indices.last, case .bar = voices[v].line.events[lastIndex].kind,
           voices[v].line.events[lastIndex].ending == nil {
            voices[v].line.events[lastIndex].ending = text
        } else {
            voices[v].pendingEnding = text
        }
    }

    mutating func readField(_ field: Field, at: SourceLocation) {
        let v = current
        switch field.letter {
        case "K":
            if let clef = Clef.find(in: field.value), clef != voices[v].clef {
                voices[v].clef = clef
                append(.clef(clef), to: v)
            }
            let value = field.value.split(separator: " ").filter { Clef.parse($0) == nil && !$0.lowercased().hasPrefix("clef=") }.joined(separator: " ")
            guard !value.isEmpty else { return }
            if let key = FieldValues.key(value) {
                voices[v].key = key
                append(.key(key), to: v)
            }
        case "M":
            if let meter = FieldValues.meter(field.value) {
                voices[v].meter = meter
                append(.meter(meter), to: v)
            } else {
                skip("meter", at, "unreadable meter '\(field.value)' is not engraved")
            }
        case "L":
            if let l = FieldValues.unitLength(field.value) { voices[v].unitLength = l }
        case "V":
            current = voice(for: field.value)
        case "P":
            voices[v].pending.annotations.append("^" + field.value)
        case "w", "W":
            skip("lyrics", at, "lyrics (w:) are not engraved")
        default:
            break
        }
    }
}
